from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import WispPaymentCommon

DUE = "2030-03-10"


@tagged("post_install", "-at_install")
class TestInvoicePayment(WispPaymentCommon):
    def _pay_by_card(self, invoice, amount=None):
        tx = self._create_transaction(
            "direct",
            reference=f"{invoice.name}-card",
            amount=invoice.amount_residual if amount is None else amount,
            currency_id=invoice.currency_id.id,
            partner_id=invoice.partner_id.id,
            invoice_ids=[Command.set(invoice.ids)],
        )
        self._provider_answers(tx, "done")
        tx._post_process()
        return tx

    def test_card_payment_reconciles_invoice(self):
        invoice = self._new_invoice(120.0)
        tx = self._pay_by_card(invoice)
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(self._payments_of(tx)), 1)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(invoice.amount_residual)
        self.assertFalse(self._wallet(), "An invoice payment leaves no credit behind")

    def test_card_payment_reactivates_blocked_services(self):
        if "wisp_blocked_service_ids" not in self.env["account.move"]._fields:
            self.skipTest("billing core without reactivation hook")
        plan = make_plan(self.env, "Card Plan", 30.0, download_kbps=20000, upload_kbps=4000)
        site = self.env["wisp.site"].sudo().create({"name": "Card Tower", "code": "CT"})
        service = (
            self.env["wisp.service"]
            .sudo()
            .create(
                {
                    "partner_id": self.subscriber.id,
                    "plan_id": plan.id,
                    "site_id": site.id,
                }
            )
        )
        service.action_confirm()
        service.action_activate()
        service.action_suspend(reason="overdue")
        invoice = self._new_invoice(30.0)
        invoice.sudo().wisp_blocked_service_ids = [Command.set(service.ids)]
        # As in production (status page, webhook, cron), the payment is processed in sudo.
        tx = self._pay_by_card(invoice)
        self.assertTrue(tx.env.su)
        self.assertEqual(service.state, "active")
        self.assertFalse(invoice.sudo().wisp_blocked_service_ids)

    def test_same_confirmation_twice_books_once(self):
        invoice = self._new_invoice(80.0)
        tx = self._pay_by_card(invoice)
        # The provider sends the same notification again, the customer polls the status
        # page and the post-processing cron passes: still one payment.
        self._provider_answers(tx, "done")
        tx._post_process()
        tx.is_post_processed = False  # As if the cron picked it up as well.
        tx._post_process()
        payment = tx.payment_id
        self.assertEqual(tx._create_payment(), payment)
        self.assertEqual(self._payments_of(tx), payment)
        self.assertEqual(payment.amount, 80.0)
        self.assertFalse(invoice.amount_residual)


@tagged("post_install", "-at_install")
class TestWalletTopup(WispPaymentCommon):
    def test_topup_with_saved_card(self):
        token = self._card_token("done", partner=self.contact)
        self.assertEqual(self._wallet(), 0.0)
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.contact, 50.0, token=token
        )
        self.assertTrue(tx.reference.startswith(f"WALLET-{self.subscriber.id}"))
        self.assertTrue(tx.wisp_wallet_topup)
        self.assertFalse(tx.invoice_ids)
        self.assertEqual(tx.state, "done")
        payment = tx.payment_id
        self.assertEqual(payment.partner_id, self.subscriber)
        self.assertEqual(payment.state, "in_process")
        counterpart = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertFalse(counterpart.reconciled, "A top-up stays customer credit")
        self.assertEqual(self._wallet(), 50.0)

        # The same confirmation again books nothing more.
        self._provider_answers(tx, "done")
        tx._post_process()
        tx._create_payment()
        self.assertEqual(self._payments_of(tx), payment)
        self.assertEqual(self._wallet(), 50.0)

    def topup_messages(self):
        return (
            self.env["wisp.message"]
            .sudo()
            .search(
                [("event_id.code", "=", "wallet_topup"), ("partner_id", "=", self.subscriber.id)]
            )
        )

    def test_topup_is_told_once_with_the_new_balance(self):
        token = self._card_token("done")
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 50.0, token=token
        )
        message = self.topup_messages()
        self.assertEqual(len(message), 1)
        self.assertEqual((message.res_model, message.res_id), ("account.payment", tx.payment_id.id))
        # confirmed again by the provider, post-processed again: told once
        self._provider_answers(tx, "done")
        tx.is_post_processed = False
        tx._post_process()
        self.assertEqual(self.topup_messages(), message)
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(message.state, "sent", message.last_error)
        body = str(message.mail_message_id.body)
        self.assertIn("50.00", body)
        self.assertIn("balance is now", body)

    def test_failed_or_switched_off_topup_tells_nothing(self):
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 40.0, token=self._card_token("error")
        )
        self.assertEqual(tx.state, "error")
        self.env.ref("wisp_billing.message_event_wallet_topup").sudo().disabled_company_ids = [
            Command.link(self.company.id)
        ]
        self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 40.0, token=self._card_token("done")
        )
        self.assertEqual(self._wallet(), 40.0)
        self.assertFalse(self.topup_messages())

    def test_topup_through_payment_form(self):
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 25.0, provider=self.provider
        )
        self.assertEqual(tx.state, "draft")
        self.assertEqual(tx.operation, "online_direct")
        self.assertEqual(self._wallet(), 0.0)
        # The provider confirms the payment made on its form, twice.
        for _attempt in range(2):
            self._provider_answers(self._get_tx(tx.reference), "done")
            tx._wisp_post_process_now()
        self.assertEqual(self._wallet(), 25.0)
        self.assertEqual(len(self._payments_of(tx)), 1)

    def test_two_topups_get_distinct_references(self):
        first = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 10.0, provider=self.provider
        )
        second = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 10.0, provider=self.provider
        )
        self.assertEqual(first.reference, f"WALLET-{self.subscriber.id}")
        self.assertEqual(second.reference, f"WALLET-{self.subscriber.id}-1")

    def test_topup_cannot_pay_an_invoice(self):
        invoice = self._new_invoice(10.0)
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 10.0, provider=self.provider
        )
        with self.assertRaises(ValidationError):
            tx.invoice_ids = [Command.set(invoice.ids)]
            tx.flush_recordset()

    def test_failed_topup_credits_nothing(self):
        token = self._card_token("error")
        tx = self.env["payment.transaction"]._wisp_wallet_topup_transaction(
            self.subscriber, 40.0, token=token
        )
        self.assertEqual(tx.state, "error")
        self.assertFalse(tx.payment_id)
        self.assertEqual(self._wallet(), 0.0)


