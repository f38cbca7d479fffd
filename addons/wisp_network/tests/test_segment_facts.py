from datetime import timedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import WispSubscriberCase
from odoo.tests import tagged

from .common import capped_plan


@tagged("post_install", "-at_install")
class TestCapUsageFact(WispSubscriberCase):
    """Usage near the cap, as campaigns filter accounts on it: the SQL search agrees
    with each service's cycle (``_cycle_start``) and with the field shown."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan_capped = capped_plan(cls.env, "Test Capped 1 GB")
        cls.today = fields.Date.context_today(cls.env.user)

    def capped_account(self, activated_days_ago, in_cycle_mb, before_cycle_mb=500.0):
        partner = self.env["res.partner"].create({"name": f"Capped {activated_days_ago}"})
        service = self.new_service(state="active", partner=partner, plan=self.plan_capped)
        service.activation_date = self.today - timedelta(days=activated_days_ago)
        start = service._cycle_start(self.today)
        Usage = self.env["wisp.service.usage"]
        Usage.create({"service_id": service.id, "date": start, "download_mb": in_cycle_mb})
        if before_cycle_mb:  # the last cycle's, which does not count
            Usage.create(
                {
                    "service_id": service.id,
                    "date": start - timedelta(days=1),
                    "download_mb": before_cycle_mb,
                }
            )
        return partner

    def found(self, domain, accounts):
        return self.env["res.partner"].search([*domain, ("id", "in", accounts.ids)])

    def test_cap_used_in_each_cycle(self):
        # activation days that put the cycle start this month, last month, on a
        # month end, and today
        accounts = self.env["res.partner"]
        for days in (0, 1, 9, 15, 28, 29, 30, 31, 45, 59, 61, 400):
            accounts |= self.capped_account(days, in_cycle_mb=850.0)
        self.assertEqual(set(accounts.mapped("wisp_cap_usage_percent")), {85})
        self.assertEqual(self.found([("wisp_cap_usage_percent", ">=", 80)], accounts), accounts)
        self.assertEqual(self.found([("wisp_cap_usage_percent", "=", 85)], accounts), accounts)
        self.assertFalse(self.found([("wisp_cap_usage_percent", ">=", 90)], accounts))

    def test_uncapped_and_stopped_services_are_not_near_a_cap(self):
        near = self.capped_account(10, in_cycle_mb=1200.0)
        stopped = self.capped_account(10, in_cycle_mb=990.0)
        stopped.service_ids.action_suspend()
        uncapped = self.env["res.partner"].create({"name": "Uncapped"})
        self.new_service(state="active", partner=uncapped)
        accounts = near | stopped | uncapped
        self.assertEqual(near.wisp_cap_usage_percent, 120)
        self.assertEqual(uncapped.wisp_cap_usage_percent, 0)
        self.assertEqual(self.found([("wisp_cap_usage_percent", ">=", 80)], accounts), near)
        self.assertEqual(
            self.found([("wisp_cap_usage_percent", "<", 80)], accounts), stopped | uncapped
        )
