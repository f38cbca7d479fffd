from odoo import fields, models

from ..models.wisp_installation_order import OFFICE
from ..tools.access import check_groups


class WispInstallationProposal(models.TransientModel):
    """One proposed installer and start for an installation order, to choose from."""

    _name = "wisp.installation.proposal"
    _description = "Installer Proposal"
    _order = "rank"

    order_id = fields.Many2one(
        "wisp.installation.order", required=True, ondelete="cascade", readonly=True
    )
    installer_id = fields.Many2one("res.users", required=True, readonly=True)
    start = fields.Datetime(required=True, readonly=True)
    distance_km = fields.Float(string="Distance (km)", digits=(16, 1), readonly=True)
    distance_known = fields.Boolean(readonly=True)
    rank = fields.Integer(readonly=True)

    def action_choose(self):
        """Give the order to this installer at this time (and schedule it if it was not)."""
        check_groups(self.env, OFFICE)
        self.ensure_one()
        self.check_access("write")  # the planner's own proposals (record rule)
        order = self.order_id
        order.check_access("write")
        order.write({"installer_id": self.installer_id.id, "scheduled_date": self.start})
        if order.state == "draft":
            order.action_schedule()
        # back to the order's form, which the proposals were opened from
        return {"type": "ir.actions.act_window_close"}
