from freezegun import freeze_time

from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import D, WispBillingCase


@tagged("post_install", "-at_install")
class TestBillingRulesPlanChanges(WispBillingCase):
    """A scheduled plan change met by a termination or an immediate change is
    cleared; the daily cron applies each service's change on its own."""

    def schedule_downgrade(self, partner=None):
        with freeze_time("2026-04-01"):
            service = self.new_service(plan=self.plan_62, partner=partner)
        with freeze_time("2026-04-05"):
            service.action_change_plan(self.plan_31, effective_date=D(2026, 4, 20))
        return service

    def test_termination_clears_the_scheduled_change(self):
        service = self.schedule_downgrade()
        with freeze_time("2026-04-10"):
            service.action_terminate()
        self.assertFalse(service.next_plan_id)
        self.assertFalse(service.plan_change_date)
        self.assertTrue(any("cancelled" in body for body in service.message_ids.mapped("body")))
        with freeze_time("2026-04-20"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertEqual(service.plan_id, self.plan_62)

    def test_immediate_change_clears_the_scheduled_change(self):
        service = self.schedule_downgrade()
        plan_40 = make_plan(
            self.env, "Home 40", 40.0, taxes_id=[], download_kbps=20000, upload_kbps=4000
        )
        with freeze_time("2026-04-10"):
            service.action_change_plan(plan_40)
        self.assertEqual(service.plan_id, plan_40)
        self.assertFalse(service.next_plan_id)
        self.assertTrue(
            any("cancelled" in body for body in service.message_ids.mapped("body")),
            "the chatter says the scheduled change was dropped",
        )
        with freeze_time("2026-04-20"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertEqual(service.plan_id, plan_40, "the old schedule does not come back")

    def test_one_failing_change_does_not_stop_the_others(self):
        stuck = self.schedule_downgrade()
        other = self.schedule_downgrade(partner=self.env["res.partner"].create({"name": "Other"}))
        # a change that can no longer apply (the plan became an IPTV plan, data from
        # before termination cleared the schedule): it must not block the others
        stuck.sudo().next_plan_id = self.plan_tv
        with freeze_time("2026-04-20"), mute_logger("odoo.addons.wisp_billing.models.wisp_service"):
            self.env["wisp.service"]._cron_apply_plan_changes()
            self.env["wisp.service"]._cron_apply_plan_changes()  # retried: one activity
        self.assertEqual(other.plan_id, self.plan_31, "the others are applied")
        self.assertEqual(other.billing_adjustment_ids.mapped("date_from"), [D(2026, 4, 20)])
        self.assertEqual((stuck.plan_id, stuck.next_plan_id), (self.plan_62, self.plan_tv))
        self.assertFalse(stuck.billing_adjustment_ids, "the failed change is rolled back")
        activity = stuck.activity_ids
        self.assertEqual(len(activity), 1, "billing staff see it once on the service")
        self.assertIn("not a internet plan", activity.note)
        # fixed by billing staff: applied on the next run, the warning is done
        stuck.sudo().next_plan_id = self.plan_31
        with freeze_time("2026-04-21"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertEqual(stuck.plan_id, self.plan_31)
        self.assertFalse(stuck.activity_ids)

    def test_terminated_service_left_with_a_schedule_is_cleared_by_the_cron(self):
        service = self.schedule_downgrade()
        with freeze_time("2026-04-10"):
            service.action_terminate()
        # data from before the fix: a terminated service that kept its schedule
        service.sudo().write({"next_plan_id": self.plan_31.id, "plan_change_date": D(2026, 4, 20)})
        with freeze_time("2026-04-20"):
            self.env["wisp.service"]._cron_apply_plan_changes()
        self.assertFalse(service.next_plan_id)
        self.assertFalse(service.activity_ids)
