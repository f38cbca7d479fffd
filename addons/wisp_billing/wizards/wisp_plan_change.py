from odoo import api, fields, models
from odoo.exceptions import UserError


class WispPlanChange(models.TransientModel):
    """Change a service's plan from the back office, seeing first what the change
    puts on the invoices (``wisp.service._wisp_plan_change_preview``, the figures
    the portal shows) and applying it through ``action_change_plan``."""

    _name = "wisp.plan.change"
    _description = "Change a Service's Plan"

    partner_id = fields.Many2one("res.partner", string="Subscriber")
    service_id = fields.Many2one(
        "wisp.service",
        required=True,
        domain="[('commercial_partner_id', '=?', partner_id), ('state', '!=', 'terminated')]",
    )
    service_type = fields.Selection(related="service_id.service_type")
    current_plan_id = fields.Many2one(related="service_id.plan_id", string="Current Plan")
    plan_id = fields.Many2one(
        "product.product",
        string="New Plan",
        required=True,
        domain="[('is_wisp_plan', '=', True), ('service_type', '=', service_type),"
        " ('id', '!=', current_plan_id)]",
    )
    when = fields.Selection(
        [("now", "Now"), ("date", "On a date")],
        required=True,
        default="now",
    )
    effective_date = fields.Date(string="Change On")
    currency_id = fields.Many2one(related="service_id.currency_id")
    preview_credit = fields.Monetary(
        string="Credited", compute="_compute_preview", help="Days already billed, paid back."
    )
    preview_charge = fields.Monetary(
        string="Charged", compute="_compute_preview", help="The new plan up to its block end."
    )
    preview_net = fields.Monetary(string="Net", compute="_compute_preview")
    preview_start = fields.Date(string="From", compute="_compute_preview")
    preview_end = fields.Date(string="To", compute="_compute_preview")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # From the subscriber header: its only running service is the one to change.
        if values.get("partner_id") and not values.get("service_id"):
            partner = self.env["res.partner"].browse(values["partner_id"])
            services = self.env["wisp.service"].search(
                [
                    ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                    ("state", "!=", "terminated"),
                ],
                limit=2,
            )
            if len(services) == 1:
                values["service_id"] = services.id
        return values

    def _effective_date(self):
        return self.effective_date if self.when == "date" else fields.Date.context_today(self)

    @api.depends("service_id", "plan_id", "when", "effective_date")
    def _compute_preview(self):
        for wizard in self:
            preview = {}
            day = wizard._effective_date()
            if wizard.service_id and wizard.plan_id and day:
                preview = wizard.service_id._wisp_plan_change_preview(wizard.plan_id, day)
            wizard.preview_credit = preview.get("credit", 0.0)
            wizard.preview_charge = preview.get("charge", 0.0)
            wizard.preview_net = preview.get("net", 0.0)
            wizard.preview_start = preview.get("start", False)
            wizard.preview_end = preview.get("end", False)

    def action_apply(self):
        self.ensure_one()
        self.check_access("write")  # its author's own wizard (record rule)
        day = self._effective_date()
        if not day:
            raise UserError(self.env._("Choose the date of the change."))
        self.service_id.action_change_plan(self.plan_id, day)
        return {"type": "ir.actions.act_window_close"}
