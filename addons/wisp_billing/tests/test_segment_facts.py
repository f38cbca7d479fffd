from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingSegmentFacts(WispBillingCase):
    """Billing facts campaigns filter accounts on: overdue, autopay, referrals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.punctual = cls.Partner.create({"name": "Punctual Subscriber"})
        cls.friend = cls.Partner.create({"name": "Referred Friend"})
        cls.friend2 = cls.Partner.create({"name": "Second Referred Friend"})
        cls.accounts = cls.subscriber | cls.punctual | cls.friend | cls.friend2

    def found(self, domain):
        return self.Partner.search([*domain, ("id", "in", self.accounts.ids)])

    def invoice(self, partner, due_in_days, amount=30.0):
        today = fields.Date.context_today(self.env.user)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": today - timedelta(days=10),
                "invoice_date_due": today + timedelta(days=due_in_days),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Home 31", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def test_overdue(self):
        late = self.invoice(self.subscriber, due_in_days=-5, amount=40.0)
        self.invoice(self.punctual, due_in_days=5)  # due, not overdue
        self.assertEqual(self.found([("wisp_overdue", ">", 0)]), self.subscriber)
        self.assertEqual(self.found([("wisp_overdue", ">=", 40)]), self.subscriber)
        self.assertFalse(self.found([("wisp_overdue", ">", 40)]))
        self.assertEqual(
            self.found([("wisp_overdue", "=", 0)]), self.punctual | self.friend | self.friend2
        )
        self.pay(late, 15.0)  # partly paid: still overdue, for what is left
        self.assertEqual(self.subscriber.wisp_overdue, 25.0)
        self.assertEqual(self.found([("wisp_overdue", "<", 30)]), self.accounts)
        self.pay(late)
        self.assertFalse(self.found([("wisp_overdue", ">", 0)]))

    def test_overdue_is_the_current_company_s(self):
        self.invoice(self.subscriber, due_in_days=-5)
        other = self.env["res.company"].create({"name": "Other WISP"})
        self.env.user.company_ids |= other
        self.assertEqual(self.found([("wisp_overdue", ">", 0)]), self.subscriber)
        in_other = self.Partner.with_company(other).search(
            [("wisp_overdue", ">", 0), ("id", "in", self.accounts.ids)]
        )
        self.assertFalse(in_other, "another company's invoices are not this one's")

    def test_no_autopay(self):
        self.subscriber.wisp_autopay = True
        self.assertEqual(
            self.found([("wisp_autopay", "=", False)]), self.punctual | self.friend | self.friend2
        )

    def test_referral_count(self):
        code = self.subscriber._wisp_referral_code_get()
        self.friend._wisp_set_referrer(code)
        self.friend2._wisp_set_referrer(code)
        self.punctual._wisp_set_referrer(self.friend._wisp_referral_code_get())
        self.assertEqual(self.subscriber.wisp_referral_count, 2)
        self.assertEqual(self.found([("wisp_referral_count", ">=", 2)]), self.subscriber)
        self.assertEqual(
            self.found([("wisp_referral_count", ">=", 1)]), self.subscriber | self.friend
        )
        self.assertEqual(
            self.found([("wisp_referral_count", "=", 0)]), self.punctual | self.friend2
        )
        self.assertEqual(
            self.found([("wisp_referral_count", "<", 2)]), self.accounts - self.subscriber
        )

    def test_unsupported_comparison_is_refused(self):
        with self.assertRaisesRegex(UserError, "Unsupported operator"):
            self.Partner.search([("wisp_referral_count", "ilike", "2")])
