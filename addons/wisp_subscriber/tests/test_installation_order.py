from odoo.exceptions import UserError

from .common import WispSubscriberCase


class TestInstallationOrder(WispSubscriberCase):
    def test_schedule_needs_installer_and_date(self):
        service = self.new_service(state="confirmed")
        order = service.installation_order_ids
        with self.assertRaisesRegex(UserError, "installer and the date"):
            order.action_schedule()
        order.write({"installer_id": self.installer.id, "scheduled_date": "2030-03-01 09:00:00"})
        order.action_schedule()
        self.assertEqual((order.state, service.state), ("scheduled", "installation"))
        self.assertIn(self.installer.partner_id, order.message_partner_ids)

    def test_completion_activates_service(self):
        service = self.new_service(state="installation")
        order = service.installation_order_ids
        with self.assertRaisesRegex(UserError, "serial number and MAC"):
            order.with_user(self.installer).action_done()
        self.assertEqual((order.state, service.state), ("scheduled", "installation"))
        self.mount_device(service)
        order.with_user(self.installer).action_done()
        self.assertEqual((order.state, service.state), ("done", "active"))
        self.assertTrue(order.date_done)
        with self.assertRaisesRegex(UserError, "cannot be cancelled"):
            order.action_cancel()

    def test_unscheduled_order_cannot_be_completed(self):
        order = self.new_service(state="confirmed").installation_order_ids
        with self.assertRaisesRegex(UserError, "Only a scheduled"):
            order.action_done()

    def test_service_needs_a_scheduled_order(self):
        service = self.new_service(state="confirmed")
        with self.assertRaisesRegex(UserError, "Assign an installer"):
            service.action_schedule_installation()

    def test_service_address_reads_as_a_street(self):
        """The service address reads as a street, for a subscriber's own address (whose
        name is the person's) and for a branch (name and street), also for the installer
        of the service's order, who does not read the contact itself."""
        service = self.new_service(state="installation")
        self.assertEqual(service.address_id, self.subscriber)
        self.assertEqual(service.address_text, "1 Test St, Testville")
        self.assertEqual(service.with_user(self.installer).address_text, "1 Test St, Testville")
        branch = self.env["res.partner"].create(
            {
                "name": "Depot",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": "9 Quay Rd",
                "zip": "4321",
                "city": "Harbour",
            }
        )
        other = self.new_service(state="confirmed", address_id=branch.id)
        self.assertEqual(other.address_text, "Depot, 9 Quay Rd, 4321 Harbour")
        for view_type in ("list", "kanban", "form"):
            arch = self.env["wisp.service"].get_view(view_type=view_type)["arch"]
            self.assertIn('name="address_text"', arch, view_type)
