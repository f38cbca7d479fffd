import uuid
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..tools import codes
from .common import WispBillingCase, make_prepaid_plan


def make_resellers(case, login_prefix):
    """Shop A (20% commission) and Shop B (10%), each with a reseller login, on ``case``:
    ``reseller_a``, ``reseller_b``, ``user_a``, ``user_b``."""
    case.reseller_a, case.reseller_b = case.env["res.partner"].create(
        [
            {"name": "Shop A", "wisp_is_reseller": True, "wisp_reseller_commission": 20.0},
            {"name": "Shop B", "wisp_is_reseller": True, "wisp_reseller_commission": 10.0},
        ]
    )
    for suffix, reseller in (("a", case.reseller_a), ("b", case.reseller_b)):
        user = new_test_user(
            case.env,
            login=f"{login_prefix}_{suffix}",
            groups="wisp_billing.group_wisp_reseller",
            partner_id=reseller.id,
        )
        setattr(case, f"user_{suffix}", user)


@tagged("post_install", "-at_install")
class TestVoucherCodes(TransactionCase):
    def test_format_and_check_character(self):
        code = codes.generate_code(12, check=True)
        groups = code.split("-")
        self.assertEqual([len(g) for g in groups], [4, 4, 4])
        raw = codes.strip_code(code)
        self.assertTrue(set(raw) <= set(codes.CODE_ALPHABET))
        self.assertFalse(set("01IO") & set(codes.CODE_ALPHABET))
        self.assertTrue(codes.has_valid_check(raw))
        self.assertTrue(codes.has_valid_check(codes.strip_code(code.lower().replace("-", " "))))
        # every single wrong character and every adjacent swap is caught
        for sample in [raw, *map(codes.strip_code, codes.generate_codes(50))]:
            for i, char in enumerate(sample):
                for other in codes.CODE_ALPHABET.replace(char, ""):
                    self.assertFalse(codes.has_valid_check(sample[:i] + other + sample[i + 1 :]))
            for i in range(len(sample) - 1):
                if sample[i] != sample[i + 1]:
                    swapped = sample[:i] + sample[i + 1] + sample[i] + sample[i + 2 :]
                    self.assertFalse(codes.has_valid_check(swapped))
        # the swap Luhn mod 32 misses: first and last symbols of the alphabet
        payload = "2Z" + codes.random_symbols(9)
        self.assertFalse(codes.has_valid_check("Z2" + payload[2:] + codes.check_symbol(payload)))
        self.assertFalse(codes.has_valid_check("ABCD0EFGH"))

    def test_codes_are_random(self):
        sample = codes.generate_codes(2000)
        self.assertEqual(len(sample), 2000)
        # no shared prefix structure: first symbols spread over the alphabet
        self.assertGreater(len({c[0] for c in sample}), 28)


