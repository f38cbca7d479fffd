"""The installer's day clicked through in headless Chromium as the installer
(``static/tests/tours/wisp_installer_tour.js``); like every back-office tour it
fails on the first error dialog (Access Error, RPC error)."""

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import WispSubscriberCase


@tagged("post_install", "-at_install")
class TestInstallerTour(WispSubscriberCase, HttpCase):
    def test_installer_completes_todays_order_with_serial_and_mac(self):
        address = self.env["res.partner"].create(
            {
                "name": "Tour Home",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": "12 Tour Lane",
                "city": "Testville",
            }
        )
        service = self.new_service("confirmed", address_id=address.id)
        order = service.installation_order_ids
        order.write({"installer_id": self.installer.id, "scheduled_date": fields.Datetime.now()})
        order.action_schedule()
        self.start_tour(
            "/odoo/action-wisp_subscriber.wisp_installation_order_action",
            "wisp_installer_day",
            login=self.installer.login,
        )
        self.assertEqual((order.state, service.state), ("done", "active"))
        self.assertEqual(order.report, "Aligned at -52 dBm")
        device = service.device_ids
        self.assertEqual(
            (device.name, device.serial_number, device.mac_address),
            ("LiteBeam 5AC", "SN-TOUR-0001", "02:11:22:33:44:55"),
        )
