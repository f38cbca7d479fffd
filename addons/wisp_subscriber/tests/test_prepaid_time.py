from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError

from ..tools.durations import duration_label
from .common import WispSubscriberCase, make_prepaid_plan


class TestPrepaidTime(WispSubscriberCase):
    """Passes of minutes, hours or days, counted from the first login."""

    def _pass(self, duration, unit, **vals):
        return make_prepaid_plan(self.env, f"Pass {duration} {unit}", duration, unit=unit, **vals)

    def test_durations_in_minutes_hours_and_days(self):
        cases = [
            (30, "minutes", 1800, "30 minutes"),
            (1, "minutes", 60, "1 minute"),
            (1, "hours", 3600, "1 hour"),
            (2, "hours", 7200, "2 hours"),
            (1, "days", 86400, "1 day"),
            (7, "days", 604800, "7 days"),
        ]
        for duration, unit, seconds, label in cases:
            plan = self._pass(duration, unit)
            self.assertEqual(plan.product_tmpl_id._wisp_prepaid_seconds(), seconds)
            self.assertEqual(plan.wisp_period_label, label)
        # time left over from passes of different lengths reads in the largest exact unit
        self.assertEqual(duration_label(self.env, 26 * 3600), "26 hours")
        self.assertEqual(duration_label(self.env, 90 * 60), "90 minutes")
        self.assertEqual(duration_label(self.env, 2 * 86400), "2 days")

    def test_zero_or_negative_duration_is_refused(self):
        for duration in (0, -2):
            with self.assertRaisesRegex(ValidationError, "needs a duration above zero"):
                self._pass(duration, "hours")
        plan = self._pass(2, "hours")
        with (
            self.assertRaisesRegex(ValidationError, "cannot be negative"),
            self.env.cr.savepoint(),
        ):
            plan.prepaid_duration = -1
        plan.invalidate_recordset()
        self.assertEqual(plan.prepaid_duration, 2, "the refused value is not kept")

    def test_day_pass_lasts_24_hours_from_first_login(self):
        day_pass = self._pass(1, "days")
        with freeze_time("2026-03-10 10:00"):
            service = self.new_service(state="active", plan=day_pass)
        # redeemed or activated: nothing runs until the subscriber connects
        self.assertFalse(service.expiry_datetime)
        self.assertFalse(service.expiry_date)
        self.assertEqual(service.prepaid_pending_s, 86400)
        self.assertEqual(service.uptime_limit_s, 86400, "the router's limit is set at once")
        with freeze_time("2026-03-11 12:00"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "active", "a pass not started never expires")
            service._wisp_start_pass(datetime(2026, 3, 11, 11, 30))
        self.assertEqual(service.pass_started, datetime(2026, 3, 11, 11, 30))
        self.assertEqual(service.expiry_datetime, datetime(2026, 3, 12, 11, 30))
        self.assertEqual(service.expiry_date, date(2026, 3, 12))
        self.assertFalse(service.prepaid_pending_s)
        with freeze_time("2026-03-12 11:29"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "active")
        with freeze_time("2026-03-12 11:30"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "suspended")
            self.assertEqual(service.state_reason, "Prepaid period expired")

    def test_hour_pass_and_the_first_login_bounds(self):
        hour_pass = self._pass(2, "hours")
        with freeze_time("2026-03-10 10:00"):
            service = self.new_service(state="active", plan=hour_pass)
        with freeze_time("2026-03-10 10:20"):
            # a session older than the pass counts from the pass; a start read
            # from a router clock ahead of ours counts from now
            service._wisp_start_pass(datetime(2026, 3, 10, 9, 0))
            self.assertEqual(service.expiry_datetime, datetime(2026, 3, 10, 12, 0))
        other = self.new_service(state="active", plan=hour_pass)
        with freeze_time("2026-03-10 10:20"):
            other._wisp_start_pass(datetime(2026, 3, 10, 11, 0))
            self.assertEqual(other.expiry_datetime, datetime(2026, 3, 10, 12, 20))
            # a pass that has started is not started again
            other._wisp_start_pass(datetime(2026, 3, 10, 10, 50))
            self.assertEqual(other.expiry_datetime, datetime(2026, 3, 10, 12, 20))

    def test_time_added_waits_or_extends(self):
        hour_pass = self._pass(1, "hours")
        with freeze_time("2026-03-10 10:00"):
            service = self.new_service(state="active", plan=hour_pass)
            service._wisp_add_prepaid_time(3600)  # a second pass before the first login
            self.assertEqual((service.prepaid_pending_s, service.uptime_limit_s), (7200, 7200))
            service._wisp_start_pass(datetime(2026, 3, 10, 10, 0))
            self.assertEqual(service.expiry_datetime, datetime(2026, 3, 10, 12, 0))
        with freeze_time("2026-03-10 11:00"):
            service._wisp_add_prepaid_time(3600)  # while running: the end moves
            self.assertEqual(service.expiry_datetime, datetime(2026, 3, 10, 13, 0))
            self.assertEqual(service.uptime_limit_s, 3 * 3600)
        with freeze_time("2026-03-10 14:00"):
            service._wisp_add_prepaid_time(3600)  # after the end: a new pass waits
            self.assertFalse(service.expiry_datetime)
            self.assertEqual(service.prepaid_pending_s, 3600)
            self.assertEqual(service.prepaid_pending_since, datetime(2026, 3, 10, 14, 0))
            self.assertEqual(service.uptime_limit_s, 4 * 3600)

    def test_pass_starting_at_activation(self):
        hour_pass = self._pass(90, "minutes", prepaid_start="activation")
        with freeze_time("2026-03-10 10:00"):
            service = self.new_service(state="active", plan=hour_pass)
        self.assertEqual(service.expiry_datetime, datetime(2026, 3, 10, 11, 30))
        self.assertEqual(service.pass_started, datetime(2026, 3, 10, 10, 0))
        self.assertFalse(service.prepaid_pending_s)

    def test_end_typed_as_a_date_runs_through_that_day(self):
        service = self.new_service(state="active")
        service.with_user(self.manager).expiry_date = date(2026, 4, 30)
        self.assertEqual(service.expiry_datetime, datetime(2026, 4, 30, 23, 59, 59))
        self.assertEqual(service.expiry_date, date(2026, 4, 30))
        with freeze_time("2026-04-30 23:00"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "active")
        with freeze_time("2026-05-01 00:05"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "suspended")

    def test_prepaid_clock_is_the_suites_own(self):
        service = self.new_service(state="active", plan=self._pass(1, "hours"))
        for user in (self.support, self.billing, self.network, self.manager):
            for field, value in (
                ("uptime_limit_s", 10**6),
                ("prepaid_pending_s", 10**6),
                ("pass_started", "2026-01-01 00:00:00"),
            ):
                with self.assertRaises(AccessError):
                    service.with_user(user).write({field: value})
        with self.assertRaises(AccessError):
            service.with_user(self.billing).write({"expiry_datetime": "2099-01-01 00:00:00"})
        self.assertEqual(service.uptime_limit_s, 3600)
        self.assertFalse(service.expiry_datetime)