@tagged("post_install", "-at_install")
class TestVoucher(WispBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hotspot = make_prepaid_plan(cls.env)
        cls.week = make_prepaid_plan(cls.env, "Hotspot 7 days", duration=7, price=20.0)
        cls.company.write(
            {
                "wisp_referral_credit": 10.0,
                "wisp_registration_bonus": 3.0,
                "wisp_voucher_max_failures": 5,
                "wisp_voucher_failure_minutes": 10,
            }
        )
        make_resellers(cls, "t_reseller")

    def batch(self, quantity=5, plan=None, **vals):
        batch = self.env["wisp.voucher.batch"].create(
            {"name": "B", "plan_id": (plan or self.hotspot).id, "quantity": quantity, **vals}
        )
        batch.action_generate()
        return batch

    def client(self):
        return f"test-{uuid.uuid4().hex}"

    def tearDown(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM wisp_voucher_attempt WHERE client_key LIKE 'test-%%'")
        super().tearDown()

    # ------------------------------------------------------------------ batches
    def test_generate_unique_codes_in_bulk(self):
        batch = self.batch(quantity=3000)
        vouchers = batch.voucher_ids
        self.assertEqual(len(vouchers), 3000)
        self.assertEqual(batch.state, "generated")
        self.assertEqual(set(vouchers.mapped("state")), {"new"})
        self.assertEqual(vouchers.plan_id, self.hotspot)
        self.assertEqual(batch.price, 5.0)
        self.assertTrue(
            all(codes.has_valid_check(codes.strip_code(c)) for c in vouchers.mapped("code"))
        )
        with self.assertRaisesRegex(UserError, "exist already"):
            batch.action_generate()

    def test_collision_is_regenerated(self):
        taken = self.batch(quantity=1).voucher_ids.code
        calls = [
            {taken, codes.generate_code(12, check=True)},
            {codes.generate_code(12, check=True)},
        ]
        with patch(
            "odoo.addons.wisp_billing.models.wisp_voucher_batch.generate_codes",
            side_effect=lambda _count, _length: calls.pop(0),
        ):
            batch = self.batch(quantity=2)
        self.assertEqual(len(batch.voucher_ids), 2)
        self.assertNotIn(taken, batch.voucher_ids.mapped("code"))

    def test_card_sheet_pdf(self):
        batch = self.batch(quantity=30)
        pdf = batch._render_cards_pdf()
        self.assertTrue(pdf.startswith(b"%PDF"))
        action = batch.action_print_cards()
        self.assertIn("/web/content/", action["url"])

    def test_hour_pass_cards_and_redemption(self):
        two_hours = make_prepaid_plan(self.env, "Hotspot 2 hours", duration=2, unit="hours")
        batch = self.batch(quantity=1, plan=two_hours)
        self.assertEqual(batch.duration_label, "2 hours")
        with patch(
            "odoo.addons.wisp_billing.models.wisp_voucher_batch.render_cards",
            return_value=b"%PDF",
        ) as render:
            batch._render_cards_pdf()
        self.assertEqual(render.call_args.kwargs["validity"], "2 hours from first login")
        with freeze_time("2026-03-10 15:00"):
            result = self.env["wisp.voucher"]._redeem(batch.voucher_ids.code)
        service = result["service"]
        self.assertEqual((service.prepaid_pending_s, service.uptime_limit_s), (7200, 7200))
        self.assertIn("2 hours from the first login", "".join(service.message_ids.mapped("body")))
        with freeze_time("2026-03-10 16:00"):
            service._wisp_start_pass(fields.Datetime.to_datetime("2026-03-10 15:30"))
        self.assertEqual(service.expiry_datetime, fields.Datetime.to_datetime("2026-03-10 17:30"))
        with freeze_time("2026-03-10 17:31"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.env["wisp.voucher"]._cron_expire()
        self.assertEqual((service.state, batch.voucher_ids.state), ("suspended", "expired"))

    # ------------------------------------------------------------- redemption
    def test_anonymous_redemption(self):
        voucher = self.batch(quantity=1).voucher_ids
        with freeze_time("2026-03-10 15:00"):
            result = self.env["wisp.voucher"]._redeem(voucher.code.lower().replace("-", ""))
        service = result["service"]
        self.assertTrue(result["login"].startswith("hs-"))
        self.assertTrue(result["password"])
        self.assertEqual(service.login, result["login"])
        self.assertEqual((service.state, service.plan_id), ("active", self.hotspot))
        # the day starts at the first login, not at the redemption
        self.assertFalse(service.expiry_datetime)
        self.assertEqual((service.prepaid_pending_s, service.uptime_limit_s), (86400, 86400))
        self.assertEqual(result["duration"], "1 day")
        self.assertTrue(result["partner"].wisp_anonymous_prepaid)
        self.assertEqual(voucher.state, "active")
        self.assertFalse(voucher.expiry_datetime)
        with freeze_time("2026-03-10 18:00"):
            service._wisp_start_pass(fields.Datetime.to_datetime("2026-03-10 17:45"))
        self.assertEqual(service.expiry_datetime, fields.Datetime.to_datetime("2026-03-11 17:45"))
        self.assertEqual(voucher.expiry_datetime, service.expiry_datetime)
        # paid by the code: never on a recurring invoice
        self.assertFalse(service.billed_until)
        self.assertFalse(self.invoices(result["partner"]))
        with self.assertRaisesRegex(UserError, "already used"):
            self.env["wisp.voucher"]._redeem(voucher.code)

    def test_subscriber_stacks_same_plan_and_rejects_other_plan(self):
        v1, v2 = self.batch(quantity=2).voucher_ids
        other = self.batch(quantity=1, plan=self.week).voucher_ids
        with freeze_time("2026-03-10"):
            first = self.env["wisp.voucher"]._redeem(v1.code, partner=self.subscriber)
            service = first["service"]
            self.assertEqual(service.prepaid_pending_s, 86400)
            second = self.env["wisp.voucher"]._redeem(v2.code, partner=self.subscriber)
            self.assertEqual(second["service"], service)
            # two days waiting for the first login, two days of online time on the router
            self.assertEqual((service.prepaid_pending_s, service.uptime_limit_s), (172800, 172800))
            self.assertFalse(service.expiry_datetime)
            with self.assertRaisesRegex(UserError, "is for plan Hotspot 7 days"):
                self.env["wisp.voucher"]._redeem(
                    other.code, partner=self.subscriber, service=service
                )
            self.assertEqual(other.state, "new")
            # without a service: a separate service on the code's plan
            third = self.env["wisp.voucher"]._redeem(other.code, partner=self.subscriber)
            self.assertNotEqual(third["service"], service)
            self.assertEqual(third["service"].plan_id, self.week)

    def test_expiry_suspends_and_code_revives(self):
        v1, v2 = self.batch(quantity=2).voucher_ids
        with freeze_time("2026-03-10 08:00"):
            service = self.env["wisp.voucher"]._redeem(v1.code, partner=self.subscriber)["service"]
        with freeze_time("2026-03-10 09:05"):
            service._wisp_start_pass(fields.Datetime.to_datetime("2026-03-10 09:00"))
        with freeze_time("2026-03-11 08:59"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "active")
        with freeze_time("2026-03-11 09:00"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "suspended")
            self.env["wisp.voucher"]._cron_expire()
            self.assertEqual(v1.state, "expired")
        with freeze_time("2026-03-12 08:00"):
            self.env["wisp.voucher"]._redeem(v2.code, partner=self.subscriber)
            self.assertEqual(service.state, "active")
            # a new day, from the next first login; the router's total grows by it
            self.assertFalse(service.expiry_datetime)
            self.assertEqual(service.prepaid_pending_s, 86400)
            self.assertEqual(service.uptime_limit_s, 2 * 86400)

    def test_unused_codes_expire_after_use_by(self):
        voucher = self.batch(quantity=1, use_by="2026-03-31").voucher_ids
        with freeze_time("2026-04-01"):
            with self.assertRaisesRegex(UserError, "expired on"):
                self.env["wisp.voucher"]._redeem(voucher.code)
            self.env["wisp.voucher"]._cron_expire()
        self.assertEqual(voucher.state, "expired")

    def test_wrong_codes_and_throttling(self):
        voucher = self.batch(quantity=1).voucher_ids
        raw = codes.strip_code(voucher.code)
        typo = raw[:3] + ("2" if raw[3] != "2" else "3") + raw[4:]
        key = self.client()
        queries = self.env.cr.sql_log_count
        with self.assertRaisesRegex(UserError, "mistyped"):
            self.env["wisp.voucher"]._redeem(typo)
        self.assertEqual(self.env.cr.sql_log_count, queries, "a typo never reaches the database")
        payload = codes.random_symbols(11)
        unknown = payload + codes.check_symbol(payload)
        with self.assertRaisesRegex(UserError, "does not exist"):
            self.env["wisp.voucher"]._redeem(unknown, client_key=key)
        for _i in range(4):
            with self.assertRaisesRegex(UserError, "mistyped"):
                self.env["wisp.voucher"]._redeem(typo, client_key=key)
        # the sixth attempt is refused, even with the right code
        with self.assertRaisesRegex(UserError, "Too many wrong codes"):
            self.env["wisp.voucher"]._redeem(voucher.code, client_key=key)
        self.assertEqual(voucher.state, "new")
        # another client is not affected
        self.env["wisp.voucher"]._redeem(voucher.code, client_key=self.client())
        self.assertEqual(voucher.state, "active")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT result, count(*) FROM wisp_voucher_attempt WHERE client_key = %s"
                " GROUP BY result",
                [key],
            )
            self.assertEqual(dict(cr.fetchall()), {"unknown": 1, "typo": 4, "throttled": 1})
            # failures age out of the window
            cr.execute(
                "UPDATE wisp_voucher_attempt SET date = date - interval '11 minutes'"
                " WHERE client_key = %s",
                [key],
            )
        self.assertFalse(self.env["wisp.voucher.attempt"]._is_throttled(key))

    # --------------------------------------------------------------- resellers
    def test_consignment_sale_statement_and_invoice(self):
        batch = self.batch(quantity=4, reseller_id=self.reseller_a.id)
        batch.action_assign_reseller()
        vouchers = batch.voucher_ids
        self.assertEqual(set(vouchers.mapped("state")), {"assigned"})
        self.assertFalse(vouchers.assignment_move_id, "consignment is invoiced when sold")
        self.env.invalidate_all()  # what a portal request reads, it fetches
        with freeze_time("2026-03-05"):
            vouchers[:2].with_user(self.user_a).action_sell()
        with freeze_time("2026-04-02"):
            vouchers[2].with_user(self.user_a).action_sell()
        # redeemed without being marked sold: the redemption records the sale
        with freeze_time("2026-03-20"):
            self.env["wisp.voucher"]._redeem(vouchers[3].code)
        self.assertEqual(vouchers[:2].mapped("state"), ["sold", "sold"])
        statement = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.reseller_a.id, "date_from": "2026-03-01", "date_to": "2026-03-31"}
        )
        self.assertEqual(statement.sale_count, 3)
        self.assertAlmostEqual(statement.total_sales, 15.0)
        self.assertAlmostEqual(statement.total_commission, 3.0)  # 20% of 15
        self.assertAlmostEqual(statement.amount_due, 12.0)
        statement.action_invoice()
        invoice = statement.invoice_id
        self.assertEqual((invoice.partner_id, invoice.state), (self.reseller_a, "posted"))
        self.assertAlmostEqual(invoice.amount_total, 12.0)
        with self.assertRaisesRegex(UserError, "invoiced already"):
            statement.action_invoice()
        # the April sale is left for the next statement
        april = self.env["wisp.reseller.statement"].create(
            {"reseller_id": self.reseller_a.id, "date_from": "2026-04-01", "date_to": "2026-04-30"}
        )
        self.assertEqual(april.sale_ids.voucher_id, vouchers[2])

    def test_prepaid_stock_invoiced_when_assigned(self):
        batch = self.batch(quantity=3, plan=self.week, wholesale_price=15.0)
        batch.voucher_ids._wisp_assign(self.reseller_b, "prepaid")
        invoice = batch.voucher_ids.assignment_move_id
        self.assertEqual(len(invoice), 1)
        self.assertEqual((invoice.partner_id, invoice.state), (self.reseller_b, "posted"))
        self.assertAlmostEqual(invoice.amount_total, 45.0)
        batch.voucher_ids[0].with_user(self.user_b).action_sell()
        statement = self.env["wisp.reseller.statement"].create(
            {
                "reseller_id": self.reseller_b.id,
                "date_from": fields.Date.today() - timedelta(days=1),
                "date_to": fields.Date.today(),
            }
        )
        self.assertEqual(statement.sale_count, 1)
        self.assertAlmostEqual(statement.total_commission, 5.0)
        self.assertAlmostEqual(statement.amount_due, 0.0, msg="prepaid stock is paid already")
        with self.assertRaisesRegex(UserError, "Nothing is due"):
            statement.action_invoice()

    def test_sell_by_date(self):
        batch = self.batch(quantity=1, sell_by="2026-03-31", reseller_id=self.reseller_a.id)
        batch.action_assign_reseller()
        self.env.invalidate_all()
        with freeze_time("2026-04-01"), self.assertRaisesRegex(UserError, "sell-by"):
            batch.voucher_ids.with_user(self.user_a).action_sell()
        self.assertEqual(batch.voucher_ids.state, "assigned")

    def test_reseller_isolation(self):
        mine = self.batch(quantity=1)
        theirs = self.batch(quantity=1)
        mine.voucher_ids._wisp_assign(self.reseller_a, "consignment")
        theirs.voucher_ids._wisp_assign(self.reseller_b, "consignment")
        self.env.invalidate_all()
        Voucher = self.env["wisp.voucher"].with_user(self.user_a)
        self.assertEqual(Voucher.search([]), mine.voucher_ids)
        foreign = theirs.voucher_ids.with_user(self.user_a)
        with self.assertRaises(AccessError):
            foreign.read(["code"])
        with self.assertRaises(AccessError):
            foreign.action_sell()
        self.assertEqual(theirs.voucher_ids.state, "assigned")
        with self.assertRaises(AccessError):
            mine.voucher_ids.with_user(self.user_a).write({"state": "void"})
        mine.voucher_ids.with_user(self.user_a).action_sell()
        self.assertFalse(self.env["wisp.voucher.sale"].with_user(self.user_b).search([]))
        self.assertEqual(
            self.env["wisp.voucher.sale"].with_user(self.user_a).search([]).voucher_id,
            mine.voucher_ids,
        )
        with self.assertRaises(AccessError):
            self.env["wisp.voucher.batch"].with_user(self.user_a).search([])
        location = self.env["wisp.reseller.location"].create(
            {"name": "Shop B corner", "reseller_id": self.reseller_b.id, "latitude": 1.5}
        )
        self.assertIn("mlat=1.5", location.map_url)
        # published locations are public (demo data may publish others)
        visible = self.env["wisp.reseller.location"].with_user(self.user_a).search([])
        self.assertIn(location, visible)
        with self.assertRaises(AccessError):
            location.with_user(self.user_a).name = "Mine now"

    # --------------------------------------------------------------- marketing
    def test_referral_rewarded_once(self):
        referrer = self.env["res.partner"].create({"name": "Referrer"})
        code = referrer._wisp_referral_code_get()
        self.assertEqual(referrer._wisp_referral_code_get(), code)
        self.subscriber._wisp_set_referrer(code.lower())
        with self.assertRaisesRegex(UserError, "cannot take"):
            self.subscriber._wisp_set_referrer(code)
        with freeze_time("2026-03-01"):
            self.new_service()
        first, second = self.invoices(), self.env["account.move"]
        self.assertEqual(len(first), 1)
        self.pay(first)
        self.assertTrue(self.subscriber.wisp_referral_rewarded)
        # wallet credit of 10 for both (the subscriber's still unreconciled)
        self.assertAlmostEqual(self.subscriber.wisp_wallet_balance, 10.0)
        self.assertAlmostEqual(referrer.wisp_wallet_balance, 10.0)
        with freeze_time("2026-04-01"):
            second = self.bill(fields.Date.to_date("2026-04-01"))
        self.pay(second, amount=second.amount_residual)
        self.assertAlmostEqual(referrer.wisp_wallet_balance, 10.0)
        promo = self.env["account.move"].search([("wisp_wallet_kind", "=", "promo")])
        self.assertEqual(len(promo), 2)

    def test_registration_bonus_once(self):
        voucher = self.batch(quantity=1).voucher_ids
        account = self.env["wisp.voucher"]._redeem(voucher.code)["partner"]
        with self.assertRaisesRegex(UserError, "name and e-mail"):
            account._wisp_register_prepaid({"name": "Ann"})
        move = account._wisp_register_prepaid(
            {"name": "Ann Hotspot", "email": "ann@example.com", "street": "1 Main St", "x": 1}
        )
        self.assertTrue(move)
        self.assertEqual(account.name, "Ann Hotspot")
        self.assertAlmostEqual(account.wisp_wallet_balance, 3.0)
        self.assertFalse(
            account._wisp_register_prepaid({"name": "Ann H.", "email": "ann@example.com"})
        )
        self.assertAlmostEqual(account.wisp_wallet_balance, 3.0)
        with self.assertRaisesRegex(UserError, "Only prepaid hotspot"):
            self.subscriber._wisp_register_prepaid({"name": "X", "email": "x@example.com"})


