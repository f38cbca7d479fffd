"""Migration, the billing part: opening balances and the day billing takes over."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.wizards.wisp_import import IMPORT_MODULE

from ..models.wisp_service import BILLABLE_STATES

# Which way each export counts a balance: +1 when a positive figure is owed by the
# subscriber, -1 when a positive figure is the subscriber's credit.
BALANCE_SIGNS = {"template": 1, "splynx": -1, "uisp": 1}


class WispImport(models.TransientModel):
    _inherit = "wisp.import"

    opening_account_id = fields.Many2one(
        "account.account",
        string="Opening Balance Account",
        default=lambda self: self.env.company.get_unaffected_earnings_account(),
        domain="[('account_type', 'not in', ('asset_receivable', 'liability_payable'))]",
        help="Counterpart of each subscriber's opening balance, as Odoo's opening entry "
        "balances itself (Undistributed Profits/Losses by default; a suspense account "
        "works as well).",
    )

    @api.model
    def _wisp_import_columns(self):
        return {
            **super()._wisp_import_columns(),
            "balance": ("amount", False, "open balance: owed by the subscriber (> 0) or credit"),
            "paid_until": (
                "date",
                False,
                "last day the old system billed (empty: the day before the opening date)",
            ),
        }

    @api.model
    def _wisp_import_presets(self):
        presets = super()._wisp_import_presets()
        # Splynx: the customer's account balance, negative when the customer owes.
        presets["splynx"]["columns"].update(balance="Account balance", paid_until="Paid until")
        # UISP CRM: the client's amount outstanding (owed).
        presets["uisp"]["columns"].update(balance="accountOutstanding", paid_until="invoicedTo")
        presets["template"]["columns"].update(balance="balance", paid_until="paid_until")
        return presets

    def _wisp_balances(self, rows):
        """``{subscriber reference: (row, balance owed)}``, the first row giving one."""
        sign = BALANCE_SIGNS.get(self.preset, 1)
        balances = {}
        for row in rows:
            if row.get("balance") is not None and row["subscriber_ref"] not in balances:
                balances[row["subscriber_ref"]] = (row, sign * row["balance"])
        return balances

    def _wisp_standing_balances(self, balances):
        """``({reference: receivable line}, references whose entry was reversed)`` of
        the opening balances this source posted before. A reversed entry no longer
        stands: the import may post another balance for its subscriber."""
        existing = self._wisp_existing("account.move.line", balances)
        lines = self.env["account.move.line"].sudo().browse(existing.values())
        line_by_id = {line.id: line for line in lines}
        standing, reversed_refs = {}, []
        for ref, line_id in existing.items():
            line = line_by_id[line_id]
            if line.move_id.reversal_move_ids.filtered(lambda m: m.state == "posted"):
                reversed_refs.append(ref)
            else:
                standing[ref] = line
        return standing, reversed_refs

    def _wisp_check_rows(self, rows, titles, errors):
        errors = super()._wisp_check_rows(rows, titles, errors)
        balances = self._wisp_balances(rows)
        standing = self._wisp_standing_balances(balances)[0]
        currency = self.env.company.currency_id
        for ref, line in standing.items():
            row, amount = balances[ref]
            if currency.compare_amounts(line.balance, amount):
                errors.append(
                    (
                        row["_line"],
                        titles["balance"],
                        self.env._(
                            "the opening balance of this subscriber was posted as %(posted)s "
                            "(%(move)s): reverse that entry to import another one.",
                            posted=line.balance,
                            move=line.move_id.name,
                        ),
                    )
                )
        if balances and not self._wisp_journal():
            errors.append(
                (1, titles["balance"], self.env._("the company has no miscellaneous journal."))
            )
        return errors

    def _wisp_journal(self):
        return (
            self.env["account.journal"]
            .sudo()
            .search(
                [
                    *self.env["account.journal"]._check_company_domain(self.env.company),
                    ("type", "=", "general"),
                ],
                limit=1,
            )
        )

    def _wisp_import_rows(self, rows):
        result = super()._wisp_import_rows(rows)
        self._wisp_import_billed_until(result)
        self._wisp_import_balances(rows, result)
        return result

    def _wisp_import_billed_until(self, result):
        """Services activated by the import are billed from the day after the old
        system's last billed day (``paid_until``), else from the opening date."""
        ref_of = {s.id: ref for ref, s in result["services"].items()}
        by_day = defaultdict(lambda: self.env["wisp.service"])
        # paused ones too: their billing restarts at the later of this day and their resume
        for service in result["activated"].filtered(
            lambda s: s.state in (*BILLABLE_STATES, "paused")
        ):
            row = result["service_rows"][ref_of[service.id]]
            by_day[row.get("paid_until") or self.opening_date - timedelta(days=1)] |= service
        for day, services in by_day.items():
            services.billed_until = day

    def _wisp_import_balances(self, rows, result):
        """One posted opening entry per import, as Odoo's own opening entry: a line per
        subscriber on its receivable (its external id is the subscriber's balance),
        balanced by one line on the opening account. A credit is wallet credit."""
        balances = self._wisp_balances(rows)
        standing, reversed_refs = self._wisp_standing_balances(balances)
        counts = self._counts(result, "Opening balances")
        counts["unchanged"] += len(standing)
        currency = self.env.company.currency_id
        todo = {
            ref: amount
            for ref, (_row, amount) in balances.items()
            if ref not in standing and not currency.is_zero(amount)
        }
        if not todo:
            return
        # the external id of a reversed balance names the new one
        self.env["ir.model.data"].sudo().search(
            [
                ("module", "=", IMPORT_MODULE),
                ("model", "=", "account.move.line"),
                (
                    "name",
                    "in",
                    [self._wisp_xmlid_name("account.move.line", ref) for ref in reversed_refs],
                ),
            ]
        ).unlink()
        label = self.env._("Opening balance (%(system)s)", system=self.source)
        lines = []
        for ref, amount in todo.items():
            partner = result["partners"][ref].commercial_partner_id
            lines.append(
                {
                    "name": label,
                    "account_id": partner.property_account_receivable_id.id,
                    "partner_id": partner.id,
                    "balance": amount,
                    "date_maturity": self.opening_date,
                }
            )
        lines.append(
            {
                "name": label,
                "account_id": self.opening_account_id.id,
                "balance": -sum(todo.values()),
            }
        )
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self._wisp_journal().id,
                "date": self.opening_date,
                "ref": label,
                "line_ids": [fields.Command.create(vals) for vals in lines],
            }
        )
        move.action_post()
        receivable = move.line_ids.filtered("partner_id").sorted("id")
        self._wisp_bind("account.move.line", dict(zip(todo, receivable, strict=True)))
        counts["created"] += len(receivable)
