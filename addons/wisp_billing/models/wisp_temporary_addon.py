from odoo import Command, api, fields, models
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone
from odoo.exceptions import UserError, ValidationError

STATES = [
    ("scheduled", "Scheduled"),
    ("running", "Running"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]


class WispTemporaryAddon(models.Model):
    """An add-on on a service for a date range (a holiday speed boost).

    It goes through the service's add-ons (``addon_ids``), as a clerk adding and
    removing it would: a daily cron adds it on its first day and removes it the
    day after its last, each service on its own. Billing settles an add-on added
    or removed on a running service from that day (``wisp.service.write``), so the
    add-on is charged for exactly the days of the range, by the same proration;
    whatever follows add-ons (the router's profile) follows it too.
    """

    _name = "wisp.temporary.addon"
    _inherit = ["wisp.protected.fields.mixin"]
    _description = "Temporary Add-on"
    _order = "date_start desc, id desc"

    service_id = fields.Many2one("wisp.service", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Add-on",
        required=True,
        domain="[('is_wisp_addon', '=', True)]",
        check_company=True,
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True, index=True)
    date_start = fields.Date(required=True, string="From")
    date_end = fields.Date(required=True, string="Until", help="Last day with the add-on.")
    state = fields.Selection(STATES, default="scheduled", required=True, readonly=True)

    @api.constrains("date_start", "date_end", "product_id", "service_id")
    def _check_range(self):
        for boost in self:
            if boost.date_end < boost.date_start:
                raise ValidationError(self.env._("A temporary add-on ends after it starts."))
            if not boost.product_id.is_wisp_addon:
                raise ValidationError(
                    self.env._(
                        "%(product)s is not an add-on.", product=boost.product_id.display_name
                    )
                )
            if boost.state == "scheduled" and boost.product_id in boost.service_id.addon_ids:
                raise ValidationError(
                    self.env._(
                        "%(service)s already has %(addon)s.",
                        service=boost.service_id.display_name,
                        addon=boost.product_id.display_name,
                    )
                )

    @api.model
    def _wisp_field_write_groups(self):
        # where it stands is the cron's and Cancel's: a clerk writing it would leave
        # the add-on on the service for good
        return {**super()._wisp_field_write_groups(), "state": ()}

    def write(self, vals):
        """What is on the service already stays what it is: the cron removes the
        add-on it added, on the service it added it to."""
        moved = vals.keys() & {"service_id", "product_id", "date_start"}
        if moved and not self.env.su and self.filtered(lambda b: b.state != "scheduled"):
            raise UserError(
                self.env._(
                    "A temporary add-on that has started keeps its service, add-on and "
                    "first day: change its last day or cancel it."
                )
            )
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        boosts = super().create(vals_list)
        # one starting today need not wait for tomorrow's cron
        boosts._wisp_apply_due()
        return boosts

    def action_cancel(self):
        """Stop it: a running one is removed from the service today (and credited
        from today, as any add-on removed)."""
        self.check_access("write")
        boosts = self.sudo()  # checked: moving the add-on and its state is this code's
        boosts.filtered(lambda b: b.state == "running")._wisp_remove()
        boosts.filtered(lambda b: b.state == "scheduled").write({"state": "cancelled"})

    @api.model
    def _cron_apply(self):
        """Daily: add the add-ons whose range starts, remove those whose range ended."""
        self.sudo().search([("state", "in", ("scheduled", "running"))])._wisp_apply_due()

    def _wisp_apply_due(self):
        today = fields.Date.context_today(self)
        due = self.filtered(
            lambda b: (
                (b.state == "scheduled" and b.date_start <= today)
                or (b.state == "running" and b.date_end < today)
            )
        )
        by_service = due.grouped("service_id")
        each_alone(
            due.service_id.sudo(),
            lambda service: by_service[service].sudo()._wisp_step(today),
            self.env._("Temporary add-on failed"),
        )

    def _wisp_step(self, today):
        for boost in self:
            if boost.state == "scheduled" and boost.date_end < today:
                boost.state = "done"  # over before it could start: never added
            elif boost.state == "scheduled":
                link = Command.link(boost.product_id.id)
                boost.service_id.write({"addon_ids": [link]})
                boost.state = "running"
            else:
                boost._wisp_remove()

    def _wisp_remove(self):
        for boost in self:
            unlink = Command.unlink(boost.product_id.id)
            boost.service_id.write({"addon_ids": [unlink]})
        self.state = "done"
