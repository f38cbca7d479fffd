"""The installer's day clicked through in headless Chromium as the installer
(``static/tests/tours/wisp_installer_tour.js``); like every back-office tour it
fails on the first error dialog (Access Error, RPC error)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import WispSubscriberCase


@tagged("post_install", "-at_install")
class TestInstallerTour(WispSubscriberCase, HttpCase):
    def _scheduled_order(self, street, when):
        """An order of self.installer at ``when`` for a new address ``street``."""
        address = self.env["res.partner"].create(
            {
                "name": f"Home at {street}",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": street,
                "city": "Testville",
            }
        )
        order = self.new_service(state="confirmed", address_id=address.id).installation_order_ids
        order.write({"installer_id": self.installer.id, "scheduled_date": when})
        order.action_schedule()
        return order

    def test_installer_completes_todays_order_with_serial_and_mac(self):
        now = fields.Datetime.now()
        order = self._scheduled_order("12 Tour Lane", now)
        service = order.service_id
        tomorrow = self._scheduled_order("99 Tomorrow Road", now + timedelta(days=1))
        self.start_tour(
            "/odoo/action-wisp_subscriber.wisp_installation_order_action",
            "wisp_installer_day",
            login=self.installer.login,
        )
        self.assertEqual((order.state, service.state), ("done", "active"))
        self.assertEqual(tomorrow.state, "scheduled")
        self.assertEqual(order.report, "Aligned at -52 dBm")
        device = service.device_ids
        self.assertEqual(
            (device.name, device.serial_number, device.mac_address),
            ("LiteBeam 5AC", "SN-TOUR-0001", "02:11:22:33:44:55"),
        )