@tagged("post_install", "-at_install")
class TestVoucherConcurrency(TransactionCase):
    """Two redemptions of one code at once, on real separate cursors."""

    def test_concurrent_redemptions_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            plan = make_prepaid_plan(env, "Race plan")
            batch = env["wisp.voucher.batch"].create(
                {"name": "RACE", "plan_id": plan.id, "quantity": 1}
            )
            batch.action_generate()
            code = batch.voucher_ids.code
            partners = env["res.partner"].create([{"name": "Racer A"}, {"name": "Racer B"}])
            ids = {"plan": plan.id, "batch": batch.id, "partners": partners.ids}
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            partner_a = env_a["res.partner"].browse(ids["partners"][0])
            partner_b = env_b["res.partner"].browse(ids["partners"][1])
            env_a["wisp.voucher"]._redeem(code, partner=partner_a)
            with mute_logger("odoo.sql_db"), self.assertRaisesRegex(UserError, "right now"):
                env_b["wisp.voucher"]._redeem(code, partner=partner_b)
            cr_b.rollback()
            cr_a.commit()
            with self.assertRaisesRegex(UserError, "already used"):
                env_b["wisp.voucher"]._redeem(code, partner=partner_b)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            services = env["wisp.service"].search([("partner_id", "in", ids["partners"])])
            self.assertEqual(services.partner_id.ids, ids["partners"][:1])
