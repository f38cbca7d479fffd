import re
from datetime import timedelta
from urllib.parse import urlencode

from odoo import fields, http
from odoo.addons.wisp_subscriber.tests.common import make_plan, make_portal_user
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestPortalSubmission(HttpCase):
    """helpdesk_mgmt's portal form with the subscriber's services."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        plan = make_plan(cls.env, "Portal Plan 10", 20.0, download_kbps=10000, upload_kbps=2000)
        Partner = cls.env["res.partner"]
        cls.subscriber = Partner.create({"name": "Portal Subscriber", "email": "ps@example.com"})
        cls.stranger = Partner.create({"name": "Someone Else"})
        Service = cls.env["wisp.service"]
        cls.service = Service.create({"partner_id": cls.subscriber.id, "plan_id": plan.id})
        cls.foreign_service = Service.create({"partner_id": cls.stranger.id, "plan_id": plan.id})
        cls.user = make_portal_user(cls.env, "wisp_portal_sub", cls.subscriber)
        cls.category = cls.env.ref("wisp_helpdesk.category_no_internet")

    def submit(self, **values):
        data = {
            "category": self.category.id,
            "csrf_token": http.Request.csrf_token(self),
            "subject": "portal-wisp-ticket",
            "description": "Nothing loads since 8 am.",
            **values,
        }
        files = {"attachment": ("speedtest.txt", b"0.0 Mbps", "text/plain")}
        return self.url_open("/submitted/ticket", data=data, files=files)

    def tickets(self):
        return self.env["helpdesk.ticket"].search([("name", "=", "portal-wisp-ticket")])

    def test_form_offers_only_own_services(self):
        self.authenticate("wisp_portal_sub", "wisp_portal_sub")
        response = self.url_open("/new/ticket")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f'value="{self.service.id}"', response.text)
        self.assertNotIn(f'value="{self.foreign_service.id}"', response.text)
        self.assertIn("No Internet", response.text)

    def test_submit_with_service_and_attachment(self):
        self.authenticate("wisp_portal_sub", "wisp_portal_sub")
        response = self.submit(wisp_service=str(self.service.id))
        self.assertEqual(response.status_code, 200)
        ticket = self.tickets()
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.wisp_service_id, self.service)
        self.assertEqual(ticket.partner_id, self.subscriber)
        self.assertEqual(ticket.team_id, self.env.ref("wisp_helpdesk.team_support"))
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.attachment_ids.mapped("name"), ["speedtest.txt"])
        self.assertIn(self.subscriber, ticket.message_partner_ids)
        # The subscriber follows it in the portal.
        page = self.url_open(f"/my/ticket/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.service.name, page.text)

    def test_service_of_another_subscriber_is_refused(self):
        self.authenticate("wisp_portal_sub", "wisp_portal_sub")
        response = self.submit(wisp_service=str(self.foreign_service.id))
        self.assertEqual(response.status_code, 403)
        self.assertIn("This service is not one of yours", response.text)
        self.assertFalse(self.tickets())


@tagged("post_install", "-at_install")
class TestPortalTicketRoutes(HttpCase):
    """helpdesk_mgmt's portal routes: only the ticket's own account (or staff) acts on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company_account = Partner.create({"name": "Owner Ltd", "is_company": True})
        cls.owner = Partner.create({"name": "Owner Person", "parent_id": cls.company_account.id})
        cls.colleague = Partner.create({"name": "Colleague", "parent_id": cls.company_account.id})
        cls.stranger = Partner.create({"name": "Stranger"})
        for login, partner in (
            ("t_close_owner", cls.owner),
            ("t_close_colleague", cls.colleague),
            ("t_close_stranger", cls.stranger),
        ):
            make_portal_user(cls.env, login, partner)
        cls.agent = new_test_user(
            cls.env,
            login="t_close_agent",
            password="t_close_agent",  # noqa: S106 - test data
            groups="wisp_subscriber.group_wisp_support",
        )
        cls.done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.rejected = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_rejected")

    def setUp(self):
        super().setUp()
        self.ticket = self.env["helpdesk.ticket"].create(
            {"name": "Close me", "description": "x", "partner_id": self.owner.id}
        )
        self.open_stage = self.ticket.stage_id

    def close(self, ticket_id, stage=None, csrf=True, method="POST"):
        data = {"ticket_id": ticket_id, "stage_id": (stage or self.done).id}
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        if method == "GET":
            return self.url_open(f"/ticket/close?{urlencode(data)}", allow_redirects=False)
        with mute_logger("odoo.http"):
            return self.url_open("/ticket/close", data=data, allow_redirects=False)

    def test_get_closes_nothing(self):
        self.authenticate("t_close_owner", "t_close_owner")
        response = self.close(self.ticket.id, method="GET")
        self.assertIn(response.status_code, (404, 405))
        self.assertEqual(self.ticket.stage_id, self.open_stage)

    def test_post_without_csrf_closes_nothing(self):
        self.authenticate("t_close_owner", "t_close_owner")
        response = self.close(self.ticket.id, csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.ticket.stage_id, self.open_stage)

    def test_stranger_gets_404_like_for_a_missing_ticket(self):
        self.authenticate("t_close_stranger", "t_close_stranger")
        foreign = self.close(self.ticket.id)
        missing = self.close(10**8)
        self.assertEqual((foreign.status_code, missing.status_code), (404, 404))
        self.assertEqual(self.ticket.stage_id, self.open_stage)

    def test_owner_account_and_staff_close(self):
        self.authenticate("t_close_owner", "t_close_owner")
        # a stage not offered on the portal is refused
        self.assertEqual(self.close(self.ticket.id, stage=self.rejected).status_code, 404)
        self.assertEqual(self.ticket.stage_id, self.open_stage)
        response = self.close(self.ticket.id)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith(f"/my/ticket/{self.ticket.id}"))
        self.assertEqual(self.ticket.stage_id, self.done)
        # a colleague of the same account, and staff
        for login in ("t_close_colleague", "t_close_agent"):
            ticket = self.ticket.copy({"stage_id": self.open_stage.id})
            self.authenticate(login, login)
            self.assertIn(self.close(ticket.id).status_code, (302, 303))
            self.assertEqual(ticket.stage_id, self.done, login)

    def test_submit_is_post_only(self):
        self.authenticate("t_close_owner", "t_close_owner")
        query = urlencode(
            {
                "subject": "csrf-by-get",
                "description": "created by an image tag",
                "csrf_token": http.Request.csrf_token(self),
            }
        )
        response = self.url_open(f"/submitted/ticket?{query}", allow_redirects=False)
        self.assertIn(response.status_code, (404, 405))
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "csrf-by-get")]))

    def test_submit_refuses_a_category_not_offered(self):
        hidden = self.env["helpdesk.ticket.category"].create(
            {"name": "Internal escalations", "show_in_portal": False}
        )
        self.authenticate("t_close_owner", "t_close_owner")
        data = {
            "category": hidden.id,
            "csrf_token": http.Request.csrf_token(self),
            "subject": "hidden-category",
            "description": "x",
        }
        response = self.url_open("/submitted/ticket", data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "hidden-category")]))

    def test_portal_page_lists_no_internal_attachment(self):
        Attachment = self.env["ir.attachment"]
        ticket = {"res_model": "helpdesk.ticket", "res_id": self.ticket.id}
        public = Attachment.create({"name": "speedtest.png", "raw": b"png", **ticket})
        internal = Attachment.with_user(self.agent).create(
            {"name": "router-config.rsc", "raw": b"/ip address", **ticket}
        )
        staff_upload = Attachment.with_user(self.agent).create(
            {"name": "site-survey.pdf", "raw": b"%PDF", **ticket}
        )
        self.ticket.with_user(self.agent).message_post(
            body="config attached", attachment_ids=internal.ids, subtype_xmlid="mail.mt_note"
        )
        self.ticket.with_user(self.agent).message_post(
            body="here is your speed test",
            attachment_ids=public.ids,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
        )
        self.authenticate("t_close_owner", "t_close_owner")
        page = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("speedtest.png", page.text)
        self.assertNotIn("router-config.rsc", page.text)
        self.assertNotIn(staff_upload.name, page.text)


