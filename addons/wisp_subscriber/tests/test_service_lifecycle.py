from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..models.wisp_service import SERVICE_STATES, TRANSITIONS
from .common import WispSubscriberCase


class TestServiceLifecycle(WispSubscriberCase):
    def test_every_transition_from_every_state(self):
        """The TRANSITIONS table is enforced for all states, legal and illegal."""
        for transition, (allowed_from, target) in TRANSITIONS.items():
            for state, _label in SERVICE_STATES:
                with self.subTest(transition=transition, state=state):
                    service = self.new_service(state=state)
                    method = getattr(service, f"action_{transition}")
                    if transition == "schedule_installation" and state == "confirmed":
                        order = service.installation_order_ids
                        order.write(
                            {
                                "installer_id": self.installer.id,
                                "scheduled_date": "2030-02-01 10:00:00",
                            }
                        )
                        order.action_schedule()  # calls the transition itself
                        self.assertEqual(service.state, target)
                    elif state in allowed_from:
                        method()
                        self.assertEqual(service.state, target)
                    else:
                        with self.assertRaisesRegex(UserError, "allowed only from"):
                            method()
                        self.assertEqual(service.state, state)

    def test_state_cannot_be_written_directly(self):
        service = self.new_service(state="active")
        with self.assertRaisesRegex(UserError, "life-cycle actions"):
            service.write({"state": "suspended"})

    def test_activate_without_plan_refused(self):
        service = self.env["wisp.service"].create({"partner_id": self.subscriber.id})
        service.action_confirm()
        with self.assertRaisesRegex(UserError, "without a plan"):
            service.action_activate()
        self.assertEqual(service.state, "confirmed")

    @freeze_time("2026-03-10")
    def test_activation_dates_and_prepaid_expiry(self):
        # a plan whose time starts at activation: exactly 7 x 24 hours from then
        self.plan_prepaid.prepaid_start = "activation"
        service = self.new_service(state="active", plan=self.plan_prepaid)
        self.assertEqual(service.activation_date, date(2026, 3, 10))
        self.assertEqual(service.expiry_datetime, datetime(2026, 3, 17))
        self.assertEqual(service.expiry_date, date(2026, 3, 17))
        with freeze_time("2026-03-18"):
            self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(service.state, "suspended")
        self.assertEqual(service.state_reason, "Prepaid period expired")

    @freeze_time("2026-03-10")
    @mute_logger("odoo.addons.wisp_subscriber.tools.each_alone")
    def test_one_failing_expiry_does_not_stop_the_others(self):
        self.plan_prepaid.prepaid_start = "activation"  # both run out on 2026-03-17
        bad = self.new_service(state="active", plan=self.plan_prepaid)
        good = self.new_service(
            state="active", plan=self.plan_prepaid, partner=self.other_subscriber
        )
        Service = type(self.env["wisp.service"])
        on_state_change = Service._on_state_change

        def failing(services, transition, previous_states):
            if bad in services:
                raise ValueError("router unreachable")
            return on_state_change(services, transition, previous_states)

        with freeze_time("2026-03-18"), patch.object(Service, "_on_state_change", failing):
            self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual((bad.state, good.state), ("active", "suspended"))
        self.assertEqual(bad.activity_ids.summary, "Suspension at prepaid expiry failed")
        with freeze_time("2026-03-19"):
            self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(bad.state, "suspended")
        self.assertFalse(bad.activity_ids, "done once it went through")

    @freeze_time("2026-07-01")
    def test_pause_until_date_resumes(self):
        service = self.new_service(state="active")
        with self.assertRaisesRegex(UserError, "future"):
            service.action_pause(until=date(2026, 6, 30))
        service.action_pause(until=date(2026, 7, 15), reason="Summer abroad")
        self.assertEqual((service.state, service.state_reason), ("paused", "Summer abroad"))
        with freeze_time("2026-07-14"):
            self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(service.state, "paused")
        with freeze_time("2026-07-15"):
            self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(service.state, "active")
        self.assertFalse(service.pause_until)

    def test_confirm_creates_one_installation_order(self):
        service = self.new_service(state="confirmed")
        self.assertEqual(len(service.installation_order_ids), 1)
        self.assertEqual(service.installation_order_ids.state, "draft")

    def test_terminate_cancels_open_orders_and_records_date(self):
        service = self.new_service(state="confirmed")
        service.action_terminate(reason="Changed his mind")
        self.assertEqual(service.installation_order_ids.state, "cancelled")
        self.assertTrue(service.termination_date)
        self.assertEqual(service.state_reason, "Changed his mind")

    def test_status_change_tracked_in_chatter(self):
        service = self.new_service(state="active")
        # mail skips tracking of records created in the same transaction
        self.env.flush_all()
        self.cr.flush()
        service.action_suspend(reason="Unpaid")
        self.env.flush_all()
        self.cr.flush()  # tracking values are written by a pre-commit hook
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "wisp.service"),
                ("mail_message_id.res_id", "=", service.id),
                ("field_id.name", "in", ("state", "state_reason")),
            ]
        )
        self.assertEqual(
            sorted(tracked.mapped(lambda t: (t.old_value_char or "", t.new_value_char))),
            [("", "Unpaid"), ("Active", "Suspended")],
        )

    def test_extension_point_called_once_per_transition(self):
        service = self.new_service(state="active")
        Service = type(self.env["wisp.service"])
        with patch.object(Service, "_on_state_change", autospec=True) as hook:
            service.action_restrict(reason="Reminder")
            service.action_suspend()
            service.action_reactivate()
        self.assertEqual(
            [(c.args[1], c.args[2]) for c in hook.call_args_list],
            [
                ("restrict", {service.id: "active"}),
                ("suspend", {service.id: "restricted"}),
                ("reactivate", {service.id: "suspended"}),
            ],
        )

    def test_batch_transition_is_all_or_nothing(self):
        good = self.new_service(state="active")
        bad = self.new_service(state="draft")
        with self.assertRaisesRegex(UserError, bad.name):
            (good | bad).action_suspend()
        self.assertEqual((good.state, bad.state), ("active", "draft"))
