from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestSubscriberHeaderBilling(WispBillingCase):
    """The subscriber header's money: balance due and overdue, register payment,
    and the plan change with its prorated preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.support_user = new_test_user(
            cls.env, login="t_header_support", groups="wisp_subscriber.group_wisp_support"
        )
        cls.billing_user2 = new_test_user(
            cls.env,
            login="t_billing_clerk2",
            groups="wisp_subscriber.group_wisp_billing,account.group_account_invoice",
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2026-04-01"):
            self.service = self.new_service()  # April invoiced at once: 31, due Apr 11
        self.invoice = self.invoices()
        self.assertEqual(self.invoice.amount_residual, 31.0)

    def test_balance_due_and_overdue(self):
        with freeze_time("2026-04-05"):
            partner = self.subscriber.with_user(self.support_user)
            self.assertEqual((partner.wisp_balance_due, partner.wisp_overdue), (31.0, 0.0))
        with freeze_time("2026-04-12"):
            self.subscriber.invalidate_recordset()
            partner = self.subscriber.with_user(self.billing_user)
            self.assertEqual((partner.wisp_balance_due, partner.wisp_overdue), (31.0, 31.0))
            self.pay(self.invoice, 11.0)
            self.subscriber.invalidate_recordset()
            self.assertEqual((partner.wisp_balance_due, partner.wisp_overdue), (20.0, 20.0))

    def test_register_payment_opens_odoos_wizard_on_the_open_invoices(self):
        action = self.subscriber.with_user(self.billing_user).action_wisp_register_payment()
        self.assertEqual(action["res_model"], "account.payment.register")
        self.assertEqual(action["context"]["active_model"], "account.move.line")
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.billing_user)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.amount, 31.0)
        wizard._create_payments()
        self.assertEqual(self.invoice.payment_state, "paid")
        with self.assertRaises(UserError):
            self.subscriber.with_user(self.billing_user).action_wisp_register_payment()

    def test_register_payment_refused_outside_billing(self):
        for user in (self.support_user,):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.subscriber.with_user(user).action_wisp_register_payment()

    def change_form(self, user, **context):
        return Form(self.env["wisp.plan.change"].with_user(user).with_context(**context))

    def test_plan_change_preview_then_apply(self):
        with freeze_time("2026-04-11"):
            form = self.change_form(self.billing_user, default_partner_id=self.subscriber.id)
            self.assertEqual(form.service_id, self.service, "its only running service")
            form.plan_id = self.plan_62
            expected = self.service._wisp_plan_change_preview(self.plan_62, D(2026, 4, 11))
            self.assertEqual(
                (form.preview_credit, form.preview_charge, form.preview_net),
                (expected["credit"], expected["charge"], expected["net"]),
            )
            self.assertAlmostEqual(form.preview_credit, round(31 * 20 / 30, 2))
            self.assertEqual(
                (form.preview_start, form.preview_end), (D(2026, 4, 11), D(2026, 4, 30))
            )
            wizard = form.save()
            self.assertFalse(self.service.billing_adjustment_ids, "a preview changes nothing")
            wizard.action_apply()
        self.assertEqual(self.service.plan_id, self.plan_62)
        self.assertAlmostEqual(
            sum(self.service.billing_adjustment_ids.mapped("amount")), -round(31 * 20 / 30, 2)
        )

    def test_plan_change_on_a_date_is_scheduled(self):
        with freeze_time("2026-04-11"):
            form = self.change_form(self.billing_user, default_service_id=self.service.id)
            form.plan_id = self.plan_62
            form.when = "date"
            form.effective_date = D(2026, 5, 1)
            self.assertEqual(form.preview_credit, 0.0, "May is not billed yet")
            self.assertEqual(form.preview_charge, 62.0)
            form.save().action_apply()
        self.assertEqual(self.service.plan_id, self.plan_31)
        scheduled = (self.service.next_plan_id, self.service.plan_change_date)
        self.assertEqual(scheduled, (self.plan_62, D(2026, 5, 1)))

    def test_plan_change_refusals(self):
        for user in (self.support_user,):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["wisp.plan.change"].with_user(user).create(
                    {"service_id": self.service.id, "plan_id": self.plan_62.id}
                )
        wizard = (
            self.env["wisp.plan.change"]
            .with_user(self.billing_user)
            .create({"service_id": self.service.id, "plan_id": self.plan_62.id})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.billing_user2).action_apply()
        self.assertEqual(self.service.plan_id, self.plan_31)

    def test_writing_the_plan_of_a_billed_service_is_a_prorated_change(self):
        with freeze_time("2026-04-01"):
            twin = self.new_service(partner=self.env["res.partner"].create({"name": "Twin"}))
        with freeze_time("2026-04-11"):
            self.service.with_user(self.billing_user).write({"plan_id": self.plan_62.id})
            twin.action_change_plan(self.plan_62)
        self.assertEqual(self.service.plan_id, self.plan_62)
        self.assertEqual(self.service.billed_until, D(2026, 4, 10))
        self.assertEqual(
            self.service.billing_adjustment_ids.mapped("amount"),
            twin.billing_adjustment_ids.mapped("amount"),
            "the same settlement as the plan change action",
        )
        self.assertTrue(self.service.billing_adjustment_ids)

    def test_plan_and_add_on_written_together_are_both_settled(self):
        with freeze_time("2026-04-11"):
            self.service.with_user(self.billing_user).write(
                {"plan_id": self.plan_62.id, "addon_ids": [Command.set(self.addon_ip.ids)]}
            )
        self.assertEqual(self.service.plan_id, self.plan_62)
        # April 11-30 of the old plan credited; both billed from April 11 on
        self.assertAlmostEqual(
            sum(self.service.billing_adjustment_ids.mapped("amount")), -round(31 * 20 / 30, 2)
        )
        self.assertEqual(
            self.service._wisp_billed_until_by_product(),
            {self.plan_62: D(2026, 4, 10), self.addon_ip: D(2026, 4, 10)},
        )

    def test_writing_the_plan_refused_outside_billing(self):
        with freeze_time("2026-04-11"), self.assertRaises(AccessError):
            self.service.with_user(self.support_user).write({"plan_id": self.plan_62.id})
        self.assertEqual(self.service.plan_id, self.plan_31)
        self.assertFalse(self.service.billing_adjustment_ids)

    def test_plan_of_an_order_is_written_freely(self):
        with freeze_time("2026-04-11"):
            order = self.new_service(state="confirmed")
            order.with_user(self.support_user).write({"plan_id": self.plan_62.id})
        self.assertFalse(order.billing_adjustment_ids)
        self.assertEqual(order.plan_id, self.plan_62)
