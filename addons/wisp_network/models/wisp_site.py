import io
import zipfile

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import NETWORK, check_groups

from ..tools import libreqos


class WispSite(models.Model):
    _inherit = "wisp.site"

    router_ids = fields.One2many("wisp.router", "site_id", string="Routers")

    @api.model
    def action_download_libreqos(self):
        """Download the shaping topology for LibreQoS (a zip of its two input files)."""
        check_groups(self.env, (NETWORK,))
        return {"type": "ir.actions.act_url", "url": "/wisp_network/libreqos.zip", "target": "self"}

    @api.model
    def _libreqos_circuits(self):
        """The :class:`libreqos.Circuit` of every shaped service the user's companies
        serve: present on a router and with a static address to match its traffic
        (LibreQoS shapes by address; a dynamic address is unknown here)."""
        check_groups(self.env, (NETWORK,))
        services = self.env["wisp.service"].search(
            [("router_id", "!=", False), ("ip_address", "!=", False)], order="site_id, id"
        )
        # _network_states reads the login password (never exported): sudo after the check
        states = services.sudo()._network_states()
        circuits = []
        for service in services:
            state = states[service.sudo()]
            if not state or not state.remote_address:
                continue
            site, router = service.site_id, service.router_id
            device = service.device_ids[:1]
            circuits.append(
                libreqos.Circuit(
                    circuit_id=service.name,
                    name=service.partner_id.display_name or service.name,
                    device_id=device.serial_number or service.name,
                    device_name=device.name or service.login,
                    site=f"{site.name} ({site.code})",
                    router=f"{router.name} ({site.code})",
                    mac=service.mac_address or device.mac_address or "",
                    ipv4=state.remote_address,
                    download_kbps=state.profile.download_kbps,
                    upload_kbps=state.profile.upload_kbps,
                    comment=service.plan_id.display_name,
                )
            )
        return circuits

    @api.model
    def _libreqos_export(self):
        """``ShapedDevices.csv`` and ``network.json`` zipped (bytes)."""
        circuits = self._libreqos_circuits()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("ShapedDevices.csv", libreqos.shaped_devices_csv(circuits))
            archive.writestr("network.json", libreqos.network_json(circuits))
        return buffer.getvalue()
