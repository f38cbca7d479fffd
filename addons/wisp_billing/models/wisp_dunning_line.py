from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, check_groups
from odoo.exceptions import UserError
from odoo.tools import SQL

from .account_move import OPEN_PAYMENT_STATES

DUNNING_STAGES = [
    ("upcoming", "Not Due"),
    ("reminded", "Reminded"),
    ("grace", "In Grace"),  # overdue, services not held yet
    ("held", "Held"),
]


class WispDunningLine(models.Model):
    """The dunning work list: one line per open recurring invoice, the ones the
    dunning cron reminds and holds (see ``account.move._wisp_dunning``).

    Read from the invoices by one query (``_table_query``), so the list, its
    filters and its counts are the database's work whatever the number of
    subscribers. ``hold_date`` is the first day the cron holds the invoice's
    services (the day after the grace period).
    """

    _name = "wisp.dunning.line"
    _description = "Dunning Work List"
    _auto = False
    _order = "held, hold_date, id"
    _rec_name = "move_id"
    # flushed before the list reads the query (the ORM cannot see into it)
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "payment_state",
            "wisp_cycle_start",
            "commercial_partner_id",
            "company_id",
            "currency_id",
            "invoice_date",
            "invoice_date_due",
            "amount_total",
            "amount_residual",
            "wisp_reminder_sent",
            "wisp_reminder_date",
            "wisp_blocked_service_ids",
        ],
        "res.company": ["wisp_grace_days", "wisp_overdue_action"],
    }

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Subscriber", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    invoice_date = fields.Date(readonly=True)
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    amount_residual = fields.Monetary(string="Amount Due", readonly=True)
    reminder_sent = fields.Boolean(string="Reminded", readonly=True)
    reminder_date = fields.Date(string="Reminded On", readonly=True)
    hold_date = fields.Date(
        string="Hold On",
        readonly=True,
        help="First day the dunning restricts or suspends the services of this "
        "invoice if it is still unpaid (due date + grace period + 1).",
    )
    held = fields.Boolean(
        string="Services Held",
        readonly=True,
        help="Services of this invoice are restricted or suspended until it is paid.",
    )
    overdue_action = fields.Selection(
        [("restrict", "Restrict"), ("suspend", "Suspend")],
        string="Dunning Action",
        readonly=True,
    )
    days_overdue = fields.Integer(compute="_compute_stage")
    stage = fields.Selection(DUNNING_STAGES, compute="_compute_stage")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT m.id AS id,
                   m.id AS move_id,
                   m.commercial_partner_id AS partner_id,
                   m.company_id,
                   m.currency_id,
                   m.invoice_date,
                   m.invoice_date_due,
                   m.amount_total,
                   m.amount_residual,
                   COALESCE(m.wisp_reminder_sent, FALSE) AS reminder_sent,
                   m.wisp_reminder_date AS reminder_date,
                   m.invoice_date_due + COALESCE(c.wisp_grace_days, 0) + 1 AS hold_date,
                   held.move_id IS NOT NULL AS held,
                   c.wisp_overdue_action AS overdue_action
              FROM account_move m
              JOIN res_company c ON c.id = m.company_id
              -- a join, not EXISTS per line: its cost estimate keeps PostgreSQL
              -- from compiling (JIT) a query that runs in milliseconds
              LEFT JOIN (
                  SELECT DISTINCT move_id FROM account_move_wisp_blocked_service_rel
              ) held ON held.move_id = m.id
             WHERE m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN %s
               AND m.wisp_cycle_start IS NOT NULL
            """,
            OPEN_PAYMENT_STATES,
        )

    @api.depends_context("tz")
    def _compute_stage(self):
        # relative to the user's today, like the dunning cron's context_today
        today = fields.Date.context_today(self)
        for line in self:
            due = line.invoice_date_due
            line.days_overdue = max((today - due).days, 0) if due else 0
            if line.held:
                line.stage = "held"
            elif due and due < today:
                line.stage = "grace"
            elif line.reminder_sent:
                line.stage = "reminded"
            else:
                line.stage = "upcoming"

    # ------------------------------------------------------------------ actions
    def _wisp_check(self):
        check_groups(self.env, (BILLING,))
        self.check_access("read")

    def action_send_reminder(self):
        """Send the payment reminder now (again, if it was already sent)."""
        self._wisp_check()
        # the flags are the dunning's (superuser writes)
        self.move_id.sudo()._wisp_send_reminder()
        return True

    def action_suspend_now(self):
        """Suspend the services of these overdue invoices without waiting for the
        end of the grace period; paying the invoice reactivates them as usual."""
        self._wisp_check()
        today = fields.Date.context_today(self)
        not_due = self.filtered(lambda line: line.invoice_date_due >= today)
        if not_due:
            raise UserError(
                self.env._(
                    "Invoice %(invoices)s is not overdue yet.",
                    invoices=", ".join(not_due.move_id.mapped("name")),
                )
            )
        for invoice in self.move_id.sudo():
            invoice._wisp_hold_services("suspend")
        return True

    def action_register_payment(self):
        """Odoo's payment wizard on the invoices, under the user's own accounting rights."""
        self._wisp_check()
        return self.move_id.action_register_payment()

    def action_open_subscriber(self):
        self._wisp_check()
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [[False, "form"]],
            "target": "current",
        }

    def action_open_invoice(self):
        self._wisp_check()
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "views": [[False, "form"]],
            "target": "current",
        }
