from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.wisp_service import TRANSITIONS

# The moves staff make by hand with a reason (the others have their own buttons).
MOVES = [
    ("suspend", "Suspend"),
    ("reactivate", "Reactivate"),
    ("pause", "Pause"),
    ("resume", "Resume"),
]


class WispServiceStateChange(models.TransientModel):
    """Suspend, reactivate, pause or resume services with the reason, through the
    life cycle (``wisp.service._apply_transition`` checks the role and the move)."""

    _name = "wisp.service.state.change"
    _description = "Service Status Change"

    transition = fields.Selection(MOVES, required=True)
    partner_id = fields.Many2one("res.partner", string="Subscriber")
    allowed_service_ids = fields.Many2many("wisp.service", compute="_compute_allowed_service_ids")
    service_ids = fields.Many2many(
        "wisp.service",
        string="Services",
        required=True,
        domain="[('id', 'in', allowed_service_ids)]",
    )
    reason = fields.Char()
    pause_until = fields.Date(
        string="Resume On", help="The service resumes by itself on this date."
    )

    @api.model
    def _movable_services(self, accounts, transition):
        """The services of ``accounts`` that ``transition`` may move (as the user reads them)."""
        from_states = TRANSITIONS[transition][0] if transition else ()
        return self.env["wisp.service"].search(
            [("commercial_partner_id", "in", accounts.ids), ("state", "in", from_states)]
        )

    @api.depends("partner_id", "transition", "service_ids")
    def _compute_allowed_service_ids(self):
        for wizard in self:
            accounts = (
                wizard.partner_id.commercial_partner_id or wizard.service_ids.commercial_partner_id
            )
            wizard.allowed_service_ids = self._movable_services(accounts, wizard.transition)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # From the subscriber header: every service the move applies to.
        if "service_ids" in fields_list and not values.get("service_ids"):
            partner = self.env["res.partner"].browse(values.get("partner_id"))
            transition = values.get("transition")
            if partner and transition:
                services = self._movable_services(partner.commercial_partner_id, transition)
                values["service_ids"] = [fields.Command.set(services.ids)]
        return values

    def action_apply(self):
        self.ensure_one()
        self.check_access("write")  # its author's own wizard (record rule)
        services = self.service_ids
        if self.transition in ("suspend", "pause") and not self.reason:
            raise UserError(self.env._("Say why: the reason is shown on the service."))
        if self.transition == "suspend":
            services.action_suspend(reason=self.reason)
        elif self.transition == "pause":
            if not self.pause_until:
                raise UserError(self.env._("Set the date the pause ends."))
            services.action_pause(until=self.pause_until, reason=self.reason)
        else:
            if self.transition == "reactivate":
                services.action_reactivate()
            else:
                services.action_resume()
            # the status reason is cleared on the way back: the chatter keeps why
            if self.reason:
                move = dict(self._fields["transition"]._description_selection(self.env))
                for service in services:
                    service.message_post(
                        body=self.env._(
                            "%(move)s: %(reason)s", move=move[self.transition], reason=self.reason
                        )
                    )
        return True
