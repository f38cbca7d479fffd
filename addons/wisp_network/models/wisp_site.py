import io
import zipfile

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import (
    BILLING,
    NETWORK,
    SUPPORT,
    check_groups,
    related_action,
)

from ..tools import libreqos

IP_READERS = f"{SUPPORT},{BILLING},{NETWORK}"


class WispSite(models.Model):
    _inherit = "wisp.site"

    router_ids = fields.One2many("wisp.router", "site_id", string="Routers")
    # The roles that read pools (installers do not).
    ip_pool_ids = fields.One2many("wisp.ip.pool", "site_id", string="IP Pools", groups=IP_READERS)
    ip_pool_count = fields.Integer(
        compute="_compute_ip_usage", string="IP Pools Count", groups=IP_READERS
    )
    ip_free_count = fields.Integer(
        compute="_compute_ip_usage", string="Free Addresses", groups=IP_READERS
    )
    ip_used_count = fields.Integer(
        compute="_compute_ip_usage", string="Used Addresses", groups=IP_READERS
    )
    ip_quarantined_count = fields.Integer(
        compute="_compute_ip_usage", string="Quarantined Addresses", groups=IP_READERS
    )
    ip_usage_pct = fields.Float(
        compute="_compute_ip_usage", string="IPv4 Usage (%)", groups=IP_READERS
    )

    def _compute_ip_usage(self):
        """IPv4 usage of the site's pools (IPv6 prefixes are counted on their pools)."""
        pools = self.env["wisp.ip.pool"].search([("site_id", "in", self.ids)])
        for site in self:
            site_pools = pools.filtered(lambda p, site=site: p.site_id == site)
            ipv4 = site_pools.filtered(lambda p: p.ip_version == "4")
            site.ip_pool_count = len(site_pools)
            site.ip_free_count = sum(ipv4.mapped("free_count"))
            site.ip_used_count = sum(ipv4.mapped("used_count"))
            site.ip_quarantined_count = sum(ipv4.mapped("quarantined_count"))
            usable = site.ip_free_count + site.ip_used_count + site.ip_quarantined_count
            taken = site.ip_used_count + site.ip_quarantined_count
            site.ip_usage_pct = 100.0 * taken / usable if usable else 0.0

    def action_view_ip_pools(self):
        return related_action(
            self,
            (SUPPORT, BILLING, NETWORK),
            "wisp_network.wisp_ip_pool_action",
            lambda record: ([("site_id", "=", record.id)], {"default_site_id": record.id}),
        )

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
                    ipv6=state.ipv6_prefix,
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
