import csv
import io
import json
import zipfile

from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from ..models.wisp_service import NO_SYNC
from .common import WispNetworkCase

# The header line of LibreQoS's src/ShapedDevices.example.csv, as LibreQoS reads it.
HEADER = (
    "Circuit ID,Circuit Name,Device ID,Device Name,Parent Node,MAC,IPv4,"
    "IPv6,Download Min Mbps,Upload Min Mbps,Download Max Mbps,Upload Max Mbps,Comment,sqm"
)
COLUMNS = HEADER.split(",")


def unzip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("ShapedDevices.csv").decode())))
        return rows, json.loads(archive.read("network.json"))


class LibreQoSData:
    def setUp(self):
        super().setUp()
        # The export is checked exactly: the demo's services with an address (its
        # DHCP/IPoE ones) are not this test's.
        self.env["wisp.service"].search([("ip_address", "!=", False)]).with_context(
            wisp_network_no_sync=NO_SYNC
        ).write({"ip_address": False})
        self.with_ip = self.new_service(state="active", ip_address="100.64.0.10")
        self.restricted = self.new_service(state="restricted", ip_address="100.64.0.11")
        self.new_service(state="active")  # no static address: LibreQoS cannot match it
        self.portal_user = make_portal_user(self.env, "t_lqos_portal")


@tagged("post_install", "-at_install")
class TestLibreQoSExport(LibreQoSData, WispNetworkCase):
    def test_export_of_known_services(self):
        device = self.mount_device(self.with_ip)
        rows, network = unzip(self.env["wisp.site"].with_user(self.network)._libreqos_export())
        self.assertEqual(rows[0], COLUMNS)
        node = f"{self.router.name} ({self.site.code})"
        # the demo's services (addresses from its pools) are exported too: this site's only
        ours = [row for row in rows[1:] if row[4] == node]
        by_ip = {row[6]: dict(zip(COLUMNS, row, strict=True)) for row in ours}
        self.assertEqual(set(by_ip), {"100.64.0.10", "100.64.0.11"})
        row = by_ip["100.64.0.10"]
        self.assertEqual(row["Circuit ID"], self.with_ip.name)
        self.assertEqual(row["Circuit Name"], self.subscriber.display_name)
        self.assertEqual(row["Device ID"], device.serial_number)
        self.assertEqual(row["MAC"], device.mac_address)
        self.assertEqual(row["Parent Node"], node)
        # plan: 20,000 / 4,000 kbps; the guaranteed rate is 98 % of it
        self.assertEqual([row[c] for c in COLUMNS[8:12]], ["19.6", "3.92", "20.0", "4.0"])
        self.assertEqual(row["IPv6"], "")
        site = f"{self.site.name} ({self.site.code})"
        self.assertEqual(
            {site: network[site]},
            {
                site: {
                    "downloadBandwidthMbps": 40,
                    "uploadBandwidthMbps": 8,
                    "type": "Site",
                    "children": {
                        node: {
                            "downloadBandwidthMbps": 40,
                            "uploadBandwidthMbps": 8,
                            "type": "Site",
                        }
                    },
                }
            },
        )
        self.assertEqual(
            self.env["wisp.site"].with_user(self.manager)._libreqos_export()[:2], b"PK"
        )

    def test_only_network_staff_export(self):
        for user in (self.installer, self.support, self.billing, self.portal_user):
            Site = self.env["wisp.site"].with_user(user)
            with self.assertRaises(AccessError):
                Site.action_download_libreqos()
            with self.assertRaises(AccessError):
                Site._libreqos_export()
        action = self.env["wisp.site"].with_user(self.network).action_download_libreqos()
        self.assertEqual(action["url"], "/wisp_network/libreqos.zip")


@tagged("post_install", "-at_install")
class TestLibreQoSExportByUrl(LibreQoSData, WispNetworkCase, HttpCase):
    def test_download_by_url_for_network_staff_only(self):
        for login in ("t_installer", "t_support", "t_billing", "t_lqos_portal"):
            self.authenticate(login, login)
            response = self.url_open("/wisp_network/libreqos.zip")
            self.assertEqual(response.status_code, 403, login)
            self.assertNotIn(b"100.64.0.10", response.content)
        for login in ("t_network", "t_manager"):
            self.authenticate(login, login)
            response = self.url_open("/wisp_network/libreqos.zip")
            self.assertEqual(response.status_code, 200, login)
            rows, _network = unzip(response.content)
            node = f"{self.router.name} ({self.site.code})"
            ours = {row[6] for row in rows[1:] if row[4] == node}
            self.assertEqual(ours, {"100.64.0.10", "100.64.0.11"})
