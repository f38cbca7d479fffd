from odoo import api, fields, models

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
        return values

    def action_complete(self):
        # As the order's own button: installers their own orders (record rules on the
        # order and the device), the office any order.
        check_groups(self.env, (INSTALLER, SUPPORT, NETWORK))
        self.ensure_one()
        order = self.order_id
        order.check_access("write")
        self.env["wisp.cpe.device"].create(
            {
                "name": self.device_name,
                "device_type": self.device_type,
                "service_id": order.service_id.id,
                "serial_number": self.serial_number,
                "mac_address": self.mac_address,
                "installed_date": fields.Date.context_today(self),
            }
        )
        if self.report:
            order.report = self.report
        order.action_done()
        return {"type": "ir.actions.act_window_close"}
