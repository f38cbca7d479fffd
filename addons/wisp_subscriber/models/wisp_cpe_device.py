import ipaddress
import re

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

MAC_RE = re.compile(r"^[0-9A-F]{12}$")

# Whose the device is: a rented one pays a monthly fee and goes back to stock at the
# end, a sold one is paid in installments, a customer's own is only recorded.
OWNERSHIPS = [
    ("rented", "Rented"),
    ("sold", "Sold"),
    ("customer_owned", "Customer-owned"),
]
# Where a device that came out of stock is (empty for a device not from stock).
STOCK_STATES = [
    ("installed", "At the Subscriber's"),
    ("to_return", "To Return"),
    ("returned", "Returned"),
    ("lost", "Lost"),
]
# Kept by the stock flow only (installation, termination, return, loss), as superuser.
STOCK_FIELDS = (
    "product_id",
    "lot_id",
    "ownership",
    "stock_state",
    "delivery_picking_id",
    "return_picking_id",
    "return_requested_date",
)


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
    _inherit = ["mail.thread", "mail.activity.mixin", "wisp.protected.fields.mixin"]
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
    # From stock: the CPE model and the serial delivered (serial_number is the lot's name).
    product_id = fields.Many2one(
        "product.product",
        string="CPE Model",
        domain=[("is_wisp_cpe", "=", True)],
        readonly=True,
        tracking=True,
    )
    lot_id = fields.Many2one(
        "stock.lot", string="Stock Serial", readonly=True, copy=False, index="btree_not_null"
    )
    ownership = fields.Selection(OWNERSHIPS, default="rented", required=True, tracking=True)
    stock_state = fields.Selection(
        STOCK_STATES, string="Stock Status", readonly=True, copy=False, tracking=True
    )
    delivery_picking_id = fields.Many2one(
        "stock.picking", string="Delivery", readonly=True, copy=False, groups="base.group_user"
    )
    return_picking_id = fields.Many2one(
        "stock.picking",
        string="Return",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    return_requested_date = fields.Date(readonly=True, copy=False)

    _mac_uniq = models.Constraint(
        "UNIQUE(mac_address)", "A device with this MAC address is already registered."
    )
    _serial_uniq = models.Constraint(
        "UNIQUE(serial_number)", "A device with this serial number is already registered."
    )

    @api.model
    def _wisp_field_write_groups(self):
        return {**super()._wisp_field_write_groups(), **dict.fromkeys(STOCK_FIELDS, ())}

    @api.constrains("serial_number", "lot_id")
    def _check_serial_is_lot(self):
        for device in self.sudo().filtered("lot_id"):
            if device.serial_number != device.lot_id.name:
                raise ValidationError(
                    self.env._(
                        "Device %(device)s came out of stock as serial %(lot)s: its serial "
                        "number is that one.",
                        device=device.name,
                        lot=device.lot_id.name,
                    )
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

    # -------------------------------------------------------------------------
    # Stock: delivered at installation, returned at termination
    # -------------------------------------------------------------------------
    def _wisp_delivered(self, lot, picking, ownership):
        """This device is ``lot`` of ``picking`` (validated): it is at the subscriber's.

        A rented device starts its monthly fee, a sold one its installments.
        """
        self.ensure_one()
        self.sudo().write(
            {
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "serial_number": lot.name,
                "ownership": ownership,
                "stock_state": "installed",
                "delivery_picking_id": picking.id,
            }
        )
        if ownership == "rented":
            self._wisp_start_rental()
        elif ownership == "sold":
            self._wisp_start_sale()

    def _wisp_start_rental(self):
        """The model's rental fee is an add-on of the service: billed, prorated and
        settled as any add-on (one fee per rental product and service)."""
        fee = self.product_id.wisp_cpe_rental_product_id
        if fee and fee not in self.service_id.addon_ids:
            self.service_id.sudo().write({"addon_ids": [Command.link(fee.id)]})

    def _wisp_stop_rental(self):
        """No rented device of the model is at the subscriber's any more: its fee
        stops (settled from today by billing, as an add-on removed)."""
        for device in self.sudo():
            fee = device.product_id.wisp_cpe_rental_product_id
            others = device.service_id.device_ids - device
            still_rented = others.filtered(
                lambda d, fee=fee: (
                    d.ownership == "rented"
                    and d.stock_state == "installed"
                    and d.product_id.wisp_cpe_rental_product_id == fee
                )
            )
            if fee and fee in device.service_id.addon_ids and not still_rented:
                device.service_id.write({"addon_ids": [Command.unlink(fee.id)]})

    def _wisp_start_sale(self):
        """A sold device is paid in equal installments of its sales price."""
        product = self.product_id
        count = product.wisp_cpe_installment_count or 1
        amount = self.service_id.currency_id.round(product.lst_price / count)
        if amount <= 0:
            return
        self.env["wisp.service.installment"].sudo().create(
            {
                "name": self.env._(
                    "%(model)s, serial %(serial)s", model=product.name, serial=self.serial_number
                ),
                "service_id": self.service_id.id,
                "product_id": product.id,
                "amount": amount,
                "installment_count": count,
            }
        )

    def _wisp_request_return(self):
        """The service ended: each rented device delivered from stock gets its return
        picking (Odoo's return of the delivery, from the customer to the warehouse)."""
        today = fields.Date.context_today(self)
        for device in self.sudo().filtered(
            lambda d: (
                d.ownership == "rented"
                and d.stock_state == "installed"
                and d.delivery_picking_id.state == "done"
            )
        ):
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_company(device.company_id)
                .create({"picking_id": device.delivery_picking_id.id})
            )
            action = wizard.action_create_returns_all()
            device.write(
                {
                    "stock_state": "to_return",
                    "return_picking_id": action["res_id"],
                    "return_requested_date": today,
                }
            )

    def _wisp_returned(self):
        """The return picking of these devices was validated: they are back in stock."""
        self.sudo().write({"stock_state": "returned"})
        self._wisp_stop_rental()
