from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import mute_logger

from ..models.wisp_service_usage import counter_delta
from .common import WispNetworkCase, start_emulated_router

GB = 10**9


class TestUsage(WispNetworkCase):
    def collect(self, today=None):
        self.env["wisp.service.usage"]._cron_collect(commit=False, today=today)

    def test_counter_delta_handles_reset(self):
        self.assertEqual(counter_delta(150, 100), 50)
        self.assertEqual(counter_delta(30, 100), 30, "counter restarted from zero")

    def test_daily_rows_store_deltas(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.emu.add_traffic(service.login, upload=2 * 10**6, download=10 * 10**6)
        self.collect()
        self.emu.add_traffic(service.login, upload=10**6, download=5 * 10**6)
        self.collect()
        usage = service.usage_ids
        self.assertEqual(len(usage), 1, "one row per service and day")
        self.assertEqual((usage.download_mb, usage.upload_mb), (15.0, 3.0))
        self.assertAlmostEqual(service.cycle_usage_gb, 0.02, places=2)
        # Reconnecting starts a new queue: the counter resets, nothing is lost.
        self.emu.delete("/ppp/active", self.emu.table("/ppp/active")[0][".id"])
        self.emu.connect_session(service.login)
        self.emu.add_traffic(service.login, upload=0, download=4 * 10**6)
        self.collect()
        self.assertEqual(usage.download_mb, 19.0)

    def test_an_idle_service_is_not_written(self):
        """Readings repeat every few minutes: a service whose counters did not
        move is not written."""
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.emu.add_traffic(service.login, upload=10**6, download=10**6)
        self.collect()
        with patch.object(type(service), "write", autospec=True) as write:
            self.collect()
        self.assertFalse(write.called, "an idle service is not written")
        self.emu.add_traffic(service.login, upload=0, download=10**6)
        self.collect()
        self.assertEqual(service.usage_ids.download_mb, 2.0)

    @mute_logger("odoo.addons.wisp_subscriber.tools.each_alone")
    def test_one_routers_bad_reading_leaves_the_others_recorded(self):
        site_2 = self.env["wisp.site"].create({"name": "Second Tower", "code": "T2"})
        emu_2, router_2 = start_emulated_router(self, site_2, "Second NAS")
        here = self.new_service(state="active")
        there = self.new_service(state="active", site_id=site_2.id)
        self.assertEqual(there.router_id, router_2)
        self.run_jobs()
        for emu, service in ((self.emu, here), (emu_2, there)):
            emu.connect_session(service.login)
            emu.add_traffic(service.login, upload=10**6, download=10**6)
        Usage = type(self.env["wisp.service.usage"])
        record = Usage._record_counters

        def failing(usage, router, counters, today):
            if router == self.router:
                raise ValueError("garbled counters")
            return record(usage, router, counters, today)

        with patch.object(Usage, "_record_counters", failing):
            self.collect()
        self.assertFalse(here.usage_ids)
        self.assertEqual(there.usage_ids.download_mb, 1.0, "the other router recorded")
        self.assertEqual(self.router.activity_ids.summary, "Usage not recorded")

    def test_cap_crossing_switches_to_fair_use_and_new_cycle_restores(self):
        service = self.new_service(state="active", plan=self.plan_capped)
        self.run_jobs()
        self.emu.connect_session(service.login)
        plan_rate = self.profile_of(service)["rate-limit"]
        self.emu.add_traffic(service.login, upload=GB // 10, download=GB // 2)
        self.collect()
        self.assertFalse(service.cap_exceeded, "0.6 GB of a 1 GB cap")

        self.emu.add_traffic(service.login, upload=0, download=GB // 2)
        self.collect()
        self.assertTrue(service.cap_exceeded)
        self.assertTrue(self.jobs_of(service).filtered(lambda j: j.state == "pending").kick_session)
        self.run_jobs()
        self.assertEqual(self.profile_of(service)["rate-limit"], "500k/2000k")
        self.assertEqual(self.emu.sessions(), [], "kicked so the fair-use speed applies now")

        today = fields.Date.context_today(service)
        self.env["wisp.service"]._cron_reset_usage_cycles(today=today)
        self.assertTrue(service.cap_exceeded, "same cycle: still capped")
        next_cycle = service._cycle_start(today) + relativedelta(months=1)
        self.env["wisp.service"]._cron_reset_usage_cycles(today=next_cycle)
        self.assertFalse(service.cap_exceeded)
        self.run_jobs()
        self.assertEqual(self.profile_of(service)["rate-limit"], plan_rate)

    def test_cycle_starts_on_the_activation_day(self):
        service = self.new_service(state="active")
        service.activation_date = "2030-01-31"
        self.assertEqual(str(service._cycle_start(fields.Date.to_date("2030-03-15"))), "2030-02-28")
        self.assertEqual(str(service._cycle_start(fields.Date.to_date("2030-03-31"))), "2030-03-31")

    def test_demo_usage_a_month_under_the_cap(self):
        """Demo readings: one per day for 30 days (since activation if later), the same on
        every run, under the data cap, and none added to a service that has readings."""
        today = fields.Date.context_today(self.env.user)
        Usage = self.env["wisp.service.usage"]
        capped = self.new_service(state="active", plan=self.plan_capped)
        self.plan_capped.data_cap_gb = 100
        recent = self.new_service(state="active")
        capped.activation_date = today - relativedelta(months=3)
        recent.activation_date = today - relativedelta(days=4)
        rows = Usage._wisp_demo_usage()
        self.assertEqual(len(rows.filtered(lambda u: u.service_id == capped)), 30)
        self.assertEqual(len(rows.filtered(lambda u: u.service_id == recent)), 5)
        self.assertEqual(min(capped.usage_ids.mapped("date")), today - relativedelta(days=29))
        self.assertLess(sum(capped.usage_ids.mapped("total_mb")), 100 * 1000)
        self.assertTrue(all(u.download_mb > u.upload_mb > 0 for u in rows))
        self.assertFalse(Usage._wisp_demo_usage() & (capped.usage_ids | recent.usage_ids))
        figures = capped.usage_ids.sorted("date").mapped("total_mb")
        capped.usage_ids.unlink()
        again = Usage._wisp_demo_usage().filtered(lambda u: u.service_id == capped)
        self.assertEqual(again.sorted("date").mapped("total_mb"), figures)

    def cap_messages(self, service, code):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", code),
                ("res_model", "=", "wisp.service"),
                ("res_id", "=", service.id),
            ]
        )

    def use(self, service, day, megabytes):
        """A day's reading (one row per service and day) and the cap check that follows."""
        self.env["wisp.service.usage"].create(
            {"service_id": service.id, "date": day, "download_mb": megabytes, "upload_mb": 0}
        )
        return service._check_data_caps(day)

    def test_cap_messages_at_80_and_100_percent_once_per_cycle(self):
        service = self.new_service(state="active", plan=self.plan_capped)
        cap_mb = self.plan_capped.data_cap_gb * 1000
        today = fields.Date.context_today(service)
        start = service._cycle_start(today)
        day = start
        for share, warnings in ((0.5, 0), (0.3, 1), (0.001, 1)):  # told once in the cycle
            self.use(service, day, cap_mb * share)
            day += relativedelta(days=1)
            self.assertEqual(len(self.cap_messages(service, "data_cap_80")), warnings)
        warned = self.cap_messages(service, "data_cap_80")
        self.assertEqual(warned.event_key, str(start))
        self.assertFalse(self.cap_messages(service, "data_cap_100"))
        self.use(service, day, cap_mb * 0.2)
        self.assertTrue(service.cap_exceeded)
        reached = self.cap_messages(service, "data_cap_100")
        self.assertEqual(len(reached), 1)
        self.use(service, day + relativedelta(days=1), 10)
        self.assertEqual(self.cap_messages(service, "data_cap_100"), reached)
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertEqual((warned | reached).mapped("state"), ["sent", "sent"])
        self.assertIn("80%", warned.mail_message_id.subject)
        self.assertIn("fair-use speed", str(reached.mail_message_id.body))

        # the next cycle warns again
        next_start = start + relativedelta(months=1)
        self.env["wisp.service"]._cron_reset_usage_cycles(today=next_start)
        self.use(service, next_start, cap_mb * 0.9)
        self.assertEqual(len(self.cap_messages(service, "data_cap_80")), 2)

    def test_cap_messages_switched_off(self):
        for code in ("data_cap_80", "data_cap_100"):
            self.env.ref(f"wisp_network.message_event_{code}").enabled = False
        service = self.new_service(state="active", plan=self.plan_capped)
        start = service._cycle_start(fields.Date.context_today(service))
        self.use(service, start, self.plan_capped.data_cap_gb * 1000 * 0.85)
        self.use(service, start + relativedelta(days=1), self.plan_capped.data_cap_gb * 1000)
        self.assertTrue(service.cap_exceeded, "fair use does not depend on the message")
        self.assertFalse(
            self.env["wisp.message"].search(
                [("res_id", "=", service.id), ("res_model", "=", "wisp.service")]
            )
        )
