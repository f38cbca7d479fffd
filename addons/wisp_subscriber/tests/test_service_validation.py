from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import WispSubscriberCase


class TestServiceValidation(WispSubscriberCase):
    def test_login_and_password_generated(self):
        service = self.new_service()
        self.assertEqual(service.login, service.name.lower().replace("/", ""))
        self.assertEqual(len(service.network_password), 12)
        iptv = self.new_service(plan=self.plan_iptv, service_type="iptv")
        self.assertFalse(iptv.login)

    def test_duplicate_login_refused(self):
        self.new_service(login="alice")
        with self.assertRaisesRegex(ValidationError, "already used by service"):
            self.new_service(login="Alice ")
        with self.assertRaisesRegex(ValidationError, "cannot share"):
            self.env["wisp.service"].create(
                [
                    {"partner_id": self.subscriber.id, "login": "bob"},
                    {"partner_id": self.subscriber.id, "login": "bob"},
                ]
            )

    def test_invalid_login_refused(self):
        for login in ("a", "bad login", "-starts-with-dash", "x" * 65, "semi;colon"):
            with self.subTest(login=login), self.assertRaisesRegex(ValidationError, "not valid"):
                self.new_service(login=login)

    def test_plan_must_match_service_type(self):
        with self.assertRaisesRegex(ValidationError, "not for this iptv service"):
            self.new_service(service_type="iptv", plan=self.plan)

    def test_static_ip_validated(self):
        with self.assertRaisesRegex(ValidationError, "not an IP address"):
            self.new_service(ip_address="10.0.0.300")
        self.assertEqual(self.new_service(ip_address="10.0.0.30").ip_address, "10.0.0.30")

    def test_device_mac_normalised_and_unique(self):
        service = self.new_service(state="active")
        Device = self.env["wisp.cpe.device"]
        device = Device.create(
            {
                "service_id": service.id,
                "name": "LiteBeam",
                "mac_address": "dc-2c-6e-01-02-0a",
                "ip_address": " 10.1.1.2 ",
            }
        )
        self.assertEqual(device.mac_address, "DC:2C:6E:01:02:0A")
        self.assertEqual(device.ip_address, "10.1.1.2")
        self.assertEqual(device.partner_id, self.subscriber)
        with self.assertRaisesRegex(ValidationError, "already registered"):
            Device.create({"service_id": service.id, "name": "Dup", "mac_address": "DC2C6E01020A"})
        for bad in ("DC:2C:6E:01:02", "ZZ:2C:6E:01:02:0A", "DC:2C:6E:01:02:0A:FF"):
            with self.subTest(mac=bad), self.assertRaisesRegex(ValidationError, "not a MAC"):
                Device.create({"service_id": service.id, "name": "Bad", "mac_address": bad})

    def test_installment_progress_and_bounds(self):
        service = self.new_service(state="active")
        plan = self.env["wisp.service.installment"].create(
            {
                "service_id": service.id,
                "name": "Router",
                "amount": 10.0,
                "installment_count": 12,
                "paid_count": 3,
            }
        )
        self.assertEqual(
            (plan.total_amount, plan.remaining_count, plan.remaining_amount), (120.0, 9, 90.0)
        )
        self.assertEqual(plan.display_name, "Router (3/12)")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            plan.write({"paid_count": 13})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            plan.write({"amount": -5})
