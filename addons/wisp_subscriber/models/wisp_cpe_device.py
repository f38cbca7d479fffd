import ipaddress
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

MAC_RE = re.compile(r"^[0-9A-F]{12}$")


def normalize_mac(env, value):
    """Return ``AA:BB:CC:DD:EE:FF`` for any common MAC spelling, or raise."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", value or "").upper()
    if not MAC_RE.match(digits) or len(re.sub(r"[0-9A-Fa-f:.\-\s]", "", value)):
        raise ValidationError(env._("%(mac)r is not a MAC address.", mac=value))
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def normalize_ip(env, value):
    """Return the canonical text of an IPv4/IPv6 address, or raise."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        raise ValidationError(env._("%(ip)r is not an IP address.", ip=value)) from None


class WispCpeDevice(models.Model):
    """Equipment at the subscriber's premises (radio, router, ONT, set-top box)."""

    _name = "wisp.cpe.device"
    _description = "CPE Device"
    _inherit = ["mail.thread"]
    _order = "service_id, id"
    _rec_names_search = ["name", "serial_number", "mac_address"]

    name = fields.Char(string="Model", required=True)
    device_type = fields.Selection(
        [
            ("radio", "CPE Radio"),
            ("router", "Router"),
            ("ont", "ONT"),
            ("stb", "Set-top Box"),
            ("ata", "VoIP Adapter"),
            ("other", "Other"),
        ],
        required=True,
        default="radio",
    )
    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", tracking=True
    )
    partner_id = fields.Many2one(related="service_id.commercial_partner_id", store=True)
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    serial_number = fields.Char(tracking=True)
    mac_address = fields.Char(string="MAC Address", tracking=True)
    ip_address = fields.Char(string="Management IP", tracking=True)
    installed_date = fields.Date()
    active = fields.Boolean(default=True)
    note = fields.Text(groups="base.group_user")

    _mac_uniq = models.Constraint(
        "UNIQUE(mac_address)", "A device with this MAC address is already registered."
    )
    _serial_uniq = models.Constraint(
        "UNIQUE(serial_number)", "A device with this serial number is already registered."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_vals(vals)
        self._check_unique_identity(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_vals(vals)
        self._check_unique_identity([vals] * len(self))
        return super().write(vals)

    def _normalize_vals(self, vals):
        if vals.get("mac_address"):
            vals["mac_address"] = normalize_mac(self.env, vals["mac_address"])
        if vals.get("ip_address"):
            vals["ip_address"] = normalize_ip(self.env, vals["ip_address"])
        if vals.get("serial_number"):
            vals["serial_number"] = vals["serial_number"].strip()

    def _check_unique_identity(self, vals_list):
        """Name the device that already holds a MAC or serial before inserting.

        The UNIQUE constraints remain the guarantee under concurrency.
        """
        for field, label in (("mac_address", "MAC address"), ("serial_number", "serial number")):
            values = [vals[field] for vals in vals_list if vals.get(field)]
            if len(values) != len(set(values)):
                raise ValidationError(
                    self.env._("Two devices cannot share a %(label)s.", label=label)
                )
            clash = values and self.sudo().search(
                [(field, "in", values), ("id", "not in", self.ids)], limit=1
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "A device with %(label)s %(value)s is already registered on %(service)s.",
                        label=label,
                        value=clash[field],
                        service=clash.service_id.display_name,
                    )
                )
