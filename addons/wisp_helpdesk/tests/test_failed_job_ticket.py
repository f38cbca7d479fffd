from .common import WispHelpdeskCase


class TestFailedJobTicket(WispHelpdeskCase):
    def auto_tickets(self, service):
        return self.Ticket.search(
            [("wisp_service_id", "=", service.id), ("wisp_network_job_id", "!=", False)]
        )

    def test_one_ticket_for_the_network_team_not_one_per_retry(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "3")
        service = self.new_service("active")
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
        self.assertIn("connection refused", ticket.description)

        # Retried by an engineer, fails again: the same open ticket is updated.
        job.with_user(self.network).action_retry()
        for _attempt in range(3):
            self.time_passes()
            self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.auto_tickets(service), ticket)
        self.assertEqual(
            len(ticket.message_ids.filtered(lambda m: "failed after 3 attempt" in (m.body or ""))),
            1,
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
