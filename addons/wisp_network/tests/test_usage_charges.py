from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import overage_plan
from odoo.tools import mute_logger

from .common import WispNetworkCase

GB = 10**9


class TestUsageCharges(WispNetworkCase):
    """The usage ledger filled from the readings, and plans that charge past the cap."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flex = overage_plan(cls.env)
        cls.Period = cls.env["wisp.service.usage.period"]

    def use(self, service, day, megabytes):
        """A day's reading and the cap check that follows it, as the usage cron does."""
        self.env["wisp.service.usage"].create(
            {"service_id": service.id, "date": day, "download_mb": megabytes, "upload_mb": 0}
        )
        return service._check_data_caps(day)

    def periods(self, service):
        return self.Period.search([("service_id", "=", service.id)], order="date_start")

    def messages(self, service, code):
        return self.env["wisp.message"].search(
            [
                ("event_id.code", "=", code),
                ("res_model", "=", "wisp.service"),
                ("res_id", "=", service.id),
            ]
        )

    def test_readings_fill_the_current_cycle(self):
        service = self.new_service(state="active", plan=self.flex)
        today = fields.Date.context_today(service)
        start = service._cycle_start(today)
        self.use(service, start, 40_000.0)
        period = self.periods(service)
        self.assertRecordValues(
            period,
            [
                {
                    "date_start": start,
                    "date_end": service._cycle_end(today),
                    "used_mb": 40_000.0,
                    "allowance_mb": 100_000.0,
                    "plan_id": self.flex.id,
                    "state": "open",
                }
            ],
        )
        self.assertEqual(period.date_end + relativedelta(days=1), start + relativedelta(months=1))
        self.use(service, start + relativedelta(days=1), 60_000.5)
        self.assertEqual(self.periods(service), period, "one period per cycle")
        self.assertEqual((period.used_mb, period.over_mb), (100_000.5, 0.5))

    def test_a_throttled_plan_keeps_no_ledger(self):
        service = self.new_service(state="active", plan=self.plan_capped)
        self.use(service, service._cycle_start(fields.Date.context_today(service)), 2000.0)
        self.assertTrue(service.cap_exceeded)
        self.assertFalse(self.periods(service))

    def test_overage_keeps_the_speed_and_tells_of_the_charge(self):
        service = self.new_service(state="active", plan=self.flex)
        start = service._cycle_start(fields.Date.context_today(service))
        self.use(service, start, 85_000.0)
        self.assertEqual(len(self.messages(service, "data_cap_80")), 1)
        self.use(service, start + relativedelta(days=1), 15_000.0)
        self.assertFalse(service.cap_exceeded, "exactly at the cap, and past it: full speed")
        self.use(service, start + relativedelta(days=2), 50_000.0)
        self.assertFalse(service.cap_exceeded)
        told = self.messages(service, "data_cap_overage")
        self.assertEqual(len(told), 1, "once per cycle")
        self.assertFalse(self.messages(service, "data_cap_100"))
        self.env["wisp.message"]._cron_send(commit=False)
        self.assertIn("2.00", str(told.mail_message_id.body), "the price per GB is said")
        self.assertEqual(self.periods(service).overage_amount, 100.0, "50 GB at 2.00")

    def test_charged_up_to_the_maximum_then_fair_use(self):
        self.flex.product_tmpl_id.write(
            {"data_cap_policy": "overage_then_throttle", "overage_max_gb": 5}
        )
        service = self.new_service(state="active", plan=self.flex)
        start = service._cycle_start(fields.Date.context_today(service))
        self.use(service, start, 104_999.0)
        self.assertFalse(service.cap_exceeded, "still within the GB charged")
        self.assertTrue(self.messages(service, "data_cap_overage"))
        self.use(service, start + relativedelta(days=1), 1.0)
        self.assertTrue(service.cap_exceeded)
        self.assertEqual(len(self.messages(service, "data_cap_100")), 1)
        self.use(service, start + relativedelta(days=2), 30_000.0)
        self.assertEqual(self.periods(service).used_mb, 135_000.0, "the ledger still counts")
        self.assertEqual(self.periods(service).overage_amount, 10.0, "5 GB at most")

    def test_cycle_end_closes_the_period_with_its_final_usage(self):
        service = self.new_service(state="active", plan=self.flex)
        start = service._cycle_start(fields.Date.context_today(service))
        self.use(service, start, 100_500.0)
        period = self.periods(service)
        # a reading recorded without the cap check (the check is per router batch)
        self.env["wisp.service.usage"].create(
            {"service_id": service.id, "date": period.date_end, "download_mb": 700.0}
        )
        Service = self.env["wisp.service"]
        Service._cron_reset_usage_cycles(today=period.date_end)
        self.assertEqual(period.state, "open", "the cycle's last day still counts")
        next_start = period.date_end + relativedelta(days=1)
        Service._cron_reset_usage_cycles(today=next_start)
        self.assertEqual((period.state, period.used_mb), ("closed", 101_200.0))
        self.use(service, next_start, 10.0)
        new = self.periods(service) - period
        self.assertEqual((new.date_start, new.used_mb, new.state), (next_start, 10.0, "open"))
        self.assertEqual(period.used_mb, 101_200.0, "a closed period is final")

    def test_router_readings_reach_the_ledger(self):
        """The usage cron's own path: router counters -> daily rows -> ledger."""
        service = self.new_service(state="active", plan=self.flex)
        self.flex.data_cap_gb = 1
        self.run_jobs()
        self.emu.connect_session(service.login)
        self.emu.add_traffic(service.login, upload=GB // 10, download=GB)
        self.env["wisp.service.usage"]._cron_collect(commit=False)
        period = self.periods(service)
        self.assertEqual((period.used_mb, period.over_mb), (1100.0, 100.0))
        self.assertFalse(service.cap_exceeded)
        self.assertEqual(period.overage_quantity, 1.0)

    @mute_logger("odoo.addons.wisp_subscriber.tools.each_alone")
    def test_one_period_that_cannot_close_waits_alone(self):
        good = self.new_service(state="active", plan=self.flex)
        bad = self.new_service(state="active", plan=self.flex)
        start = good._cycle_start(fields.Date.context_today(good))
        for service in good | bad:
            self.use(service, start, 500.0)
        good_period, bad_period = self.periods(good), self.periods(bad)
        next_start = good_period.date_end + relativedelta(days=1)
        Period = type(self.Period)
        close = Period._wisp_close

        def failing(periods):
            if bad_period in periods:
                raise ValueError("corrupt period")
            return close(periods)

        with patch.object(Period, "_wisp_close", failing):
            self.env["wisp.service"]._cron_reset_usage_cycles(today=next_start)
        self.assertEqual((good_period.state, bad_period.state), ("closed", "open"))
        self.assertEqual(bad.activity_ids.summary, "Closing the usage period failed")
        self.env["wisp.service"]._cron_reset_usage_cycles(today=next_start)
        self.assertEqual(bad_period.state, "closed", "closed on the next run")
        self.assertEqual(bad.activity_ids.mapped("state"), [], "its warning is done")
