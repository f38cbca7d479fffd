from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user

from .common import WispHelpdeskCase


class TestTicketService(WispHelpdeskCase):
    def setUp(self):
        super().setUp()
        self.service = self.new_service(state="active")
        self.device = self.env["wisp.cpe.device"].create(
            {"service_id": self.service.id, "name": "LiteBeam", "ip_address": "10.20.0.50"}
        )

    def test_agent_sees_the_service_on_the_ticket(self):
        self.run_jobs()
        self.env["wisp.service.usage"].create(
            {
                "service_id": self.service.id,
                "date": self.service.cycle_start_date,
                "download_mb": 1500.0,
                "upload_mb": 500.0,
            }
        )
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        ).with_user(self.support)
        self.assertEqual(ticket.wisp_service_state, "active")
        self.assertEqual(ticket.wisp_plan_id, self.plan)
        self.assertEqual(ticket.wisp_device_ids, self.device)
        self.assertEqual(ticket.wisp_router_id, self.router)
        self.assertEqual(ticket.wisp_recent_job_ids, self.jobs_of(self.service))
        self.assertEqual(ticket.wisp_recent_job_ids.state, "done")
        self.assertAlmostEqual(ticket.wisp_cycle_usage_gb, 2.0)
        self.assertFalse(ticket.wisp_explanation, "active, synced, reachable: nothing to explain")
        self.assertIn(ticket, self.service.helpdesk_ticket_ids)

    def test_explanation_suspension_with_reason(self):
        self.service.with_user(self.billing).action_suspend(reason="Invoice INV/7 overdue")
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )
        self.assertIn("suspended: Invoice INV/7 overdue", ticket.wisp_explanation)

    def test_explanation_failed_job(self):
        self.router.password = "wrong"  # noqa: S105 - test data
        self.run_jobs()
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )
        self.assertIn("Router sync failed", ticket.wisp_explanation)
        self.assertIn("refused", ticket.wisp_explanation)
        self.assertNotIn("wrong", ticket.wisp_explanation, "no credentials in the ticket")

    def test_service_of_another_subscriber_is_refused(self):
        other = self.new_service(state="active", partner=self.other_subscriber)
        with self.assertRaisesRegex(ValidationError, "does not belong to"):
            self.new_ticket(wisp_service_id=other.id)

    def test_service_fills_the_subscriber(self):
        ticket = self.Ticket.create(
            {"name": "No partner", "description": "x", "wisp_service_id": self.service.id}
        )
        self.assertEqual(ticket.partner_id, self.subscriber)
        with Form(self.Ticket.with_user(self.support)) as form:
            form.name = "From the form"
            form.description = "<p>x</p>"
            form.wisp_service_id = self.service
            self.assertEqual(form.partner_id, self.subscriber)

    def test_circuit_test_from_the_ticket(self):
        self.emu.set_host("10.20.0.50", rtt_ms=[2.0, 4.0, 6.0], lost=(3,))
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )
        ticket.with_user(self.support).action_wisp_circuit_test()
        test = self.service.circuit_test_ids
        self.assertEqual((test.state, test.user_id), ("reachable", self.support))
        note = self.last_message(ticket)
        self.assertIn("20% loss", note.body)
        self.assertEqual(note.author_id, self.support.partner_id)
        self.assertFalse(ticket.wisp_first_response_date, "an internal note is no response")

        self.emu.set_host("10.20.0.50", reachable=False)
        ticket.with_user(self.network).action_wisp_circuit_test()
        self.assertIn("does not answer", self.last_message(ticket).body)

        billing_agent = self.billing
        with self.assertRaises(AccessError):
            ticket.with_user(billing_agent).action_wisp_circuit_test()

    def test_first_response_on_public_reply_or_stage(self):
        ticket = self.new_ticket(category_id=self.cat_other.id)
        ticket.with_user(self.support).message_post(
            body="We are looking into it", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertTrue(ticket.wisp_first_response_date)
        other = self.new_ticket(category_id=self.cat_other.id)
        other.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        self.assertTrue(other.wisp_first_response_date)

    def test_portal_reads_no_agent_field_of_its_ticket(self):
        portal_user = make_portal_user(self.env, "t_tk_portal", self.subscriber)
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )
        Ticket = ticket.with_user(portal_user)
        self.assertEqual(Ticket.read(["name"])[0]["name"], "Ticket")
        for field in (
            "wisp_service_state_reason",
            "wisp_device_ids",
            "wisp_first_response_date",
            "wisp_explanation",
            "wisp_network_job_id",
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                Ticket.read([field])
        with self.assertRaises(AccessError):
            Ticket.search_read([], ["wisp_first_response_date"])
        with self.assertRaises(AccessError):
            Ticket.formatted_read_group([], ["wisp_first_response_date:day"], ["__count"])

    def test_roles_outside_their_scope_are_refused(self):
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, wisp_service_id=self.service.id
        )
        portal_user = make_portal_user(self.env, "t_tk_portal2", self.subscriber)
        calls = (
            (ticket, "action_wisp_circuit_test", (portal_user, self.installer, self.billing)),
            (ticket, "action_wisp_view_service", (portal_user, self.installer, self.billing)),
            (self.service, "action_view_helpdesk_tickets", (portal_user, self.installer)),
            # an id that does not exist: the same refusal, not "missing"
            (self.service.browse(10**9), "action_view_helpdesk_tickets", (portal_user,)),
        )
        for records, method, users in calls:
            for user in users:
                with self.subTest(method=method, user=user.login), self.assertRaises(AccessError):
                    getattr(records.with_user(user), method)()
        self.assertFalse(self.service.circuit_test_ids)
        self.assertEqual(
            ticket.with_user(self.support).action_wisp_view_service()["res_id"], self.service.id
        )

    def test_a_service_fills_the_subscriber_only_for_who_may_read_it(self):
        helpdesk_only = new_test_user(
            self.env, login="t_tk_helpdesk", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        with self.assertRaises(AccessError):
            self.Ticket.with_user(helpdesk_only).create(
                {"name": "Who owns this?", "description": "x", "wisp_service_id": self.service.id}
            )
