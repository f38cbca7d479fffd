"""The network engineer's day clicked through in headless Chromium as that role
(``static/tests/tours/wisp_network_tour.js``), failing on the first error dialog,
against the emulated RouterOS router."""

from odoo.tests import HttpCase, tagged

from .common import WispNetworkCase


@tagged("post_install", "-at_install")
class TestNetworkTour(WispNetworkCase, HttpCase):
    def test_router_failed_job_retry(self):
        self.env["ir.config_parameter"].set_param("wisp_network.job_max_attempts", "1")
        self.emu.set_refuse(True)
        service = self.new_service(state="active")
        self.time_passes()
        self.run_jobs()
        job = self.jobs_of(service)
        self.assertEqual(job.state, "failed")
        self.emu.set_refuse(False)

        self.start_tour(
            f"/odoo/action-wisp_network.wisp_router_action/{self.router.id}",
            "wisp_network_day",
            login=self.network.login,
        )

        self.assertEqual((job.state, job.attempts), ("pending", 0))
        self.time_passes()
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.secret(service), "the retried job put the login on the router")
