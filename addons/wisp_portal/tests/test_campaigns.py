import re

from odoo import Command
from odoo.addons.sms_twilio.tests.common import MockSmsTwilioApi
from odoo.exceptions import AccessError
from odoo.tests import JsonRpcException, new_test_user, tagged

from .common import WispPortalCase

NUMBERS = {"alice": "+12202154155", "bob": "+12202154156", "carol": "+12202154157"}
# the plan_id radios of the plan change page that are checked
CHECKED_PLAN = re.compile(r'<input type="radio" name="plan_id"[^>]*value="(\d+)" checked')


@tagged("post_install", "-at_install")
class TestCampaigns(MockSmsTwilioApi, WispPortalCase):
    """Campaigns to a subscriber segment with Odoo's e-mail and SMS marketing: the
    segment's subscribers get it, those who refused offers do not; the upsell link
    preselects the offered plan, the referral link is each subscriber's own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms_twilio(cls.company)
        cls.carol = cls._portal_user("carol", "Carol Portal").partner_id
        us = cls.env.ref("base.us")
        for partner in cls.alice | cls.bob | cls.carol:
            login = partner.user_ids.login
            partner.write({"phone": NUMBERS[login], "country_id": us.id})
        cls.segment = cls.env["wisp.segment"].create(
            {
                "name": "Home 20 subscribers",
                "plan_ids": [Command.set(cls.plan_20.ids)],
                "offer_plan_id": cls.plan_50.id,
            }
        )

        def user(login, *groups):
            return new_test_user(
                cls.env,
                login=login,
                password=login,
                groups=",".join(groups),
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
            )

        cls.manager = user("t_campaigns", "wisp_subscriber.group_wisp_manager")
        cls.staff = {
            role: user(f"t_campaigns_{role}", f"wisp_subscriber.group_wisp_{role}")
            for role in ("installer", "support", "billing", "network")
        }

    def setUp(self):
        super().setUp()
        self.alice_service = self.new_service(self.alice, self.plan_20)
        self.bob_service = self.new_service(self.bob, self.plan_20)
        self.new_service(self.carol, self.plan_50)

    def campaign(self, mailing_type="mail", **vals):
        """A campaign to the segment, written as the WISP manager does."""
        body = 'Your friends join with <t t-out="object.wisp_referral_link"/>'
        return (
            self.env["mailing.mailing"]
            .with_user(self.manager)
            .create(
                {
                    "subject": "Faster for less",
                    "mailing_type": mailing_type,
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "wisp_segment_id": self.segment.id,
                    "body_html": f"<p>{body}</p>",
                    "body_plaintext": "Invite friends: {{ object.wisp_referral_link }}",
                    "sms_force_send": True,
                    **vals,
                }
            )
        )

    def traces(self, mailing):
        return {
            trace.res_id: (trace.trace_status, trace.failure_type)
            for trace in mailing.mailing_trace_ids
        }

    def test_segment_finds_its_subscribers(self):
        self.assertEqual(
            self.env["res.partner"].search(self.segment._wisp_domain()), self.alice | self.bob
        )
        self.assertEqual(self.segment.subscriber_count, 2)
        mailing = self.campaign()
        self.assertEqual(mailing.mailing_domain, self.segment.mailing_domain)
        self.assertEqual(sorted(mailing._get_recipients()), sorted((self.alice | self.bob).ids))

    def test_email_campaign_skips_who_refused_offers(self):
        self.bob._wisp_set_message_preferences("email", True)  # the portal's /my/messages
        self.assertTrue(self.bob.is_blacklisted)
        mailing = self.campaign()
        mailing.with_user(self.manager).action_send_mail()
        self.assertEqual(
            self.traces(mailing),
            {self.alice.id: ("outgoing", False), self.bob.id: ("cancel", "mail_bl")},
        )
        mail = self.env["mail.mail"].sudo().search([("mailing_id", "=", mailing.id)])
        self.assertEqual(mail.res_id, self.alice.id)
        self.assertIn(f"/connect?ref={self.alice._wisp_referral_code_get()}", str(mail.body_html))

    def test_sms_campaign_skips_blacklisted_numbers(self):
        self.bob._wisp_set_message_preferences("email", True)
        self.assertTrue(self.bob.phone_sanitized_blacklisted)
        mailing = self.campaign("sms")
        with self.mock_sms_twilio_gateway():
            mailing.with_user(self.manager).action_send_mail()
        self.assertEqual([sms["number"] for sms in self._sms], [NUMBERS["alice"]])
        # Odoo shortens an SMS's links to tracked ones: this one leads to her own link
        tracker = self.env["link.tracker"].search([("url", "=", self.alice.wisp_referral_link)])
        self.assertIn(f"/connect?ref={self.alice._wisp_referral_code_get()}", tracker.url)
        self.assertIn(f"/r/{tracker.code}/s/", self._sms[0]["body"])
        self.assertEqual(self.traces(mailing)[self.bob.id], ("cancel", "sms_blacklist"))

    def test_campaign_reads_the_segment_when_it_is_sent(self):
        mailing = self.campaign()
        self.bob_service.action_terminate()
        self.carol.service_ids.write({"plan_id": self.plan_20.id})
        mailing.with_user(self.manager).action_send_mail()
        self.assertEqual(set(self.traces(mailing)), {self.alice.id, self.carol.id})

    def test_overdue_segment_is_its_company_s_whoever_sends(self):
        self.segment.overdue = True
        self.overdue_invoice(self.alice_service)
        mailing = self.campaign()
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        # the mail queue cron sends as superuser, in whatever company it runs in
        sender = mailing.sudo().with_company(other_company)
        self.assertEqual(sender._get_recipients(), self.alice.ids)

    def test_offer_link_preselects_the_plan(self):
        self.authenticate("alice", "alice")
        response = self.url_open(self.segment.offer_url, allow_redirects=False)
        page = f"/my/services/{self.alice_service.id}/plan?plan_id={self.plan_50.id}"
        self.assertTrue(response.headers["Location"].endswith(page))
        body = self.url_open(page).text
        self.assertEqual(CHECKED_PLAN.findall(body), [str(self.plan_50.id)])

    def test_offer_of_a_plan_the_service_may_not_take_is_ignored(self):
        self.authenticate("alice", "alice")
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        foreign = self.plan_50.copy({"name": "Foreign 50", "company_id": other_company.id})
        url = f"/my/services/{self.alice_service.id}/plan"
        for plan_id in (self.plan_prepaid.id, foreign.id, self.plan_20.id, "x", 10**9):
            response = self.url_open(f"{url}?plan_id={plan_id}")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(CHECKED_PLAN.findall(response.text), [], f"plan {plan_id}")
            response = self.url_open(f"/my/plan-offer?plan_id={plan_id}", allow_redirects=False)
            self.assertTrue(response.headers["Location"].endswith("/my/services"))

    def test_staff_roles_may_neither_segment_nor_send(self):
        mailing = self.campaign()
        for role, user in self.staff.items():
            with self.subTest(role=role):
                with self.assertRaises(AccessError):
                    self.segment.with_user(user).read(["name"])
                with self.assertRaises(AccessError):
                    self.env["wisp.segment"].with_user(user).create({"name": "Mine"})
                with self.assertRaises(AccessError):
                    self.segment.with_user(user).action_new_mailing()
                with self.assertRaises(AccessError):
                    mailing.with_user(user).action_send_mail()
                self.authenticate(user.login, user.login)
                with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                    self.make_jsonrpc_request(
                        "/web/dataset/call_kw/wisp.segment/action_new_sms",
                        {
                            "model": "wisp.segment",
                            "method": "action_new_sms",
                            "args": [self.segment.ids],
                            "kwargs": {},
                        },
                    )

    def test_segments_are_per_company(self):
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        foreign = self.env["wisp.segment"].create(
            {"name": "Theirs", "company_id": other_company.id}
        )
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).read(["name"])
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).action_new_mailing()
        # the other company's subscribers are not this segment's
        self.assertNotIn(self.alice, self.env["res.partner"].search(foreign._wisp_domain()))
