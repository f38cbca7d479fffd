from odoo.addons.wisp_subscriber.tests.common import make_plan, make_prepaid_plan
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestResellerSignup(TransactionCase):
    """Connection requests brought by a reseller: attributed, and visible to it alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a, cls.shop_b = cls.env["res.partner"].create(
            [
                {"name": "Signup Shop A", "wisp_is_reseller": True, "is_company": True},
                {"name": "Signup Shop B", "wisp_is_reseller": True, "is_company": True},
            ]
        )
        # the shop's clerk: a contact of the shop, so its commercial partner is the shop
        clerk_a = cls.env["res.partner"].create({"name": "Clerk A", "parent_id": cls.shop_a.id})
        cls.user_a = new_test_user(
            cls.env,
            login="signup_reseller_a",
            groups="wisp_billing.group_wisp_reseller",
            partner_id=clerk_a.id,
        )
        cls.user_b = new_test_user(
            cls.env,
            login="signup_reseller_b",
            groups="wisp_billing.group_wisp_reseller",
            partner_id=cls.shop_b.id,
        )
        Request = cls.env["wisp.connection.request"]
        vals = {"street": "1 Mast Lane", "city": "Relay", "source": "reseller"}
        cls.request_a = Request.create(
            {**vals, "contact_name": "Prospect A", "reseller_id": cls.shop_a.id}
        )
        cls.request_b = Request.create(
            {**vals, "contact_name": "Prospect B", "reseller_id": cls.shop_b.id}
        )
        cls.request_web = Request.create({**vals, "contact_name": "Web", "source": "website"})

    def test_reseller_reads_only_its_requests(self):
        Request = self.env["wisp.connection.request"]
        self.assertEqual(Request.with_user(self.user_a).search([]), self.request_a)
        self.assertEqual(Request.with_user(self.user_b).search([]), self.request_b)
        self.assertEqual(
            self.request_a.with_user(self.user_a).read(["contact_name", "reseller_id"])[0][
                "reseller_id"
            ][0],
            self.shop_a.id,
        )
        for foreign in (self.request_b, self.request_web):
            with self.assertRaises(AccessError):
                foreign.with_user(self.user_a).read(["contact_name"])

    def test_reseller_cannot_write_or_create(self):
        with self.assertRaises(AccessError):
            self.request_a.with_user(self.user_a).write({"reseller_id": self.shop_b.id})
        with self.assertRaises(AccessError):
            self.env["wisp.connection.request"].with_user(self.user_a).create(
                {
                    "name": "CR-SNEAKY",  # past the sequence: the ACL itself refuses
                    "contact_name": "Sneaky",
                    "street": "2 Mast Lane",
                    "city": "Relay",
                    "reseller_id": self.shop_a.id,
                }
            )
        self.assertEqual(self.request_a.reseller_id, self.shop_a)

    def test_back_office_sees_the_reseller(self):
        for view in ("form", "list", "search"):
            arch = self.env["wisp.connection.request"].get_view(view_type=view)["arch"]
            self.assertIn('name="reseller_id"', arch, view)
        self.assertEqual(
            self.env["wisp.connection.request"].search([("reseller_id", "=", self.shop_b.id)]),
            self.request_b,
        )

    def test_offered_plans(self):
        base = {"taxes_id": [], "company_id": False, "download_kbps": 10000, "upload_kbps": 2000}
        home = make_plan(self.env, "Signup Home", 30.0, **base)
        tv = make_plan(self.env, "Signup TV", 10.0, service_type="iptv", **base)
        prepaid = make_prepaid_plan(self.env, "Signup Day", **base)
        retired = make_plan(self.env, "Signup Old", 30.0, sale_ok=False, **base)
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        foreign = make_plan(
            self.env, "Signup Abroad", 30.0, **{**base, "company_id": other_company.id}
        )
        Request = self.env["wisp.connection.request"]
        offered = Request._wisp_offered_plans()
        self.assertIn(home, offered)
        self.assertIn(tv, offered)
        self.assertFalse(offered & (prepaid | retired | foreign))
        internet = Request._wisp_offered_plans("internet")
        self.assertIn(home, internet)
        self.assertNotIn(tv, internet)


@tagged("post_install", "-at_install")
class TestReferralSignup(WispBillingCase):
    """A referral code typed on a connection request refers the new account only."""

    def test_referral_code_only_for_new_accounts(self):
        referrer = self.env["res.partner"].create({"name": "Referrer"})
        code = referrer._wisp_referral_code_get()
        Request = self.env["wisp.connection.request"]
        prospect = {"contact_name": "Friend", "street": "5 Oak Road", "city": "Relay"}
        with self.assertRaisesRegex(ValidationError, "does not exist"):
            Request.create({**prospect, "referral_code": "ZZZZ2222"})
        # an existing, already invoiced subscriber is not "referred" by typing a code
        self.new_service()
        self.assertTrue(self.invoices())
        request = Request.create(
            {**prospect, "partner_id": self.subscriber.id, "referral_code": code}
        )
        request.action_convert()
        self.assertFalse(self.subscriber.wisp_referred_by_id)
        self.assertIn("not applied", request.message_ids[:1].body)
        # a new account is
        request = Request.create({**prospect, "email": "new@example.com", "referral_code": code})
        request.action_convert()
        self.assertEqual(request.partner_id.wisp_referred_by_id, referrer)
