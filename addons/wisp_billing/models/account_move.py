import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

SETTLED_STATES = ("paid", "in_payment", "reversed")


class AccountMove(models.Model):
    _inherit = "account.move"

    wisp_cycle_start = fields.Date(string="Cycle Start", readonly=True, copy=False)
    wisp_cycle_end = fields.Date(string="Cycle End", readonly=True, copy=False)
    wisp_reminder_sent = fields.Boolean(readonly=True, copy=False)
    wisp_blocked_service_ids = fields.Many2many(
        "wisp.service",
        "account_move_wisp_blocked_service_rel",
        "move_id",
        "service_id",
        string="Services Blocked",
        readonly=True,
        copy=False,
        help="Services restricted or suspended because this invoice is overdue; "
        "they are reactivated the moment it is paid.",
    )
    wisp_wallet_kind = fields.Selection(
        [
            ("promo", "Promotional Credit"),
            ("compensation", "Compensation"),
            ("gift_card", "Gift Card"),
        ],
        string="Wallet Credit",
        readonly=True,
        copy=False,
    )

    # -------------------------------------------------------------------------
    # Reactivation: any way an invoice gets paid ends up reconciling it, and
    # account calls this hook in that same transaction.
    # -------------------------------------------------------------------------
    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self._wisp_release_blocked_services()
        return res

    def _wisp_release_blocked_services(self):
        # The accountant reconciling a bank statement need not be WISP staff.
        invoices = self.sudo().filtered("wisp_blocked_service_ids")
        if not invoices:
            return
        blocked = invoices.wisp_blocked_service_ids
        invoices.wisp_blocked_service_ids = [Command.clear()]
        # A service overdue on another invoice too stays blocked for that one.
        to_reactivate = blocked.filtered(
            lambda s: s.state in ("restricted", "suspended") and not s.blocking_invoice_ids
        )
        if not to_reactivate:
            return
        to_reactivate.action_reactivate()
        template = self.env.ref("wisp_billing.mail_template_wisp_reactivation")
        for account in to_reactivate.commercial_partner_id:
            invoice = invoices.filtered(lambda m, a=account: m.commercial_partner_id == a)[:1]
            invoice.with_context(wisp_service_ids=to_reactivate.ids).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )

    # -------------------------------------------------------------------------
    # Dunning
    # -------------------------------------------------------------------------
    def _wisp_open_recurring_invoices(self, company):
        return self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "not in", SETTLED_STATES),
                ("wisp_cycle_start", "!=", False),
                ("company_id", "=", company.id),
            ]
        )

    @api.model
    def _cron_wisp_dunning(self):
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            self.with_company(company)._wisp_dunning(company, today)

    def _wisp_dunning(self, company, today):
        """Remind before the due date; after the grace period restrict or
        suspend the services the overdue invoice bills."""
        invoices = self._wisp_open_recurring_invoices(company)
        remind_from = today + timedelta(days=company.wisp_reminder_days)
        to_remind = invoices.filtered(
            lambda m: not m.wisp_reminder_sent and today <= m.invoice_date_due <= remind_from
        )
        if to_remind:
            template = self.env.ref("wisp_billing.mail_template_wisp_payment_reminder")
            for invoice in to_remind:
                invoice.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            to_remind.wisp_reminder_sent = True
        grace_limit = today - timedelta(days=company.wisp_grace_days)
        overdue = invoices.filtered(lambda m: m.invoice_date_due < grace_limit)
        action = company.wisp_overdue_action
        blockable = ("active",) if action == "restrict" else ("active", "restricted")
        template = self.env.ref("wisp_billing.mail_template_wisp_suspension")
        for invoice in overdue:
            services = invoice.invoice_line_ids.wisp_service_id.filtered(
                lambda s, b=blockable: s.state in b
            )
            if not services:
                continue
            invoice.wisp_blocked_service_ids = [Command.link(s.id) for s in services]
            reason = self.env._("Invoice %(invoice)s overdue", invoice=invoice.name)
            getattr(services.sudo(), f"action_{action}")(reason=reason)
            invoice.with_context(wisp_service_ids=services.ids).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )
            _logger.info("Dunning: %s %s for %s", action, services.ids, invoice.name)

    # -------------------------------------------------------------------------
    # Wallet
    # -------------------------------------------------------------------------
    def _wisp_apply_wallet(self):
        """Pay these invoices from their accounts' wallet credit, oldest first.

        The account row is locked first so two applications at once cannot
        spend the same credit; reconciliation never takes more than a credit
        line holds, so the wallet cannot go below zero.
        """
        invoices = self.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state not in SETTLED_STATES
            )
        )
        if not invoices:
            return 0.0
        invoices.commercial_partner_id._wisp_lock()
        applied = 0.0
        for invoice in invoices:
            receivable = invoice.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            )
            for credit in invoice.commercial_partner_id._wisp_wallet_credit_lines():
                if not receivable or receivable.reconciled:
                    break
                if credit.account_id != receivable.account_id:
                    continue
                before = invoice.amount_residual
                (credit | receivable).reconcile()
                applied += before - invoice.amount_residual
        return applied

    def action_wisp_apply_wallet(self):
        if not self.commercial_partner_id.wisp_wallet_balance:
            raise UserError(self.env._("The subscriber has no wallet balance to apply."))
        self._wisp_apply_wallet()
        return True

    # -------------------------------------------------------------------------
    # Report helpers
    # -------------------------------------------------------------------------
    def _wisp_installment_progress(self):
        """Installment plans billed on this invoice with their progress."""
        self.ensure_one()
        return self.invoice_line_ids.wisp_installment_id
