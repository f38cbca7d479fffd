from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import WispSubscriberCase


class TestAccess(WispSubscriberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="t_portal", groups="base.group_portal", partner_id=cls.subscriber.id
        )

    def test_installer_sees_only_own_orders(self):
        mine = self.new_service("confirmed").installation_order_ids
        theirs = self.new_service("confirmed").installation_order_ids
        mine.installer_id = self.installer
        theirs.installer_id = self.installer2
        Order = self.env["wisp.installation.order"].with_user(self.installer)
        self.assertEqual(Order.search([]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.installer).read(["name"])
        with self.assertRaises(AccessError):
            theirs.with_user(self.installer).write({"report": "not mine"})

    def test_installer_completes_own_order(self):
        service = self.new_service("installation")
        order = service.installation_order_ids.with_user(self.installer)
        order.write({"report": "Aligned at -55 dBm"})
        order.action_done()
        self.assertEqual(service.state, "active")
        with self.assertRaises(AccessError):
            service.with_user(self.installer).write({"ip_address": "10.0.0.9"})

    def test_support_cannot_edit_plan_prices(self):
        self.assertEqual(self.plan.with_user(self.support).list_price, 30.0)
        with self.assertRaises(AccessError):
            self.plan.with_user(self.support).write({"list_price": 1.0})
        with self.assertRaises(AccessError):
            self.plan.product_tmpl_id.with_user(self.support).write({"list_price": 1.0})
        self.plan.product_tmpl_id.with_user(self.manager).write({"list_price": 32.0})
        self.assertEqual(self.plan.list_price, 32.0)

    def test_support_cannot_cut_off_a_customer(self):
        service = self.new_service("active")
        for method in ("action_suspend", "action_restrict", "action_terminate", "action_pause"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(service.with_user(self.support), method)()
        self.assertEqual(service.state, "active")
        service.with_user(self.billing).action_suspend(reason="Overdue")
        service.with_user(self.network).action_reactivate()
        self.assertEqual(service.state, "active")

    def test_support_takes_orders(self):
        service = (
            self.env["wisp.service"]
            .with_user(self.support)
            .create(
                {
                    "partner_id": self.subscriber.id,
                    "plan_id": self.plan.id,
                }
            )
        )
        service.action_confirm()
        self.assertEqual(service.state, "confirmed")

    def test_network_password_hidden_from_support_and_billing(self):
        service = self.new_service("active")
        for user in (self.support, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                service.with_user(user).read(["network_password"])
        for user in (self.network, self.installer, self.manager):
            self.assertTrue(service.with_user(user).network_password)
        fields_seen = self.env["wisp.service"].with_user(self.support).fields_get()
        self.assertNotIn("network_password", fields_seen)

    def test_portal_user_sees_only_own_services(self):
        own = self.new_service("active")
        device = self.env["wisp.cpe.device"].create(
            {"service_id": own.id, "name": "Radio", "mac_address": "00:11:22:33:44:55"}
        )
        other = self.new_service("active", partner=self.other_subscriber)
        other_device = self.env["wisp.cpe.device"].create(
            {"service_id": other.id, "name": "Radio", "mac_address": "00:11:22:33:44:56"}
        )
        Service = self.env["wisp.service"].with_user(self.portal_user)
        self.assertEqual(Service.search([]), own)
        with self.assertRaises(AccessError):
            other.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            other_device.with_user(self.portal_user).read(["name"])
        self.assertEqual(device.with_user(self.portal_user).name, "Radio")
        with self.assertRaises(AccessError):
            own.with_user(self.portal_user).write({"ip_address": "10.9.9.9"})
        with self.assertRaises(AccessError):
            own.with_user(self.portal_user).read(["network_password"])

    def test_billing_manages_installments_support_only_reads(self):
        service = self.new_service("active")
        values = {"service_id": service.id, "name": "Router", "amount": 5.0, "installment_count": 6}
        plan = self.env["wisp.service.installment"].with_user(self.billing).create(values)
        self.assertEqual(plan.with_user(self.support).amount, 5.0)
        with self.assertRaises(AccessError):
            plan.with_user(self.support).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["wisp.service.installment"].with_user(self.installer).search([])
