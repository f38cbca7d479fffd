import logging
import time
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models, modules
from odoo.addons.wisp_subscriber.tools.access import BILLING, check_groups
from odoo.exceptions import UserError

from ..tools.proration import block_end
from .wisp_service import BILLABLE_STATES

_logger = logging.getLogger(__name__)

# A worker stops taking chunks after this long and re-triggers itself, so a
# cron run stays well below Odoo's cron time limit.
WORKER_TIME_BUDGET = 240


class WispBillingFailures(UserError):
    """Some subscribers of a billing could not be billed; the others were.

    ``invoices`` are the others' invoices (created and posted in the current
    transaction), ``failures`` the ``(account, reason)`` of each one not billed.
    """

    def __init__(self, message, invoices, failures):
        super().__init__(message)
        self.invoices = invoices
        self.failures = failures


class WispBillingRun(models.Model):
    """One billing day: the subscribers due that day, cut into chunks.

    Chunks are billed by worker crons that claim them with ``FOR UPDATE SKIP
    LOCKED`` and commit one chunk at a time, so several cron threads (or Odoo
    nodes on one database) share a run, and a crash loses at most the chunk in
    progress, which stays pending and is billed on the next pass. Billing a
    subscriber twice for a cycle is impossible: each subscriber's due date and
    each service's ``billed_until`` move in the same transaction as its invoice.
    """

    _name = "wisp.billing.run"
    _description = "Billing Run"
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    chunk_ids = fields.One2many("wisp.billing.run.chunk", "run_id")
    # Progress is read from the chunks, never stored on the run: a stored
    # roll-up would make every worker's chunk commit update this one row, and
    # concurrent workers would then fail each other's commits.
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "With Errors")],
        compute="_compute_progress",
    )
    subscriber_count = fields.Integer(compute="_compute_progress")
    invoice_count = fields.Integer(compute="_compute_progress")
    chunks_pending = fields.Integer(compute="_compute_progress")

    @api.depends("date")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Billing %(date)s", date=run.date)

    @api.depends("chunk_ids.state", "chunk_ids.invoice_count")
    def _compute_progress(self):
        Chunk = self.env["wisp.billing.run.chunk"]
        stats = {
            (run, state): (count, invoices)
            for run, state, count, invoices in Chunk._read_group(
                [("run_id", "in", self.ids)],
                ["run_id", "state"],
                ["__count", "invoice_count:sum"],
            )
        }
        for run in self:
            pending, failed, done = (
                stats.get((run, state), (0, 0)) for state in ("pending", "failed", "done")
            )
            run.chunks_pending = pending[0]
            run.invoice_count = pending[1] + failed[1] + done[1]
            run.subscriber_count = sum(len(chunk.partner_ids) for chunk in run.chunk_ids)
            run.state = "running" if pending[0] else "failed" if failed[0] else "done"

    # -------------------------------------------------------------------------
    # Scheduling
    # -------------------------------------------------------------------------
    @api.model
    def _cron_schedule(self):
        """Daily: cut today's due subscribers into chunks and wake the workers."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            self.with_company(company)._schedule(today)

    def _schedule(self, day):
        company = self.env.company
        queued = (
            self.env["wisp.billing.run.chunk"]
            .search([("state", "=", "pending"), ("run_id.company_id", "=", company.id)])
            .partner_ids
        )
        due = self.env["res.partner"].search(
            [
                ("wisp_next_billing_date", "<=", day),
                ("subscriber_code", "!=", False),
                ("id", "not in", queued.ids),
                "|",
                ("company_id", "=", company.id),
                ("company_id", "=", False),
            ],
            order="id",
        )
        if not due:
            return self.browse()
        size = company.wisp_billing_chunk_size
        run = self.create(
            {
                "date": day,
                "company_id": company.id,
                "chunk_ids": [
                    Command.create({"partner_ids": [Command.set(due[i : i + size].ids)]})
                    for i in range(0, len(due), size)
                ],
            }
        )
        self.env.ref("wisp_billing.ir_cron_wisp_billing_worker")._trigger()
        self.env.ref("wisp_billing.ir_cron_wisp_billing_worker_2")._trigger()
        return run

    def action_start_today(self):
        """The billing clerk's "Start Today's Run" (a list button: the selected runs, if
        any, play no part): bill now whoever is due today in the current company, as
        the daily cron would, and open the run."""
        check_groups(self.env, (BILLING,))
        self.check_access("create")
        run = self._schedule(fields.Date.context_today(self))
        if not run:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": self.env._("Nobody is due for billing today."),
                    "type": "info",
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "views": [(False, "form")],
        }

    @api.model
    def _cron_process_chunks(self):
        """Worker: bill pending chunks one by one, committing after each."""
        auto_commit = not modules.module.current_test  # as Odoo's mail queue does
        started = time.monotonic()
        Chunk = self.env["wisp.billing.run.chunk"]
        while True:
            Chunk.flush_model(["state"])
            self.env.cr.execute(
                "SELECT id FROM wisp_billing_run_chunk WHERE state = 'pending' "
                "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            row = self.env.cr.fetchone()
            if not row:
                return
            Chunk.browse(row[0])._process()
            if auto_commit:
                # one chunk, one commit: a crash loses at most the chunk in progress
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() - started > WORKER_TIME_BUDGET:
                self.env.ref("wisp_billing.ir_cron_wisp_billing_worker")._trigger()
                return

    # -------------------------------------------------------------------------
    # Billing one set of subscribers
    # -------------------------------------------------------------------------
    @api.model
    def _bill_subscribers(self, partners, day):
        """Create and post the consolidated invoices of ``partners`` for ``day``.

        In advance, the plan and each add-on of a service are charged up to the
        end of the cycle containing ``day`` (or of their longer period's block);
        postpaid, up to the end of the cycle before. Pending adjustments and one
        installment per plan and cycle (all that are left, for a terminated
        service) join the same invoice. Running it again for the same day bills
        nothing. Returns the invoices created. When some of several subscribers
        cannot be billed, the others are and :class:`WispBillingFailures` says
        which were not and why.
        """
        accounts = partners.commercial_partner_id
        if not accounts:
            return self.env["account.move"]
        # Two billings of one subscriber at once (a worker and "Bill Now", two
        # clicks) wait for each other instead of both charging the same days.
        accounts._wisp_lock()
        if len(accounts) == 1:
            return self._bill_accounts(accounts, day)
        # All together first (one create, one post: the fast path); if that fails,
        # each subscriber alone, so one that cannot be billed fails alone.
        try:
            with self.env.cr.savepoint():
                return self._bill_accounts(accounts, day)
        except Exception:  # the culprit is found and reported per subscriber below
            _logger.info("Billing %s subscribers together failed: one by one", len(accounts))
        invoices, failures = self.env["account.move"], []
        for account in accounts:
            try:
                with self.env.cr.savepoint():
                    invoices |= self._bill_accounts(account, day)
            except Exception as error:  # any error fails this subscriber only
                _logger.exception("Billing subscriber %s failed", account.id)
                failures.append((account, str(error)))
        if failures:
            raise WispBillingFailures(
                "\n".join(
                    self.env._("%(subscriber)s: %(reason)s", subscriber=a.display_name, reason=r)
                    for a, r in failures
                ),
                invoices,
                failures,
            )
        return invoices

    @api.model
    def _bill_accounts(self, accounts, day):
        """:meth:`_bill_subscribers` of locked commercial partners, all or nothing."""
        Service = self.env["wisp.service"]
        services = Service.search(
            [
                ("commercial_partner_id", "in", accounts.ids),
                ("state", "in", BILLABLE_STATES),
                ("plan_id", "!=", False),
                ("billed_until", "!=", False),
            ]
        )
        # grouped() keeps one prefetch set: add-ons are read for all services at once
        services_by_account = services.grouped("commercial_partner_id")
        adjustments_by_account = defaultdict(list)
        for adjustment in self.env["wisp.billing.adjustment"].search(
            [("partner_id", "in", accounts.ids), ("state", "=", "pending")]
        ):
            adjustments_by_account[adjustment.partner_id].append(adjustment)
        installments_by_account = defaultdict(list)
        for installment in self.env["wisp.service.installment"].search(
            [
                ("partner_id", "in", accounts.ids),
                ("is_done", "=", False),
                "|",
                ("service_id", "in", services.ids),
                ("service_id.state", "=", "terminated"),
            ]
        ):
            installments_by_account[installment.partner_id].append(installment)
        usage_by_account = self.env["wisp.service.usage.period"]._wisp_to_invoice_by_account(
            accounts
        )

        invoice_vals, billed_until, installment_updates, next_dates = [], {}, [], {}
        for account in accounts:
            cycle_start, cycle_end = account._wisp_current_cycle(day)
            lines = []
            for service in services_by_account.get(account, Service):
                # the plan and each add-on on its own period, from its own last day billed
                until = service._wisp_billed_until_by_product()
                charged = {}
                for product, last in until.items():
                    period = self._billable_period(account, product, last, cycle_start, cycle_end)
                    if period:
                        lines += service._wisp_charge_lines(*period, products=product)
                        charged[product] = period[1]
                if charged:
                    billed_until[service] = service._wisp_billed_until_vals({**until, **charged})
            lines += [adj._to_line_vals() for adj in adjustments_by_account[account]]
            lines += self._usage_lines(usage_by_account.get(account))
            for installment, count in self._installments_due(
                installments_by_account[account], cycle_start
            ):
                lines.append(self._installment_line(installment, count))
                installment_updates.append((installment, cycle_start, count))
            if not account.wisp_next_billing_date or account.wisp_next_billing_date <= day:
                next_dates[account] = cycle_end + timedelta(days=1)
            if lines:
                invoice_vals.append(self._invoice_vals(account, day, cycle_start, cycle_end, lines))

        invoices = self._create_invoices(invoice_vals)
        self._write_grouped(billed_until)
        self._write_grouped(
            {account: {"wisp_next_billing_date": date} for account, date in next_dates.items()}
        )
        for installment, cycle_start, count in installment_updates:
            installment.write(
                {
                    "paid_count": installment.paid_count + count,
                    "last_billed_date": cycle_start,
                }
            )
        # Posting takes the journal's sequence, locked until commit: every other
        # billing worker waits for it, so post last, with nothing left to flush.
        self.env.flush_all()
        invoices.action_post()
        invoices._wisp_queue_message("invoice_issued")
        auto_apply = invoices.filtered(
            lambda inv: (
                inv.move_type == "out_invoice" and inv.commercial_partner_id.wisp_wallet_auto_apply
            )
        )
        if auto_apply:
            auto_apply._wisp_apply_wallet()
        return invoices

    @api.model
    def _create_invoices(self, invoice_vals):
        """Create the draft invoices of one billing in one batch.

        A recurring invoice gets no "Invoice Created" note (a hidden one) and
        its creator does not follow it: that chatter cost more queries than the
        rest of the invoice. Its later changes are tracked as usual.

        The journal, and the lines' (empty) analytic distribution when the
        company has no distribution model, are given rather than searched for
        per invoice and per line. Each line also gets its accounting amounts:
        account computes them anyway when it creates an invoice (tax lines
        included) and writes a line again only where they differ (prices
        including taxes, taxes with base tags), not on every line.
        """
        if not invoice_vals:
            return self.env["account.move"]
        Move = self.env["account.move"]
        journal = Move.new(
            {"move_type": "out_invoice", "company_id": self.env.company.id}
        )._search_default_journal()
        plain_analytics = not self.env["account.analytic.distribution.model"].search_count(
            [], limit=1
        )
        currency = journal.currency_id or self.env.company.currency_id
        same_currency = currency == self.env.company.currency_id
        for vals in invoice_vals:
            vals["journal_id"] = journal.id
            sign = -1 if vals["move_type"] == "out_invoice" else 1
            for command in vals["invoice_line_ids"]:
                line = command[2]
                if "display_type" in line:
                    continue
                if plain_analytics:
                    line["analytic_distribution"] = False
                if same_currency:
                    line["amount_currency"] = line["balance"] = sign * currency.round(
                        line["price_unit"] * line["quantity"]
                    )
        quiet = Move.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )
        return quiet.create(invoice_vals).with_env(self.env)

    @api.model
    def _billable_period(self, account, product, billed_until, cycle_start, cycle_end):
        """The (start, end) still to charge now for ``product`` (a plan or add-on)
        billed until ``billed_until``, or None. Billed per its own period: in
        blocks of its N months, the first one from the cycle of ``start``."""
        start = billed_until + timedelta(days=1)
        months = product.product_tmpl_id._billing_period_months()
        period_end = block_end(start, months, account._wisp_effective_billing_day())
        if account.wisp_billing_mode == "advance":
            end = max(cycle_end, period_end) if start <= cycle_end else None
        else:
            # In arrears: only what ended before this cycle, and a long period
            # only once it has run its whole course.
            end = cycle_start - timedelta(days=1)
            if months > 1 and period_end > end:
                end = None
        if end is None or end < start:
            return None
        return start, end

    @api.model
    def _usage_lines(self, periods):
        """Lines charging usage past the allowance of closed ``periods`` (or None).
        Each line links its period, which is invoiced as soon as the line exists:
        a run again bills it no more."""
        lines = (period._wisp_invoice_line_vals() for period in periods or ())
        return [line for line in lines if line]

    @api.model
    def _installments_due(self, installments, cycle_start):
        """(installment, how many) to bill: at most one per plan and cycle, and
        all those left of a terminated service at once (its final invoice). A
        paused service's installments wait with it."""
        due = []
        for installment in installments:
            if installment.service_id.state == "terminated":
                due.append((installment, installment.remaining_count))
            elif not installment.last_billed_date or installment.last_billed_date < cycle_start:
                due.append((installment, 1))
        return due

    @api.model
    def _installment_line(self, installment, count=1):
        product = installment.product_id or self.env.ref("wisp_billing.product_installment")
        first = installment.paid_count + 1
        if count == 1:
            name = self.env._(
                "%(name)s - installment %(number)s of %(count)s (%(service)s)",
                name=installment.name,
                number=first,
                count=installment.installment_count,
                service=installment.service_id.name,
            )
        else:
            name = self.env._(
                "%(name)s - installments %(first)s to %(last)s of %(count)s (%(service)s), "
                "due at termination",
                name=installment.name,
                first=first,
                last=first + count - 1,
                count=installment.installment_count,
                service=installment.service_id.name,
            )
        return {
            "product_id": product.id,
            "name": name,
            "quantity": count,
            "price_unit": installment.amount,
            "wisp_service_id": installment.service_id.id,
            "wisp_installment_id": installment.id,
        }

    @api.model
    def _delivery_and_fiscal_position(self, account):
        """``(delivery address, fiscal position)`` of ``account``'s invoices."""
        # in the chunk's prefetch set: its fiscal position is read for all accounts at once
        delivery = (
            self.env["res.partner"]
            .browse(account.address_get(["delivery"])["delivery"])
            .with_prefetch(account._prefetch_ids)
        )
        return delivery, self.env["account.fiscal.position"]._get_fiscal_position(
            account, delivery=delivery
        )

    @api.model
    def _product_taxes(self, product, fiscal_position):
        """The taxes an invoice line of ``product`` carries in the current company."""
        return fiscal_position.map_tax(product.taxes_id._filter_taxes_by_company(self.env.company))

    @api.model
    def _invoice_vals(self, account, day, cycle_start, cycle_end, lines):
        """One consolidated invoice, its lines grouped under one section per
        service address.

        It is a credit note when credits outweigh charges *after tax* (Odoo
        refuses to post an invoice whose total is negative): each line carries
        its product's taxes, mapped by the account's fiscal position, and the
        choice is made on the total those very taxes give (``compute_all``,
        prices including tax or not), so it is the invoice's own total.
        """
        delivery, fiscal_position = self._delivery_and_fiscal_position(account)
        company = self.env.company
        currency = company.currency_id
        products = self.env["product.product"].browse([line["product_id"] for line in lines])
        total = 0.0
        taxed_lines = []
        for line, product in zip(lines, products, strict=True):
            taxes = self._product_taxes(product, fiscal_position)
            if taxes:
                total += taxes.compute_all(
                    line["price_unit"], currency, line["quantity"], product, account
                )["total_included"]
            else:  # most WISP lines: no need for the tax engine
                total += line["price_unit"] * line["quantity"]
            taxed_lines.append({**line, "tax_ids": [Command.set(taxes.ids)]})
        lines = taxed_lines
        move_type = "out_invoice"
        if currency.compare_amounts(total, 0) < 0:
            move_type = "out_refund"
            lines = [{**line, "price_unit": -line["price_unit"]} for line in lines]
        Service = self.env["wisp.service"]
        by_address = defaultdict(list)
        for line in lines:
            address = Service.browse(line["wisp_service_id"]).address_id
            by_address[address].append(line)
        commands = []
        for address, address_lines in by_address.items():
            commands.append(
                Command.create(
                    {"display_type": "line_section", "name": self._address_label(address)}
                )
            )
            commands += [Command.create(line) for line in address_lines]
        vals = {
            "move_type": move_type,
            "partner_id": account.id,
            # already looked up for the taxes: the invoice need not look them up again
            "partner_shipping_id": delivery.id,
            "fiscal_position_id": fiscal_position.id,
            "invoice_date": day,
            "invoice_origin": self.env._(
                "WISP billing %(start)s to %(end)s", start=cycle_start, end=cycle_end
            ),
            "wisp_cycle_start": cycle_start,
            "wisp_cycle_end": cycle_end,
            "invoice_line_ids": commands,
        }
        if not account.property_payment_term_id:
            vals["invoice_date_due"] = day + timedelta(days=self.env.company.wisp_payment_days)
        return vals

    @api.model
    def _address_label(self, address):
        """'Branch name, street, zip city': what tells the subscriber where."""
        return address._wisp_address_line()

    @api.model
    def _write_grouped(self, vals_by_record):
        """One write per distinct write() values instead of one per record."""
        ids_by_key, vals_by_key = defaultdict(list), {}
        for record, vals in vals_by_record.items():
            key = repr(sorted(vals.items()))  # values may be dicts (Json): not hashable
            ids_by_key[key].append(record.id)
            vals_by_key[key] = vals
        for key, ids in ids_by_key.items():
            model = next(iter(vals_by_record))._name
            self.env[model].browse(ids).write(vals_by_key[key])