@tagged("post_install", "-at_install")
class TestAutopay(WispPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.wisp_autopay_retry_days = "1,3"
        cls.token = cls.env["payment.token"].create(
            {
                "provider_id": cls.provider.id,
                "payment_method_id": cls.payment_method_id,
                "partner_id": cls.subscriber.id,
                "payment_details": "4242",
                "provider_ref": "card-4242",
            }
        )
        cls.subscriber.write({"wisp_autopay": True, "wisp_autopay_token_id": cls.token.id})

    def _run_autopay(self, day):
        with freeze_time(day):
            return self.env["account.move"]._cron_wisp_autopay()

    def _failure_messages(self, invoice):
        return (
            self.env["wisp.message"]
            .sudo()
            .search(
                [
                    ("event_id.code", "=", "autopay_failed"),
                    ("res_model", "=", "account.move"),
                    ("res_id", "=", invoice.id),
                ]
            )
        )

    def _activities(self, invoice):
        activity_type = self.env.ref("wisp_billing.mail_activity_type_autopay_failed")
        return invoice.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def test_autopay_charges_due_invoice(self):
        due = self._new_invoice(60.0, due=DUE)
        later = self._new_invoice(70.0, due="2030-03-20")
        txs = self._run_autopay(DUE)
        self.assertEqual(txs.invoice_ids, due)
        self.assertEqual(txs.state, "done")
        self.assertEqual(txs.operation, "offline")
        self.assertEqual(txs.token_id, self.token)
        self.assertTrue(txs.wisp_autopay)
        self.assertIn(due.payment_state, ("paid", "in_payment"))
        self.assertEqual(later.payment_state, "not_paid")
        # Paid invoices are not charged again.
        self.assertFalse(self._run_autopay(DUE))

    @mute_logger("odoo.addons.wisp_billing.models.account_move")
    def test_autopay_booking_error_does_not_stop_the_others(self):
        first = self._new_invoice(60.0, due=DUE)
        second = self._new_invoice(70.0, due=DUE)
        Tx = type(self.env["payment.transaction"])
        post_process = Tx._post_process

        def failing_post_process(txs):
            if first in txs.invoice_ids:
                raise ValueError("accounting locked")
            return post_process(txs)

        with patch.object(Tx, "_post_process", failing_post_process):
            txs = self._run_autopay(DUE)
        self.assertEqual(txs.invoice_ids, first | second, "both cards charged")
        self.assertIn(second.payment_state, ("paid", "in_payment"))
        stuck = txs.filtered(lambda tx: first in tx.invoice_ids)
        self.assertEqual((stuck.state, stuck.is_post_processed), ("done", False))
        stuck._post_process()  # what Odoo's post-processing cron does later
        self.assertIn(first.payment_state, ("paid", "in_payment"))

    def test_autopay_off_or_without_card_charges_nothing(self):
        invoice = self._new_invoice(60.0, due=DUE)
        self.subscriber.wisp_autopay = False
        self.assertFalse(self._run_autopay(DUE))
        self.subscriber.write({"wisp_autopay": True, "wisp_autopay_token_id": False})
        self.assertFalse(self._run_autopay(DUE))
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_autopay_skips_one_off_invoices_and_disputed_accounts(self):
        one_off = self._new_invoice(60.0, due=DUE, recurring=False)
        self.assertFalse(self._run_autopay(DUE), "a card checkout is not charged by autopay")
        recurring = self._new_invoice(60.0, due=DUE)
        self.subscriber.wisp_payment_flagged = True  # as a chargeback does
        self.assertFalse(self._run_autopay(DUE), "never charge a disputed card by itself")
        self.assertEqual((one_off | recurring).mapped("payment_state"), ["not_paid"] * 2)

    def test_autopay_failure_retries_on_schedule_then_succeeds(self):
        self._card_answers(self.token, "error")
        invoice = self._new_invoice(60.0, due=DUE)

        tx1 = self._run_autopay(DUE)
        self.assertEqual(tx1.state, "error")
        self.assertEqual(invoice.wisp_autopay_attempts, 1)
        self.assertEqual(invoice.wisp_autopay_first_failure, date(2030, 3, 10))
        self.assertEqual(invoice.wisp_autopay_next_date, date(2030, 3, 11))
        self.assertFalse(invoice.wisp_autopay_stopped)
        message = self._failure_messages(invoice)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_id, self.subscriber)
        self.assertEqual(len(self._activities(invoice)), 1)

        # Same day again: no retry before its date.
        self.assertFalse(self._run_autopay(DUE))

        tx2 = self._run_autopay("2030-03-11")
        self.assertEqual(tx2.state, "error")
        self.assertNotEqual(tx2, tx1)
        self.assertEqual(invoice.wisp_autopay_attempts, 2)
        self.assertEqual(invoice.wisp_autopay_next_date, date(2030, 3, 13))
        self.assertEqual(len(self._failure_messages(invoice)), 2)
        self.assertEqual(len(self._activities(invoice)), 1, "One activity, updated")

        self.assertFalse(self._run_autopay("2030-03-12"))

        self._card_answers(self.token, "done")
        tx3 = self._run_autopay("2030-03-13")
        self.assertEqual(tx3.state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.wisp_autopay_attempts, 0)
        self.assertFalse(self._activities(invoice), "The activity is closed once paid")

    def test_autopay_stops_after_last_retry(self):
        self._card_answers(self.token, "error")
        invoice = self._new_invoice(60.0, due=DUE)
        self._run_autopay(DUE)
        self._run_autopay("2030-03-11")
        self._run_autopay("2030-03-13")
        self.assertEqual(invoice.wisp_autopay_attempts, 3)
        self.assertTrue(invoice.wisp_autopay_stopped)
        self.assertFalse(invoice.wisp_autopay_next_date)
        self.assertEqual(len(self._failure_messages(invoice)), 3)
        self.env["wisp.message"]._cron_send(commit=False)
        last = self._failure_messages(invoice)[0]
        self.assertEqual(last.state, "sent", last.last_error)
        self.assertIn("not try your card again", str(last.mail_message_id.body))
        self.assertFalse(self._run_autopay("2030-03-20"))
        self.assertEqual(len(invoice.transaction_ids), 3)

    def test_no_second_charge_while_one_is_pending(self):
        self._card_answers(self.token, "pending")
        invoice = self._new_invoice(60.0, due=DUE)
        tx = self._run_autopay(DUE)
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self._run_autopay(DUE))
        self.assertFalse(self._run_autopay("2030-03-11"))
        self.assertEqual(invoice.transaction_ids, tx)
        # The provider confirms later: booked once, paid.
        self._provider_answers(tx, "done")
        tx._wisp_post_process_now()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self._payments_of(tx)), 1)

    def test_interrupted_charge_is_sent_again_not_duplicated(self):
        invoice = self._new_invoice(60.0, due=DUE)
        # A worker created the charge, committed, then died before the provider answered.
        stale = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method_id,
                    "amount": 60.0,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.subscriber.id,
                    "token_id": self.token.id,
                    "operation": "offline",
                    "invoice_ids": [Command.set(invoice.ids)],
                    "wisp_autopay": True,
                }
            )
        )
        self.assertEqual(self._run_autopay(DUE), stale)
        self.assertEqual(stale.state, "done")
        self.assertEqual(invoice.transaction_ids, stale)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_removed_card_is_replaced(self):
        spare = self._card_token("done")
        self.token.active = False
        self.assertEqual(self.subscriber.wisp_autopay_token_id, spare)
        spare.active = False
        self.assertFalse(self.subscriber.wisp_autopay_token_id)

    def test_card_saved_with_autopay_on_becomes_autopay_card(self):
        self.subscriber.wisp_autopay_token_id = False
        token = self._card_token("done", partner=self.contact)
        self.assertEqual(self.subscriber.wisp_autopay_token_id, token)
