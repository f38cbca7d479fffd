from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.wisp_network.adapters.routeros import RouterOSBackend
from odoo.tools import mute_logger

from .common import WispNetworkCase


class TestJobQueue(WispNetworkCase):
    """Router down: retries with backoff, converges when it returns, nothing lost or doubled."""

    def test_router_down_retries_with_backoff_then_converges(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_backoff_seconds", "30")
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        self.emu.set_refuse(True)

        before = fields.Datetime.now()
        self.run_jobs()
        self.assertEqual((job.state, job.attempts), ("pending", 1))
        self.assertIn("connection refused", job.last_error)
        self.assertGreaterEqual(job.next_try, before + timedelta(seconds=30))
        self.assertEqual(self.router.reachability, "unreachable")
        self.assertEqual(self.run_jobs(), 0, "not retried before its backoff expires")

        self.time_passes()
        before = fields.Datetime.now()
        self.run_jobs()
        self.assertEqual((job.state, job.attempts), ("pending", 2))
        self.assertGreaterEqual(job.next_try, before + timedelta(seconds=60), "backoff doubles")

        # Meanwhile the service is suspended: the change folds into the waiting job.
        service.with_user(self.billing).action_suspend()
        self.assertEqual(self.jobs_of(service), job)
        self.emu.set_refuse(False)
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.router.reachability, "reachable")
        self.assertEqual(len(self.emu.table("/ppp/secret")), 1)
        self.assertTrue(self.secret(service)["profile"].endswith("-restricted"))

    def test_change_during_a_running_job_is_not_lost(self):
        service = self.new_service(state="active")
        running = self.jobs_of(service)
        running.write({"state": "running", "claimed_at": fields.Datetime.now()})
        service.with_user(self.billing).action_suspend()
        self.assertEqual(len(self.jobs_of(service)), 2, "a running job absorbs no new change")

    def test_job_of_a_dead_worker_is_claimed_again(self):
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        job.write({"state": "running", "claimed_at": fields.Datetime.now() - timedelta(hours=1)})
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.secret(service))

    def test_gives_up_after_max_attempts_and_tells_the_network_team(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "3")
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        self.router.responsible_id = self.network
        self.emu.set_refuse(True)
        for _attempt in range(3):
            self.time_passes()
            self.run_jobs()
        self.assertEqual((job.state, job.attempts), ("failed", 3))
        activity = service.activity_ids
        self.assertEqual(activity.user_id, self.network)
        self.assertIn("connection refused", activity.note)
        self.assertTrue(service.network_job_failed)
        self.assertIn(self.router.name, activity.summary)

        self.emu.set_refuse(False)
        job.with_user(self.network).action_retry()
        self.run_jobs()
        self.assertEqual(job.state, "done")

    def test_unexpected_error_backs_off_then_gives_up(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "3")
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        with (
            patch.object(RouterOSBackend, "apply", side_effect=ValueError("adapter bug")),
            mute_logger("odoo.addons.wisp_network.models.wisp_network_job"),
        ):
            self.run_jobs()
            self.assertEqual((job.state, job.attempts), ("pending", 1), "not left running")
            self.assertIn("adapter bug", job.last_error)
            for _attempt in range(2):
                self.time_passes()
                self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.time_passes()
        job.with_user(self.network).action_retry()
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.secret(service))

    def test_refusal_fails_at_once(self):
        self.router.password = "wrong"  # noqa: S105 - test data
        service = self.new_service(state="active")
        self.run_jobs()
        job = self.jobs_of(service)
        self.assertEqual((job.state, job.attempts), ("failed", 1))
        self.assertIn("refused", job.last_error)
        self.assertEqual(self.router.reachability, "error")

    def test_one_conflicting_login_does_not_block_the_others(self):
        first = self.new_service(state="active")
        second = self.new_service(state="active")
        # An engineer made this secret by hand: the suite must not take it over.
        self.emu.insert("/ppp/secret", name=first.login, password="x", comment="by hand")  # noqa: S106 - test data
        self.run_jobs()
        self.assertEqual(self.jobs_of(first).state, "failed")
        self.assertIn("not managed", self.jobs_of(first).last_error)
        self.assertEqual(self.jobs_of(second).state, "done")
        self.assertTrue(self.secret(second))

    def test_support_reads_jobs_network_retries_them(self):
        service = self.new_service(state="active")
        job = self.jobs_of(service)
        self.assertEqual(job.with_user(self.support).read(["state"])[0]["state"], "pending")
        self.assertEqual(service.with_user(self.support).network_job_ids, job)
        job.with_user(self.network).action_retry()
