from odoo import api, fields, models

from ..models.wisp_cpe_device import normalize_mac
from ..tools.access import INSTALLER, NETWORK, SUPPORT, check_groups


class WispInstallationComplete(models.TransientModel):
    """Completing an installation on site: the device mounted (serial number and MAC
    address) is recorded with the report, then the order is done and the service
    activated."""

    _name = "wisp.installation.complete"
    _description = "Complete Installation"

    order_id = fields.Many2one(
        "wisp.installation.order", required=True, readonly=True, ondelete="cascade"
    )
    service_id = fields.Many2one(related="order_id.service_id")
    street = fields.Char(related="order_id.street")
    device_name = fields.Char(string="Device Model", required=True)
    device_type = fields.Selection(
        lambda self: self.env["wisp.cpe.device"]._fields["device_type"].selection,
        required=True,
        default="radio",
    )
    serial_number = fields.Char(required=True)
    mac_address = fields.Char(string="MAC Address", required=True)
    report = fields.Text(string="Installer's Report")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        order = self.env["wisp.installation.order"].browse(values.get("order_id"))
        if order and "report" in fields_list:
            values["report"] = order.report
        if order.cpe_product_id:
            # the serial reserved for the order, from the van: usually the one mounted
            order.check_access("read")
            reserved = order.sudo().picking_id.move_line_ids.lot_id[:1]
            if "device_name" in fields_list:
                values.setdefault("device_name", order.cpe_product_id.name)
            if reserved and "serial_number" in fields_list:
                values.setdefault("serial_number", reserved.name)
        return values

    def action_complete(self):
        # As the order's own button: installers their own orders (record rules on the
        # order and the device), the office any order.
        check_groups(self.env, (INSTALLER, SUPPORT, NETWORK))
        self.ensure_one()
        order = self.order_id
        order.check_access("write")
        values = {
            "name": self.device_name,
            "device_type": self.device_type,
            "serial_number": self.serial_number.strip(),
            "mac_address": normalize_mac(self.env, self.mac_address),
            "installed_date": fields.Date.context_today(self),
        }
        # A device the office registered on this service beforehand (from stock, by its
        # serial number or MAC) is the one mounted: completed, not registered twice.
        registered = order.service_id.device_ids.filtered(
            lambda d: (
                d.serial_number == values["serial_number"] or d.mac_address == values["mac_address"]
            )
        )[:1]
        if registered:
            registered.write(values)
        else:
            self.env["wisp.cpe.device"].create({**values, "service_id": order.service_id.id})
        if self.report:
            order.report = self.report
        order.action_done()
        return {"type": "ir.actions.act_window_close"}
