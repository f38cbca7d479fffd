from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestWallet(WispBillingCase):
    def test_top_up_is_a_customer_payment(self):
        journal = self.company_data["default_journal_bank"]
        self.env["wisp.wallet.credit"].create(
            {
                "partner_id": self.subscriber.id,
                "kind": "topup",
                "amount": 40.0,
                "journal_id": journal.id,
                "memo": "Cash at the shop",
            }
        ).action_confirm()
        self.subscriber.invalidate_recordset(["wisp_wallet_balance"])
        self.assertAlmostEqual(self.subscriber.wisp_wallet_balance, 40.0)
        payment = self.env["account.payment"].search([("partner_id", "=", self.subscriber.id)])
        self.assertEqual((payment.amount, payment.state), (40.0, "in_process"))
        history = self.env["account.move.line"].search(
            self.subscriber.action_wisp_wallet_history()["domain"]
        )
        self.assertEqual(history.move_id, payment.move_id)

    def test_promo_and_compensation_post_to_their_accounts(self):
        self.subscriber._wisp_wallet_grant(15.0, "promo", "Welcome bonus")
        self.subscriber._wisp_wallet_grant(5.0, "compensation", "Outage 3 May")
        self.assertAlmostEqual(self.subscriber.wisp_wallet_balance, 20.0)
        moves = (
            self.env["account.move.line"]
            .search(
                [
                    ("move_id.wisp_wallet_kind", "!=", False),
                    ("partner_id", "=", self.subscriber.id),
                ]
            )
            .move_id
        )
        self.assertEqual(sorted(moves.mapped("wisp_wallet_kind")), ["compensation", "promo"])
        self.assertEqual(self.company.wisp_promo_account_id.account_type, "expense")
        with self.assertRaisesRegex(UserError, "positive"):
            self.subscriber._wisp_wallet_grant(-5.0, "promo", "Oops")

    def test_apply_pays_invoice_and_never_goes_negative(self):
        with freeze_time("2026-04-01"):
            self.new_service(plan=self.plan_62)
        invoice = self.invoices()
        self.subscriber._wisp_wallet_grant(20.0, "promo", "Bonus")
        applied = invoice._wisp_apply_wallet()
        self.assertAlmostEqual(applied, 20.0)
        self.assertAlmostEqual(invoice.amount_residual, 42.0)
        self.subscriber.invalidate_recordset(["wisp_wallet_balance"])
        self.assertAlmostEqual(self.subscriber.wisp_wallet_balance, 0.0)
        self.assertAlmostEqual(invoice._wisp_apply_wallet(), 0.0, msg="nothing more to spend")
        with self.assertRaisesRegex(UserError, "no wallet balance"):
            invoice.action_wisp_apply_wallet()

    def test_enterprise_overpayment_applied_to_next_invoice_automatically(self):
        company = self.env["res.partner"].create(
            {
                "name": "MDU Co",
                "is_company": True,
                "wisp_wallet_auto_apply": True,
            }
        )
        branches = self.env["res.partner"].create(
            [
                {
                    "name": f"Branch {n}",
                    "parent_id": company.id,
                    "type": "other",
                    "street": f"{n} Road",
                }
                for n in range(5)
            ]
        )
        with freeze_time("2026-04-01"):
            services = self.env["wisp.service"]
            for branch in branches:
                services |= self.new_service(
                    partner=company, address_id=branch.id, state="confirmed"
                )
            services.action_activate()
        april = self.invoices(company)
        self.assertEqual(len(april), 1, "five branches, one consolidated invoice")
        self.assertAlmostEqual(april.amount_total, 155.0)
        self.assertEqual(
            len(april.invoice_line_ids.filtered(lambda line: line.display_type == "line_section")),
            5,
        )
        with freeze_time("2026-04-05"):
            self.pay(april, amount=200.0)  # overpaid by 45
        company.invalidate_recordset(["wisp_wallet_balance"])
        self.assertAlmostEqual(company.wisp_wallet_balance, 45.0)
        with freeze_time("2026-05-01"):
            may = self.bill(D(2026, 5, 1), partner=company)
        self.assertAlmostEqual(may.amount_residual, 110.0)
        company.invalidate_recordset(["wisp_wallet_balance"])
        self.assertAlmostEqual(company.wisp_wallet_balance, 0.0)


@tagged("post_install", "-at_install")
class TestWalletConcurrency(TransactionCase):
    """Two transactions at once, on real separate cursors.

    The data is committed by its own cursor (and stays in the throw-away test
    database); this class writes nothing in the test transaction, so the
    worker cursors never wait on it.
    """

    def _committed_setup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Wallet"})
            product = env["product.product"].create(
                {"name": "Concurrent plan", "type": "service", "taxes_id": []}
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": "2026-04-01",
                        "invoice_line_ids": [
                            (0, 0, {"product_id": product.id, "price_unit": 80.0})
                        ],
                    }
                    for _i in range(2)
                ]
            )
            invoices.action_post()
            partner._wisp_wallet_grant(100.0, "promo", "Race credit")
            return partner.id, invoices.ids

    def test_two_concurrent_applications_spend_the_credit_once(self):
        """Cursor A applies the wallet and has not committed yet when cursor B
        tries: B waits on the account lock (here: gives up after 200 ms), and
        once A has committed B can only spend what is left."""
        partner_id, invoice_ids = self._committed_setup()
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            first = env_a["account.move"].browse(invoice_ids[0])
            second = env_b["account.move"].browse(invoice_ids[1])
            self.assertAlmostEqual(first._wisp_apply_wallet(), 80.0)
            cr_b.execute("SET LOCAL lock_timeout = '200ms'")
            with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.LockNotAvailable):
                second._wisp_apply_wallet()
            cr_b.rollback()
            cr_a.commit()
            self.assertAlmostEqual(second._wisp_apply_wallet(), 20.0)
            cr_b.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            first, second = env["account.move"].browse(invoice_ids)
            self.assertAlmostEqual(first.amount_residual, 0.0)
            self.assertAlmostEqual(second.amount_residual, 60.0)
            self.assertAlmostEqual(env["res.partner"].browse(partner_id).wisp_wallet_balance, 0.0)
