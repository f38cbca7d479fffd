from odoo import api, models


class WispCpeDevice(models.Model):
    _inherit = "wisp.cpe.device"

    @api.model_create_multi
    def create(self, vals_list):
        devices = super().create(vals_list)
        devices.service_id._fill_mac_from_devices()
        return devices

    def write(self, vals):
        if "mac_address" not in vals:
            return super().write(vals)
        # A CPE swapped or re-registered: the DHCP service that was known by the
        # old MAC follows the device to its new one (its lease moves with it).
        followers = {
            device: device.service_id
            for device in self.sudo()
            if device.mac_address
            and device.service_id.access_method == "dhcp"
            and device.service_id.mac_address == device.mac_address
        }
        result = super().write(vals)
        for device, service in followers.items():
            if device.mac_address:
                service.mac_address = device.mac_address
        self.service_id._fill_mac_from_devices()
        return result
