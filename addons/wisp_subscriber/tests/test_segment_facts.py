from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import WispSubscriberCase


@tagged("post_install", "-at_install")
class TestSegmentFacts(WispSubscriberCase):
    """The subscriber facts campaigns filter accounts on: each search finds the
    right accounts, in one query on the services."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.other_site = cls.env["wisp.site"].create({"name": "Other Tower", "code": "OT"})
        cls.prepaid_soon = cls.Partner.create({"name": "Prepaid Ending Soon"})
        cls.prepaid_later = cls.Partner.create({"name": "Prepaid Ending Later"})

    def found(self, domain):
        """The accounts of this test that ``domain`` finds."""
        mine = self.subscriber | self.other_subscriber | self.prepaid_soon | self.prepaid_later
        return self.Partner.search([*domain, ("id", "in", mine.ids)])

    def prepaid(self, partner, ends_in):
        service = self.new_service(state="active", partner=partner, plan=self.plan_prepaid)
        service.expiry_datetime = fields.Datetime.now() + ends_in
        return service

    def test_plan_of_live_services(self):
        self.new_service(state="active")
        self.new_service(
            state="active", partner=self.other_subscriber, plan=self.plan_iptv, service_type="iptv"
        )
        self.assertEqual(self.found([("wisp_plan_ids", "in", self.plan.ids)]), self.subscriber)
        self.assertEqual(self.subscriber.wisp_plan_ids, self.plan)
        self.assertEqual(
            self.found([("wisp_plan_ids", "not in", self.plan.ids)]),
            self.other_subscriber | self.prepaid_soon | self.prepaid_later,
        )
        # by the plan's name too, as the domain editor writes it
        self.assertEqual(
            self.found([("wisp_plan_ids.name", "=", "Test TV")]), self.other_subscriber
        )

    def test_terminated_service_is_no_plan_of_the_account(self):
        self.new_service(state="terminated")
        self.assertFalse(self.found([("wisp_plan_ids", "in", self.plan.ids)]))
        self.assertFalse(self.subscriber.wisp_plan_ids)

    def test_site(self):
        self.new_service(state="active")
        self.new_service(state="active", partner=self.other_subscriber, site_id=self.other_site.id)
        self.assertEqual(self.found([("wisp_site_ids", "in", self.site.ids)]), self.subscriber)
        self.assertEqual(
            self.found([("wisp_site_ids", "in", self.other_site.ids)]), self.other_subscriber
        )
        self.assertEqual(self.other_subscriber.wisp_site_ids, self.other_site)

    def test_status(self):
        self.new_service(state="active")
        self.new_service(state="suspended", partner=self.other_subscriber)
        self.assertEqual(
            self.found([("subscriber_state", "=", "suspended")]), self.other_subscriber
        )
        self.assertEqual(self.found([("subscriber_state", "=", "active")]), self.subscriber)

    def test_prepaid_expiring_within_days(self):
        self.prepaid(self.prepaid_soon, timedelta(days=2, hours=3))
        self.prepaid(self.prepaid_later, timedelta(days=20))
        self.new_service(state="active")  # a monthly plan has no prepaid end
        self.assertEqual(self.prepaid_soon.wisp_prepaid_expiry_days, 3, "a day begun counts")
        self.assertEqual(self.subscriber.wisp_prepaid_expiry_days, 0)
        self.assertEqual(self.found([("wisp_prepaid_expiry_days", "<=", 7)]), self.prepaid_soon)
        self.assertEqual(self.found([("wisp_prepaid_expiry_days", "<=", 3)]), self.prepaid_soon)
        self.assertFalse(self.found([("wisp_prepaid_expiry_days", "<=", 2)]))
        self.assertEqual(self.found([("wisp_prepaid_expiry_days", "=", 3)]), self.prepaid_soon)
        self.assertEqual(self.found([("wisp_prepaid_expiry_days", ">", 7)]), self.prepaid_later)
        # each account found agrees with what the field shows
        for days in (1, 3, 7, 20, 21):
            found = self.found([("wisp_prepaid_expiry_days", "<=", days)])
            self.assertTrue(all(0 < p.wisp_prepaid_expiry_days <= days for p in found))

    def test_expired_or_stopped_prepaid_is_not_expiring(self):
        self.prepaid(self.prepaid_soon, timedelta(hours=-1))  # ended an hour ago
        service = self.prepaid(self.prepaid_later, timedelta(days=1))
        service.action_suspend()
        self.assertFalse(self.found([("wisp_prepaid_expiry_days", "<=", 7)]))
