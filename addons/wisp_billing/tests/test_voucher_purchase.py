from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import code_mail
from .payment_common import WispPaymentCommon
from .test_voucher import make_prepaid_plan


@tagged("post_install", "-at_install")
class TestVoucherPurchase(WispPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids += cls.env.ref("wisp_subscriber.group_wisp_billing")
        cls.plan = make_prepaid_plan(cls.env, "Online Day", duration=1, price=4.0)
        cls.Purchase = cls.env["wisp.voucher.purchase"]

    def _stock(self, quantity=2, **vals):
        batch = self.env["wisp.voucher.batch"].create(
            {"name": "Shelf", "plan_id": self.plan.id, "quantity": quantity, **vals}
        )
        batch.action_generate()
        return batch

    def _purchase(self, **kwargs):
        return self.Purchase._wisp_create_purchase(
            self.plan, name="Walk In", email="walk.in@example.com", **kwargs
        )

    def _pay(self, purchase, state="done"):
        invoice = purchase.invoice_id
        tx = self._create_transaction(
            "direct",
            reference=f"{invoice.name}-{purchase.id}-{len(purchase.transaction_ids)}",
            amount=invoice.amount_residual,
            currency_id=invoice.currency_id.id,
            partner_id=purchase.partner_id.id,
            invoice_ids=[Command.set(invoice.ids)],
            wisp_voucher_purchase_id=purchase.id,
        )
        self._provider_answers(tx, state)
        tx._wisp_post_process_now()
        return tx

    def _abandon(self, *purchases):
        """Checkouts started three days ago: past the abandoned-checkout delay."""
        self.env.cr.execute(
            "UPDATE wisp_voucher_purchase SET create_date = create_date - interval '3 days'"
            " WHERE id IN %s",
            [tuple(p.id for p in purchases)],
        )
        self.Purchase.invalidate_model(["create_date"])

    def _messages_of(self, purchase):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", "access_code_bought"),
                ("res_model", "=", purchase._name),
                ("res_id", "=", purchase.id),
            ]
        )

    def test_purchase_is_invoiced_before_payment(self):
        purchase = self._purchase()
        buyer = purchase.partner_id
        self.assertTrue(buyer.wisp_anonymous_prepaid)
        self.assertEqual((buyer.name, buyer.email), ("Walk In", "walk.in@example.com"))
        invoice = purchase.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.invoice_line_ids.product_id, self.plan)
        self.assertEqual(purchase.amount, invoice.amount_total)
        self.assertEqual(purchase.amount, 4.0)
        self.assertTrue(purchase.name.startswith("AC/"))
        self.assertTrue(purchase.access_token)
        self.assertEqual(purchase.access_url, f"/hotspot/purchase/{purchase.id}")
        self.assertEqual((purchase.state, purchase.voucher_id), ("draft", self.env["wisp.voucher"]))

    def test_only_plans_sold_online(self):
        hidden = make_prepaid_plan(self.env, "Staff only")
        hidden.sale_ok = False
        self.assertIn(self.plan, self.Purchase._wisp_online_plans())
        self.assertNotIn(hidden, self.Purchase._wisp_online_plans())
        with self.assertRaisesRegex(UserError, "not sold online"):
            self.Purchase._wisp_create_purchase(hidden, name="X", email="x@example.com")
        with self.assertRaisesRegex(UserError, "name and e-mail"):
            self.Purchase._wisp_create_purchase(self.plan, name="X")

    def test_pending_payment_delivers_nothing(self):
        self._stock()
        purchase = self._purchase()
        tx = self._pay(purchase, "pending")
        self.assertEqual(tx.state, "pending")
        self.assertEqual(purchase.state, "draft")
        self.assertTrue(purchase._wisp_awaiting_confirmation())
        self.assertFalse(purchase.voucher_id)
        self.assertEqual(purchase.invoice_id.payment_state, "not_paid")
        self.assertFalse(self._messages_of(purchase))

    def test_confirmed_payment_delivers_from_stock_once(self):
        batch = self._stock(quantity=3)
        purchase = self._purchase()
        tx = self._pay(purchase)
        self.assertEqual(tx.state, "done")
        self.assertIn(purchase.invoice_id.payment_state, ("paid", "in_payment"))
        self.assertFalse(purchase.invoice_id.amount_residual)
        self.assertEqual(purchase.state, "delivered")
        voucher = purchase.voucher_id
        self.assertEqual(voucher.batch_id, batch)
        self.assertEqual(voucher.state, "sold")
        self.assertFalse(purchase.generated_batch_id)
        sale = voucher.sale_id
        self.assertEqual((sale.mode, sale.price), ("direct", 4.0))
        message = self._messages_of(purchase)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_id, purchase.partner_id, "to the buyer only")
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual(message.state, "sent", message.last_error)
        # the code is a secret: an e-mail deleted once sent, in no chatter staff read
        mail = code_mail(self.env, purchase)
        self.assertIn(voucher.code, mail.body_html)
        self.assertEqual((mail.recipient_ids, mail.auto_delete), (purchase.partner_id, True))
        logged = self.env["mail.message"].search(
            [("body", "ilike", voucher.code), ("model", "!=", False)]
        )
        self.assertFalse(logged)

        # the provider confirms again, the status page and the cron post-process again
        self._provider_answers(tx, "done")
        tx._post_process()
        tx.is_post_processed = False
        tx._post_process()
        purchase._wisp_deliver()
        self.assertEqual(purchase.voucher_id, voucher)
        self.assertEqual(len(self._payments_of(tx)), 1)
        self.assertEqual(
            self.env["wisp.voucher.sale"].search_count([("voucher_id.batch_id", "=", batch.id)]), 1
        )
        self.assertEqual(len(self._messages_of(purchase)), 1)
        self.assertEqual(batch.voucher_ids.mapped("state").count("new"), 2)

    def test_stock_rules(self):
        today = fields.Date.context_today(self.Purchase)
        reseller = self.env["res.partner"].create(
            {"name": "Kiosk", "wisp_is_reseller": True, "wisp_reseller_commission": 10}
        )
        consigned = self._stock(quantity=1)
        consigned.voucher_ids._wisp_assign(reseller, "consignment")
        self._stock(quantity=1, sell_by=today - timedelta(days=1))
        self._stock(quantity=1, use_by=today + timedelta(days=2))
        self._stock(quantity=1).action_cancel()
        other_plan = make_prepaid_plan(self.env, "Week", duration=7, price=9.0)
        self.env["wisp.voucher.batch"].create(
            {"name": "Week", "plan_id": other_plan.id, "quantity": 1}
        ).action_generate()
        # nothing above is sellable online: a code is generated in an online batch
        first = self._purchase()
        self._pay(first)
        online = first.generated_batch_id
        self.assertTrue(online)
        self.assertEqual(first.voucher_id.batch_id, online)
        self.assertEqual((online.plan_id, online.reseller_id), (self.plan, reseller.browse()))
        self.assertEqual(online.state, "generated")
        # the next one grows the same batch
        second = self._purchase()
        self._pay(second)
        self.assertEqual(second.generated_batch_id, online)
        self.assertEqual(online.quantity, 2)
        self.assertEqual(len(online.voucher_ids), 2)
        self.assertNotEqual(first.voucher_id, second.voucher_id)
        # stock comes first again as soon as there is some
        shelf = self._stock(quantity=1)
        third = self._purchase()
        self._pay(third)
        self.assertEqual(third.voucher_id.batch_id, shelf)
        self.assertFalse(third.generated_batch_id)

    def test_logged_in_buyer_and_cancellation(self):
        purchase = self.Purchase._wisp_create_purchase(self.plan, partner=self.contact)
        self.assertEqual(purchase.partner_id, self.contact)
        self.assertEqual(purchase.invoice_id.partner_id, self.subscriber)
        self.assertFalse(self.contact.wisp_anonymous_prepaid)
        failed = self._pay(purchase, "cancel")
        self.assertEqual(failed.state, "cancel")
        self.assertFalse(purchase._wisp_awaiting_confirmation())
        purchase.action_cancel()
        self.assertEqual(purchase.state, "cancelled")
        self.assertEqual(purchase.invoice_id.state, "cancel")

        paid = self.Purchase._wisp_create_purchase(self.plan, partner=self.contact)
        self._pay(paid, "pending")
        with self.assertRaisesRegex(UserError, "being paid"):
            paid.action_cancel()

    def test_abandoned_checkouts_are_cancelled(self):
        purchase = self._purchase()
        pending = self._purchase()
        self._pay(pending, "pending")
        self._abandon(purchase, pending)
        self.assertEqual(self.Purchase.sudo()._cron_cancel_abandoned(), 1)
        self.assertEqual(purchase.state, "cancelled")
        self.assertEqual(purchase.invoice_id.state, "cancel")
        self.assertEqual(pending.state, "draft")

    def test_abandoned_anonymous_buyers_are_archived(self):
        gone = self.Purchase._wisp_create_purchase(self.plan, name="Gone", email="g@example.com")
        back = self.Purchase._wisp_create_purchase(self.plan, name="Back", email="b@example.com")
        self.Purchase._wisp_create_purchase(self.plan, partner=back.partner_id)
        self._abandon(gone, back)
        self.assertEqual(self.Purchase.sudo()._cron_cancel_abandoned(), 2)
        self.assertFalse(gone.partner_id.active, "nothing else uses this contact")
        self.assertTrue(back.partner_id.active, "its newer checkout is still open")

    def test_partly_paid_checkout_does_not_stop_the_cron(self):
        partly_paid = self._purchase()
        abandoned = self._purchase()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=partly_paid.invoice_id.ids
        ).create(
            {"journal_id": self.bank_journal.id, "amount": partly_paid.amount / 2}
        )._create_payments()
        self.assertEqual(partly_paid.invoice_id.payment_state, "partial")
        self._abandon(partly_paid, abandoned)
        self.assertEqual(self.Purchase.sudo()._cron_cancel_abandoned(), 1)
        self.assertEqual(abandoned.state, "cancelled")
        self.assertEqual(partly_paid.state, "draft", "money was paid: staff settle it")

    def test_invoice_paid_by_hand_delivers_the_code(self):
        self._stock(quantity=1)
        purchase = self._purchase()
        with self.assertRaisesRegex(UserError, "not paid"):
            purchase.action_deliver()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=purchase.invoice_id.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        # delivered by the invoice's paid hook, as for a card: nothing left to click, and
        # the abandoned-checkout cron cannot cancel it
        self.assertEqual(purchase.state, "delivered")
        self.assertEqual(purchase.voucher_id.state, "sold")

    @mute_logger("odoo.addons.wisp_billing.models.wisp_voucher_purchase")
    def test_delivery_failure_keeps_the_payment(self):
        purchase = self._purchase()
        self.plan.is_prepaid = False  # no stock, and no code can be generated for it
        tx = self._pay(purchase)
        self.assertEqual(len(tx.payment_id), 1, "the payment is booked all the same")
        self.assertIn(purchase.invoice_id.payment_state, ("paid", "in_payment"))
        self.assertEqual((purchase.state, purchase.voucher_id.id), ("paid", False))
        self.assertIn("no code could be delivered", purchase.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "prepaid plans only"):
            purchase.action_deliver()
        self.plan.is_prepaid = True
        purchase.action_deliver()
        self.assertEqual(purchase.state, "delivered")
        self.assertEqual(len(self._messages_of(purchase)), 1)
