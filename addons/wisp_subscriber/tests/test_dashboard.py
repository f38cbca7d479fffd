from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import WispSubscriberCase, make_plan, make_portal_user


def figures(data, section):
    found = next(s for s in data["sections"] if s["key"] == section)
    return {figure["key"]: figure for figure in found["figures"]}


def table(data, section, key):
    found = next(s for s in data["sections"] if s["key"] == section)
    rows = next(t for t in found["tables"] if t["key"] == key)["rows"]
    return {row["label"]: row for row in rows}


@tagged("post_install", "-at_install")
class TestDashboard(WispSubscriberCase):
    """The subscriber figures of the home dashboard on a known set of accounts,
    each figure equal to what its click lists; who may open it."""

    def dashboard(self, user=None):
        Dashboard = self.env["wisp.dashboard"]
        return (Dashboard.with_user(user) if user else Dashboard).get_dashboard()

    def account(self, name):
        return self.env["res.partner"].create({"name": f"Dash {name}"})

    def assert_clicks_match(self, data):
        """Every count figure lists as many records as it shows."""
        for section in data["sections"]:
            for item in section["figures"] + [r for t in section["tables"] for r in t["rows"]]:
                if item.get("kind", "count") != "count":
                    continue
                action = item["action"]
                Model = self.env[action["res_model"]].with_context(**action["context"])
                listed = Model.search_count(action["domain"])
                self.assertEqual(listed, item["value"], f"{section['key']}: {item['label']}")

    def test_subscriber_figures(self):
        site_north = self.env["wisp.site"].create({"name": "Dash North", "code": "DN"})
        site_south = self.env["wisp.site"].create({"name": "Dash South", "code": "DS"})
        plan = make_plan(self.env, "Dash Plan", 20.0, download_kbps=1000, upload_kbps=1000)
        tv = make_plan(self.env, "Dash TV", 10.0, service_type="iptv")
        with freeze_time("2026-03-15"):
            before = self.dashboard()
        with freeze_time("2026-01-10"):
            old = self.new_service(self.account("old"), plan, "active", site_id=site_north.id)
            suspended = self.new_service(
                self.account("suspended"), plan, "suspended", site_id=site_north.id
            )
            self.new_service(self.account("restricted"), plan, "restricted", site_id=site_north.id)
            self.new_service(self.account("paused"), plan, "paused", site_id=site_south.id)
            churned = self.new_service(
                self.account("churned"), plan, "active", site_id=site_south.id
            )
            left_before = self.new_service(self.account("left"), plan, "active")
            two = self.account("two services")
            self.new_service(two, plan, "active", site_id=site_south.id)
        with freeze_time("2026-02-20"):
            left_before.action_terminate()
        with freeze_time("2026-03-05"):
            new = self.new_service(self.account("new"), plan, "active", site_id=site_north.id)
            self.new_service(two, tv, "active", site_id=site_south.id, service_type="iptv")
            self.new_service(self.account("ordered"), plan, "confirmed")
        with freeze_time("2026-03-10"):
            churned.action_terminate()
        with freeze_time("2026-03-15"):
            after = self.dashboard()

        delta = {
            key: after_figure["value"] - figures(before, "subscribers")[key]["value"]
            for key, after_figure in figures(after, "subscribers").items()
        }
        self.assertEqual(
            delta,
            {
                "active": 3,  # old, new, two services
                "suspended": 2,  # suspended, restricted
                "paused": 1,
                "ordered": 1,
                "new": 1,  # two services had one before March
                "churned": 1,  # left in February is not this month's
            },
        )
        new_accounts = figures(after, "subscribers")["new"]["action"]
        self.assertIn(new.partner_id, self.env["res.partner"].search(new_accounts["domain"]))
        self.assertNotIn(old.partner_id, self.env["res.partner"].search(new_accounts["domain"]))
        self.assertEqual(new_accounts["res_model"], "res.partner")

        per_plan = table(after, "breakdown", "per_plan")
        self.assertEqual((per_plan["Dash Plan"]["value"], per_plan["Dash TV"]["value"]), (6, 1))
        per_site = table(after, "breakdown", "per_site")
        self.assertEqual((per_site["Dash North"]["value"], per_site["Dash South"]["value"]), (4, 3))
        self.assertIn(
            suspended,
            self.env["wisp.service"].search(per_site["Dash North"]["action"]["domain"]),
        )
        self.assert_clicks_match(after)

        # with a single company the account counts skip the company filter and the
        # partners' company rule (here no other company has services: same figures)
        Dashboard = type(self.env["wisp.dashboard"])
        with (
            patch.object(Dashboard, "_wisp_single_company", return_value=True),
            freeze_time("2026-03-15"),
        ):
            single = self.dashboard(self.manager)
        with freeze_time("2026-03-15"):
            as_manager = self.dashboard(self.manager)
        self.assertEqual(
            {k: f["value"] for k, f in figures(single, "subscribers").items()},
            {k: f["value"] for k, f in figures(as_manager, "subscribers").items()},
        )
        self.assert_clicks_match(single)

    def test_other_company_is_not_counted(self):
        other = self.env["res.company"].create({"name": "Dash Other Co"})
        site = self.env["wisp.site"].create(
            {"name": "Elsewhere", "code": "EW", "company_id": other.id}
        )
        before = figures(self.dashboard(), "subscribers")["ordered"]["value"]
        self.env["wisp.service"].create(
            {
                "partner_id": self.account("elsewhere").id,
                "plan_id": self.plan.id,
                "site_id": site.id,
                "company_id": other.id,
            }
        ).action_confirm()
        self.assertEqual(figures(self.dashboard(), "subscribers")["ordered"]["value"], before)

    def test_who_may_open_it(self):
        for user in (self.support, self.billing, self.network, self.manager):
            data = self.dashboard(user)
            self.assertEqual(data["sections"][0]["key"], "subscribers", user.login)
        portal = make_portal_user(self.env, "t_dash_portal")
        for user in (self.installer, portal):
            with self.assertRaises(AccessError, msg=user.login):
                self.dashboard(user)


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_dashboard_opens_the_records_behind_a_figure(self):
        """In the browser, as a manager: a figure and a table row each open their list."""
        self.start_tour(
            "/odoo/action-wisp_subscriber.action_wisp_dashboard", "wisp_dashboard", login="admin"
        )
