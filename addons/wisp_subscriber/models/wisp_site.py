from odoo import fields, models

from ..tools.access import STAFF, check_groups


class WispSite(models.Model):
    """A tower or point of presence: the place services are fed from."""

    _name = "wisp.site"
    _description = "WISP Site"
    _order = "name"

    name = fields.Char(required=True)
    code = fields.Char(required=True, help="Short code used in references and router names.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    street = fields.Char()
    city = fields.Char()
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    note = fields.Text()
    service_ids = fields.One2many("wisp.service", "site_id")
    service_count = fields.Integer(compute="_compute_service_count")

    _code_company_uniq = models.Constraint(
        "UNIQUE(code, company_id)", "A site code must be unique per company."
    )

    def _compute_service_count(self):
        counts = dict(
            self.env["wisp.service"]._read_group(
                [("site_id", "in", self.ids), ("state", "!=", "terminated")],
                ["site_id"],
                ["__count"],
            )
        )
        for site in self:
            site.service_count = counts.get(site, 0)

    def action_view_services(self):
        check_groups(self.env, STAFF)
        self.check_access("read")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wisp_subscriber.wisp_service_action"
        )
        action["domain"] = [("site_id", "=", self.id)]
        action["context"] = {"default_site_id": self.id}
        return action
