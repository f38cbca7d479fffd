from odoo.addons.wisp_subscriber.tests.common import WispSubscriberCase
from odoo.exceptions import AccessError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestDashboardNetwork(WispSubscriberCase):
    """The network figures of the home dashboard: jobs and routers of the company."""

    def network_figures(self, user=None, company=None):
        Dashboard = self.env["wisp.dashboard"].with_user(user or self.env.user)
        data = Dashboard.with_company(company or self.env.company).get_dashboard()
        found = next((s for s in data["sections"] if s["key"] == "network"), None)
        return found and {figure["key"]: figure for figure in found["figures"]}

    def test_jobs_and_routers(self):
        company = self.env["res.company"].create({"name": "Dash Network Co"})
        site = self.env["wisp.site"].create(
            {"name": "Hill", "code": "HL", "company_id": company.id}
        )
        Router = self.env["wisp.router"]
        routers = Router.create(
            [{"name": f"NAS {n}", "site_id": site.id, "host": f"192.0.2.{n}"} for n in range(1, 5)]
        )
        routers.sudo().write({"reachability": "reachable"})
        routers[0].sudo().reachability = "unreachable"
        routers[1].sudo().reachability = "error"
        Router.create({"name": "Old NAS", "site_id": site.id, "host": "192.0.2.9"}).sudo().write(
            {"reachability": "unreachable", "active": False}
        )
        Job = self.env["wisp.network.job"].sudo()
        Job.search([("company_id", "=", company.id)]).unlink()  # their creation queued reconciles
        Job.create(
            [
                {"router_id": routers[0].id, "kind": "reconcile", "state": state}
                for state in ("failed", "failed", "pending", "running", "done")
            ]
        )
        figures = self.network_figures(company=company)
        self.assertEqual(
            {key: figure["value"] for key, figure in figures.items()},
            {
                "online_services": 0,
                "failed_jobs": 2,
                "pending_jobs": 2,
                "unreachable_routers": 1,  # the archived one is not counted
                "refusing_routers": 1,
            },
        )
        for figure in figures.values():
            action = figure["action"]
            self.assertEqual(
                self.env[action["res_model"]].search_count(action["domain"]), figure["value"]
            )

    def test_who_sees_it(self):
        for user in (self.support, self.network, self.manager):
            self.assertIsNotNone(self.network_figures(user), user.login)
        self.assertIsNone(self.network_figures(self.billing))
        with self.assertRaises(AccessError):
            self.network_figures(self.installer)
