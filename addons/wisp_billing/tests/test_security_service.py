from freezegun import freeze_time

from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import D, WispBillingCase

# Billing fields of a service: what is billed, whether it is billed at all, what blocks it.
PROTECTED_VALUES = {
    "billed_until": D(2030, 12, 31),
    "wisp_voucher_funded": True,
    "next_plan_id": None,  # set in setUpClass: the 62 plan
    "plan_change_date": D(2026, 3, 20),
}


@tagged("post_install", "-at_install")
class TestSecurityServiceBilling(WispBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.support_user = new_test_user(
            cls.env, login="t_sec_svc_support", groups="wisp_subscriber.group_wisp_support"
        )
        cls.network_user = new_test_user(
            cls.env, login="t_sec_svc_network", groups="wisp_subscriber.group_wisp_network"
        )
        cls.portal_user = make_portal_user(cls.env, "t_sec_svc_portal", cls.subscriber)
        cls.protected_values = dict(PROTECTED_VALUES, next_plan_id=cls.plan_62.id)

    @freeze_time("2026-03-10")
    def test_support_and_network_cannot_write_billing_fields(self):
        service = self.new_service()
        before = service.read(list(self.protected_values))[0]
        for user in (self.support_user, self.network_user):
            for field_name, value in self.protected_values.items():
                with (
                    self.subTest(user=user.login, field=field_name),
                    self.assertRaises(AccessError),
                ):
                    service.with_user(user).write({field_name: value})
        invoice = self.invoices()
        with self.assertRaises(AccessError):
            service.with_user(self.support_user).write(
                {"blocking_invoice_ids": [Command.link(invoice.id)]}
            )
        self.assertEqual(service.read(list(self.protected_values))[0], before)
        self.assertFalse(service.blocking_invoice_ids)
        # still readable by them, shown read-only
        self.assertEqual(service.with_user(self.support_user).billed_until, D(2026, 3, 31))
        described = (
            self.env["wisp.service"]
            .with_user(self.support_user)
            .fields_get(list(self.protected_values), ["readonly"])
        )
        self.assertTrue(all(field["readonly"] for field in described.values()))

    @freeze_time("2026-03-10")
    def test_support_cannot_create_a_service_that_is_never_billed(self):
        Service = self.env["wisp.service"].with_user(self.support_user)
        values = {"partner_id": self.subscriber.id, "plan_id": self.plan_31.id}
        with self.assertRaises(AccessError):
            Service.create({**values, "wisp_voucher_funded": True})
        with self.assertRaises(AccessError):
            Service.with_context(default_billed_until="2030-12-31").create(values)
        # taking an ordinary order and activating it starts the billing as usual
        service = Service.create(values)
        service.action_confirm()
        service.action_activate()
        self.assertEqual(service.billed_until, D(2026, 3, 31))
        self.assertAlmostEqual(self.invoices().amount_total, 22.0)

    @freeze_time("2026-03-10")
    def test_billing_corrects_billing_fields(self):
        service = self.new_service()
        service.with_user(self.billing_user).write(
            {"billed_until": D(2026, 3, 20), "next_plan_id": self.plan_62.id}
        )
        self.assertEqual(service.billed_until, D(2026, 3, 20))

    @freeze_time("2026-03-10")
    def test_network_terminates_and_the_billing_settles(self):
        service = self.new_service()
        service.with_user(self.network_user).action_terminate(reason="Moved away")
        self.assertEqual(service.state, "terminated")
        self.assertEqual(service.billed_until, D(2026, 3, 9))
        self.assertAlmostEqual(sum(service.billing_adjustment_ids.mapped("amount")), -22.0)

    @freeze_time("2026-03-10")
    def test_only_billing_changes_the_plan(self):
        service = self.new_service()
        for user in (self.support_user, self.network_user, self.portal_user):
            for effective_date in (None, D(2026, 4, 1)):
                with (
                    self.subTest(user=user.login, date=effective_date),
                    self.assertRaises(AccessError),
                ):
                    service.with_user(user).action_change_plan(self.plan_62, effective_date)
        self.assertEqual(service.plan_id, self.plan_31)
        self.assertFalse(service.next_plan_id)
        self.assertFalse(service.billing_adjustment_ids)
        service.with_user(self.billing_user).action_change_plan(self.plan_62)
        self.assertEqual(service.plan_id, self.plan_62)
        self.assertTrue(service.billing_adjustment_ids)
