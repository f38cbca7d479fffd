import psycopg2.extensions

from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError
from odoo.sql_db import connection_info_for

from .common import WispHelpdeskCase


class TestFailedJobTicket(WispHelpdeskCase):
    def internal_notes(self, ticket):
        notes = ticket.message_ids.filtered(lambda m: m.subtype_id.internal)
        return "\n".join(notes.mapped("body"))

    def assert_no_secrets(self, ticket, router=None):
        """Nothing of the router's access reaches the ticket, wherever staff may read it."""
        router = (router or self.router).sudo()
        texts = [
            ticket.name,
            ticket.description,
            ticket.sudo().wisp_explanation or "",
            *ticket.message_ids.mapped("body"),
            *ticket.message_ids.tracking_value_ids.mapped("new_value_char"),
        ]
        dsn = router.radius_server_id.dsn
        secrets = [router.host, router.username, router.password, dsn, router.coa_secret]
        if router.api_port:
            secrets.append(str(router.api_port))
        if dsn:
            secrets += psycopg2.extensions.parse_dsn(dsn).values()
        for text in texts:
            for secret in filter(None, secrets):
                self.assertNotIn(secret, text or "")

    def auto_tickets(self, service):
        return self.Ticket.search(
            [("wisp_service_id", "=", service.id), ("wisp_network_job_id", "!=", False)]
        )

    def test_one_ticket_for_the_network_team_not_one_per_retry(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "3")
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        self.emu.set_refuse(True)
        for attempt in range(3):
            self.time_passes()
            self.run_jobs()
            if attempt < 2:
                self.assertEqual(job.state, "pending")
                self.assertFalse(self.auto_tickets(service), "a retry opens no ticket")
        self.assertEqual(job.state, "failed")
        ticket = self.auto_tickets(service)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, self.team_network)
        self.assertEqual(ticket.wisp_network_job_id, job)
        self.assertEqual(ticket.wisp_router_id, self.router)
        # the technical error is an internal note, without the router's address
        self.assertIn("connection refused", self.internal_notes(ticket))
        self.assertNotIn("connection refused", ticket.description)
        self.assert_no_secrets(ticket)

        # Retried by an engineer, fails again: the same open ticket is updated.
        job.with_user(self.network).action_retry()
        for _attempt in range(3):
            self.time_passes()
            self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.auto_tickets(service), ticket)
        # one note when the ticket was opened, one for this failure
        self.assertEqual(
            len(ticket.message_ids.filtered(lambda m: "failed after 3 attempt" in (m.body or ""))),
            2,
        )

        # Once that ticket is closed, a new failure opens a new one.
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        job.with_user(self.network).action_retry()
        for _attempt in range(3):
            self.time_passes()
            self.run_jobs()
        self.assertEqual(len(self.auto_tickets(service)), 2)

    def test_router_wide_failure_one_ticket_per_router(self):
        self.router.password = "wrong"  # noqa: S105 - test data
        self.Job._enqueue([{"router_id": self.router.id, "kind": "reconcile"}])
        self.run_jobs()
        self.Job._enqueue([{"router_id": self.router.id, "kind": "reconcile"}])
        self.run_jobs()
        tickets = self.Ticket.search(
            [("wisp_router_id", "=", self.router.id), ("wisp_service_id", "=", False)]
        )
        self.assertEqual(len(tickets), 1)
        self.assertEqual(tickets.team_id, self.team_network)

    def test_ticket_is_internal_work_not_the_subscribers(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "1")
        portal_user = make_portal_user(self.env, "t_job_portal", self.subscriber)
        service = self.new_service(state="active")
        self.emu.set_refuse(True)
        self.run_jobs()
        ticket = self.auto_tickets(service)
        self.assertTrue(ticket)
        self.assertFalse(ticket.partner_id, "addressed to nobody outside the company")
        self.assertFalse(ticket.message_partner_ids.filtered("partner_share"))
        Ticket = self.Ticket.with_user(portal_user)
        self.assertFalse(Ticket.search([]))
        with self.assertRaises(AccessError):
            ticket.with_user(portal_user).read(["description"])
        # staff see what failed; the customer-facing text says nothing technical
        self.assertIn(service.name, ticket.description)
        self.assert_no_secrets(ticket)

    def test_radius_database_access_never_reaches_the_ticket(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "1")
        _uri, info = connection_info_for(self.env.cr.dbname)
        dsn = psycopg2.extensions.make_dsn(
            dbname="wisp_radius_nowhere",
            user="wisp_radius_ghost",
            password="Db-S3cret-42",  # noqa: S106 - test data
            host=info.get("host") or "/var/run/postgresql",
            port=str(info.get("port") or 5432),
        )
        site = self.env["wisp.site"].create({"name": "Radius Tower", "code": "RADT"})
        router = self.env["wisp.router"].create(
            {
                "name": "RADIUS NAS",
                "site_id": site.id,
                "backend": "radius",
                "host": "192.0.2.77",
                "radius_server_id": self.env["wisp.radius.server"]
                .create({"name": "Nowhere", "dsn": dsn})
                .id,
                "coa_secret": "CoA-S3cret-42",
                "timeout": 1.0,
            }
        )
        service = self.new_service(state="active", site_id=site.id)
        self.run_jobs()
        job = self.jobs_of(service)
        self.assertEqual(job.state, "failed")
        self.assertIn("wisp_radius_ghost", job.last_error, "engineers keep the raw error")
        ticket = self.auto_tickets(service)
        self.assertTrue(ticket)
        self.assertIn("RADIUS database", self.internal_notes(ticket))
        self.assert_no_secrets(ticket, router)