@tagged("post_install", "-at_install")
class TestPortalTicketSla(HttpCase):
    """The subscriber sees by when we answer and whether we are on time, on its own
    tickets only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["helpdesk.sla"].search([]).active = False
        cls.team = cls.env.ref("wisp_helpdesk.team_support")
        cls.team.use_sla = True
        cls.sla = cls.env["helpdesk.sla"].create(
            {
                "name": "Portal first answer",
                "hours": 2,
                "stage_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress").id,
                "team_ids": [(6, 0, cls.team.ids)],
            }
        )
        Partner = cls.env["res.partner"]
        cls.owner = Partner.create({"name": "Sla Owner", "email": "sla.owner@example.com"})
        cls.stranger = Partner.create({"name": "Sla Stranger"})
        for login, partner in (("t_sla_owner", cls.owner), ("t_sla_stranger", cls.stranger)):
            make_portal_user(cls.env, login, partner)

    def setUp(self):
        super().setUp()
        self.ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Slow evenings",
                "description": "x",
                "partner_id": self.owner.id,
                "team_id": self.team.id,
            }
        )
        self.assertEqual(self.ticket.sla_ids, self.sla)

    def statuses(self, body):
        return re.findall(r'o_wisp_ticket_sla"[^>]*data-status="(\w+)"', body)

    def test_deadline_and_status_on_list_and_page(self):
        self.authenticate("t_sla_owner", "t_sla_owner")
        listing = self.url_open("/my/tickets").text
        self.assertIn("o_wisp_ticket_sla_cell", listing)
        self.assertEqual(self.statuses(listing), ["on_time"])
        page = self.url_open(f"/my/ticket/{self.ticket.id}").text
        self.assertIn("Portal first answer", page)
        self.assertEqual(self.statuses(page), ["on_time"])

        ticket_sla = self.ticket.ticket_sla_ids
        ticket_sla.deadline = fields.Datetime.now() - timedelta(hours=1)
        self.assertEqual(self.statuses(self.url_open("/my/tickets").text), ["late"])

        self.ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        self.assertIn(ticket_sla.state, ("accomplished", "expired"))
        expected = "met" if ticket_sla.state == "accomplished" else "missed"
        self.assertEqual(
            self.statuses(self.url_open(f"/my/ticket/{self.ticket.id}").text), [expected]
        )

    def test_another_subscriber_sees_nothing(self):
        self.authenticate("t_sla_stranger", "t_sla_stranger")
        self.assertNotIn("Slow evenings", self.url_open("/my/tickets").text)
        response = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertNotIn("Portal first answer", response.text)
        self.assertFalse(self.statuses(response.text))
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.env.ref("base.public_user"))._wisp_portal_sla()
