from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalSubmission(HttpCase):
    """helpdesk_mgmt's portal form with the subscriber's services."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        plan = cls.env["product.product"].create(
            {
                "name": "Portal Plan 10",
                "type": "service",
                "is_wisp_plan": True,
                "service_type": "internet",
                "list_price": 20.0,
                "download_kbps": 10000,
                "upload_kbps": 2000,
            }
        )
        Partner = cls.env["res.partner"]
        cls.subscriber = Partner.create({"name": "Portal Subscriber", "email": "ps@example.com"})
        cls.stranger = Partner.create({"name": "Someone Else"})
        Service = cls.env["wisp.service"]
        cls.service = Service.create({"partner_id": cls.subscriber.id, "plan_id": plan.id})
        cls.foreign_service = Service.create({"partner_id": cls.stranger.id, "plan_id": plan.id})
        cls.user = new_test_user(
            cls.env,
            login="wisp_portal_sub",
            password="wisp_portal_sub",  # noqa: S106 - test data
            groups="base.group_portal",
            partner_id=cls.subscriber.id,
        )
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
