from odoo import api, fields, models

from ..tools.access import (
    BILLING,
    NETWORK,
    STAFF,
    SUPPORT,
    check_groups,
    related_action,
)
from ..tools.geo import distance_km, has_position
from .res_partner import STATE_PRIORITY

# The office reads the map; an installer has its own orders, not the customer base.
MAP_GROUPS = (SUPPORT, BILLING, NETWORK)


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
    coverage_radius_km = fields.Float(
        string="Coverage Radius (km)",
        default=5.0,
        help="Addresses farther than this from the site are out of its coverage.",
    )
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
        return related_action(
            self,
            STAFF,
            "wisp_subscriber.wisp_service_action",
            lambda record: ([("site_id", "=", record.id)], {"default_site_id": record.id}),
        )

    def _nearest(self, latitude, longitude):
        """(site, distance in km) of the site of ``self`` nearest to the point, or
        (empty, 0.0) when none of them has a position."""
        best, best_km = self.browse(), 0.0
        for site in self.filtered(lambda s: has_position(s.latitude, s.longitude)):
            km = distance_km(latitude, longitude, site.latitude, site.longitude)
            if not best or km < best_km:
                best, best_km = site, km
        return best, best_km

    @api.model
    def get_map_points(self):
        """What the map of sites and subscribers shows, read with the caller's rights.

        :return: ``{"sites": [...], "subscribers": [...], "legend": [...]}``: each
            site with a position (id, name, code, latitude, longitude, coverage radius,
            service count); each service address with a position (id, name, street,
            city, latitude, longitude, the subscriber's id and name, its services'
            most pressing status, its label and their count); the legend lists the
            statuses shown (state, label), most pressing first. Terminated services
            are left out.
        """
        check_groups(self.env, MAP_GROUPS)
        sites = self.search([])
        site_points = [
            {
                "id": site.id,
                "name": site.name,
                "code": site.code,
                "latitude": site.latitude,
                "longitude": site.longitude,
                "coverage_radius_km": site.coverage_radius_km,
                "service_count": site.service_count,
            }
            for site in sites
            if has_position(site.latitude, site.longitude)
        ]
        groups = self.env["wisp.service"]._read_group(
            [("state", "!=", "terminated"), ("address_id", "!=", False)],
            ["address_id", "state"],
            ["__count"],
        )
        by_address = {}
        for address, state, count in groups:
            states, total = by_address.get(address, (set(), 0))
            by_address[address] = (states | {state}, total + count)
        labels = dict(self.env["wisp.service"]._fields["state"]._description_selection(self.env))
        subscriber_points = []
        for address, (states, total) in by_address.items():
            if not has_position(address.partner_latitude, address.partner_longitude):
                continue
            subscriber = address.commercial_partner_id
            subscriber_points.append(
                {
                    "id": address.id,
                    "name": address.name or subscriber.name,
                    "street": address.street or "",
                    "city": address.city or "",
                    "latitude": address.partner_latitude,
                    "longitude": address.partner_longitude,
                    "subscriber_id": subscriber.id,
                    "subscriber_name": subscriber.name,
                    "state": (state := next(s for s in STATE_PRIORITY if s in states)),
                    "state_label": labels[state],
                    "service_count": total,
                }
            )
        subscriber_points.sort(key=lambda point: (point["subscriber_name"], point["id"]))
        legend = [
            {"state": state, "label": labels[state]}
            for state in STATE_PRIORITY
            if state != "terminated"
        ]
        return {"sites": site_points, "subscribers": subscriber_points, "legend": legend}
