from odoo import api, fields, models


class WispResellerLocation(models.Model):
    """Where customers buy vouchers for cash; published ones are shown on the
    website."""

    _name = "wisp.reseller.location"
    _description = "Reseller Location"
    _order = "sequence, name"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_published = fields.Boolean(string="Published", default=True)
    reseller_id = fields.Many2one(
        "res.partner", required=True, domain="[('wisp_is_reseller', '=', True)]", index=True
    )
    street = fields.Char()
    city = fields.Char()
    zip = fields.Char()
    country_id = fields.Many2one("res.country")
    phone = fields.Char()
    opening_hours = fields.Char(help="e.g. Mon-Sat 8:00-20:00")
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    map_url = fields.Char(compute="_compute_map_url", store=True, readonly=False)

    @api.depends("latitude", "longitude")
    def _compute_map_url(self):
        for location in self:
            if location.latitude or location.longitude:
                location.map_url = (
                    "https://www.openstreetmap.org/?mlat="
                    f"{location.latitude}&mlon={location.longitude}#map=18/"
                    f"{location.latitude}/{location.longitude}"
                )
