from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WispSubscriberCase, make_portal_user


@tagged("post_install", "-at_install")
class TestMapPoints(WispSubscriberCase):
    """What the map of sites and subscribers is given (wisp.site.get_map_points)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site.write({"latitude": 39.79, "longitude": -89.64, "coverage_radius_km": 3.0})
        cls.subscriber.write({"partner_latitude": 39.80, "partner_longitude": -89.65})

    def points(self, user=None):
        Site = self.env["wisp.site"]
        return (Site.with_user(user) if user else Site).get_map_points()

    def subscriber_point(self, points, address):
        found = [p for p in points["subscribers"] if p["id"] == address.id]
        return found[0] if found else None

    def test_sites_and_addresses_with_their_most_pressing_status(self):
        self.new_service(state="active")
        self.new_service(state="suspended", service_type="iptv", plan=self.plan_iptv)
        points = self.points(self.support)
        site = next(p for p in points["sites"] if p["id"] == self.site.id)
        self.assertEqual(
            (site["latitude"], site["longitude"], site["coverage_radius_km"], site["code"]),
            (39.79, -89.64, 3.0, "TT"),
        )
        self.assertEqual(site["service_count"], 2)
        point = self.subscriber_point(points, self.subscriber)
        self.assertEqual(
            {key: point[key] for key in ("latitude", "longitude", "state", "service_count")},
            {"latitude": 39.80, "longitude": -89.65, "state": "suspended", "service_count": 2},
        )
        self.assertEqual(point["subscriber_id"], self.subscriber.id)
        self.assertEqual(point["street"], "1 Test St")
        self.assertEqual(point["state_label"], "Suspended")
        self.assertEqual(points["legend"][0], {"state": "suspended", "label": "Suspended"})
        self.assertNotIn("terminated", [entry["state"] for entry in points["legend"]])

    def test_branch_address_is_its_own_point_of_the_account(self):
        branch = self.env["res.partner"].create(
            {
                "name": "Branch",
                "parent_id": self.subscriber.id,
                "type": "other",
                "street": "2 Branch Rd",
                "partner_latitude": 39.81,
                "partner_longitude": -89.66,
            }
        )
        self.new_service(state="active", address_id=branch.id)
        point = self.subscriber_point(self.points(self.billing), branch)
        self.assertEqual(point["subscriber_id"], self.subscriber.id)
        self.assertEqual(point["state"], "active")
        self.assertEqual(point["street"], "2 Branch Rd")

    def test_left_out_terminated_and_unplaced(self):
        self.new_service(state="terminated")
        unplaced = self.env["res.partner"].create({"name": "Nowhere"})
        self.new_service(state="active", partner=unplaced)
        site_nowhere = self.env["wisp.site"].create({"name": "Unplaced", "code": "UNP"})
        points = self.points(self.network)
        self.assertIsNone(self.subscriber_point(points, self.subscriber), "terminated only")
        self.assertIsNone(self.subscriber_point(points, unplaced), "no position")
        self.assertNotIn(site_nowhere.id, [site["id"] for site in points["sites"]])

    def test_read_with_the_callers_rights(self):
        self.new_service(state="active")
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        other_site = self.env["wisp.site"].create(
            {
                "name": "Other Tower",
                "code": "OT",
                "company_id": other_company.id,
                "latitude": 1.0,
                "longitude": 1.0,
            }
        )
        points = self.points(self.support)
        self.assertNotIn(other_site.id, [site["id"] for site in points["sites"]])
        self.assertIn(other_site.id, [site["id"] for site in self.points()["sites"]])

    def test_refused_to_installers_and_portal(self):
        portal = make_portal_user(self.env, "t_map_portal", self.subscriber)
        for user in (self.installer, portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.points(user)

    def test_map_menu_is_the_offices(self):
        menu = self.env.ref("wisp_subscriber.menu_wisp_map")
        self.assertEqual(menu.action, self.env.ref("wisp_subscriber.wisp_map_action"))
        visible = self.env["ir.ui.menu"].with_user(self.installer)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        visible = self.env["ir.ui.menu"].with_user(self.support)._visible_menu_ids()
        self.assertIn(menu.id, visible)
