from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestDunning(WispBillingCase):
    """Invoice of Apr 1, due Apr 11: reminder from Apr 8, suspension after
    the 5 grace days (Apr 17), reactivation the moment it is paid."""

    def setUp(self):
        super().setUp()
        with freeze_time("2026-04-01"):
            self.service = self.new_service(state="confirmed")
            self.tv = self.new_service(plan=self.plan_tv, state="confirmed")
            (self.service | self.tv).action_activate()
        self.invoice = self.invoices()
        self.assertEqual(len(self.invoice), 1)
        self.assertEqual(self.invoice.invoice_date_due, D(2026, 4, 11))

    def dun(self, day):
        with freeze_time(day):
            self.env["account.move"].sudo()._cron_wisp_dunning()  # crons run as root

    def messages(self, code):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", code),
                ("res_model", "=", "account.move"),
                ("res_id", "=", self.invoice.id),
            ]
        )

    def test_timeline_reminder_then_suspension(self):
        self.dun("2026-04-07")
        self.assertFalse(self.invoice.wisp_reminder_sent)
        self.dun("2026-04-08")
        self.assertTrue(self.invoice.wisp_reminder_sent)
        self.assertEqual(len(self.messages("payment_reminder")), 1)
        self.dun("2026-04-09")
        self.assertEqual(len(self.messages("payment_reminder")), 1, "reminded once")
        self.dun("2026-04-16")  # due + 5 days: still in grace
        self.assertEqual(self.service.state, "active")
        self.dun("2026-04-17")
        self.assertEqual((self.service.state, self.tv.state), ("suspended", "suspended"))
        self.assertIn(self.invoice.name, self.service.state_reason)
        self.assertEqual(self.invoice.wisp_blocked_service_ids, self.service | self.tv)
        self.assertEqual(len(self.messages("services_suspended_overdue")), 1)
        self.dun("2026-04-18")
        self.assertEqual(len(self.messages("services_suspended_overdue")), 1, "suspended once")
        # the dunning message names the invoice: the generic one is not sent as well
        self.assertFalse(
            self.env["wisp.message"].search(
                [
                    ("event_id.code", "=", "services_suspended"),
                    ("partner_id", "=", self.service.commercial_partner_id.id),
                ]
            )
        )

    def test_reminder_not_on_the_day_of_issue_and_once_a_day(self):
        self.company.wisp_reminder_days = 10  # the whole term lies in the window
        self.dun("2026-04-01")
        self.assertFalse(self.messages("payment_reminder"), "the invoice message tells the due")
        self.dun("2026-04-02")
        reminder = self.messages("payment_reminder")
        self.assertEqual(len(reminder), 1)
        with freeze_time("2026-04-02"):
            self.invoice._wisp_send_reminder()  # a clerk's "send again" the same day
        self.assertEqual(self.messages("payment_reminder"), reminder)
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(reminder.state, "sent", reminder.last_error)
        self.assertIn(self.invoice.name, str(reminder.mail_message_id.body))
        self.assertEqual(reminder.mail_message_id.res_id, self.subscriber.id)

    def test_suspension_message_names_the_invoice_and_services(self):
        self.dun("2026-04-17")
        suspended = self.messages("services_suspended_overdue")
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(suspended.state, "sent", suspended.last_error)
        body = str(suspended.mail_message_id.body)
        self.assertIn(self.invoice.name, body)
        self.assertIn(self.service.display_name, body)
        self.assertIn(self.tv.display_name, body)

    def test_switched_off_dunning_messages(self):
        for xmlid in ("message_event_payment_reminder", "message_event_services_suspended_overdue"):
            self.env.ref(f"wisp_billing.{xmlid}").enabled = False
        self.dun("2026-04-08")
        self.dun("2026-04-17")
        self.assertTrue(self.invoice.wisp_reminder_sent)
        self.assertEqual(self.service.state, "suspended", "dunning goes on without them")
        self.assertFalse(
            self.messages("payment_reminder") | self.messages("services_suspended_overdue")
        )
        self.assertFalse(
            self.env["wisp.message"].search(
                [
                    ("partner_id", "=", self.subscriber.id),
                    ("event_id.code", "=", "services_suspended"),
                ]
            ),
            "nor the generic one instead",
        )

    @mute_logger("odoo.addons.wisp_subscriber.tools.each_alone")
    def test_one_failing_invoice_does_not_stop_the_others(self):
        other = self.env["res.partner"].create({"name": "Other Overdue"})
        with freeze_time("2026-04-01"):
            other_service = self.new_service(partner=other)
        other_invoice = self.invoices(other)
        self.assertEqual(len(other_invoice), 1)
        AccountMove = type(self.env["account.move"])
        hold = AccountMove._wisp_hold_services

        def failing_hold(invoice, action):
            if invoice == self.invoice:
                raise ValueError("router database down")
            return hold(invoice, action)

        with patch.object(AccountMove, "_wisp_hold_services", failing_hold):
            self.dun("2026-04-17")
        self.assertEqual(other_service.state, "suspended", "the other account was dunned")
        self.assertEqual(self.service.state, "active", "the failure rolled back alone")
        activity = self.invoice.activity_ids
        self.assertEqual(activity.summary, "Dunning failed")
        self.assertIn("router database down", activity.note)
        self.dun("2026-04-18")  # tried again the next day
        self.assertEqual(self.service.state, "suspended")
        self.assertFalse(self.invoice.activity_ids, "done once it went through")

    def test_restrict_instead_of_suspend(self):
        self.company.wisp_overdue_action = "restrict"
        self.dun("2026-04-17")
        self.assertEqual(self.service.state, "restricted")

    def test_paid_by_payment_reactivates_in_the_same_transaction(self):
        self.dun("2026-04-17")
        with freeze_time("2026-04-18"):
            self.pay(self.invoice)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual((self.service.state, self.tv.state), ("active", "active"))
        self.assertFalse(self.invoice.wisp_blocked_service_ids)
        # told the payment and, once for both services, the access back
        self.assertEqual(len(self.messages("payment_received")), 1)
        restored = self.env["wisp.message"].search(
            [
                ("event_id.code", "=", "access_restored"),
                ("partner_id", "=", self.service.commercial_partner_id.id),
            ]
        )
        self.assertEqual(len(restored), 1)

    def test_partial_payment_keeps_the_service_blocked(self):
        self.dun("2026-04-17")
        with freeze_time("2026-04-18"):
            self.pay(self.invoice, amount=10.0)
        self.assertEqual(self.service.state, "suspended")

    def test_paid_from_wallet_reactivates(self):
        self.dun("2026-04-17")
        self.subscriber._wisp_wallet_grant(100.0, "compensation", "Outage credit")
        self.invoice.action_wisp_apply_wallet()
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.service.state, "active")

    def test_service_blocked_by_two_invoices_waits_for_both(self):
        self.dun("2026-04-17")
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1))
        self.dun("2026-05-17")
        self.assertIn(
            self.service,
            may.wisp_blocked_service_ids,
            "already suspended by April, and held by May too",
        )
        with freeze_time("2026-05-18"):
            self.pay(self.invoice)
        self.assertEqual(self.service.state, "suspended", "May is still overdue")
        self.assertIn(self.tv, may.invoice_line_ids.wisp_service_id)
        self.assertEqual(self.tv.state, "suspended", "May bills the TV too")
        with freeze_time("2026-05-18"):
            self.pay(may)
        self.assertEqual(self.service.state, "active")
        self.assertEqual(self.tv.state, "active")
