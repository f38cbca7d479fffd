from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import WispNetworkCase


# post_install: another company is created, with every installed module's columns
@tagged("post_install", "-at_install")
class TestNetworkViews(WispNetworkCase):
    def test_jobs_empty_list_says_when_nothing_is_provisioned(self):
        """No job means "in sync" only when some router is provisioned."""
        menu = self.env.ref("wisp_network.menu_wisp_network_jobs")
        entry = self.env.ref("wisp_network.wisp_network_job_action_menu")
        self.assertEqual(menu.action, entry)

        def help_text():
            action = entry.with_user(self.network).run()
            self.assertEqual(action["res_model"], "wisp.network.job")
            return action["help"]

        self.assertIn("Every router is in sync", help_text())
        self.env["wisp.router"].search([]).provisioning_enabled = False
        self.assertIn("No router has provisioning enabled", help_text())
        self.assertNotIn("in sync", help_text())
        # a router of another company does not count
        other = self.env["res.company"].create({"name": "Other WISP"})
        other_site = self.env["wisp.site"].create(
            {"name": "Far Tower", "code": "FT", "company_id": other.id}
        )
        self.env["wisp.router"].create(
            {"name": "Far NAS", "site_id": other_site.id, "host": "127.0.0.1"}
        )
        self.assertIn("No router has provisioning enabled", help_text())

    def test_services_per_site_group_by_site_first(self):
        """The "Services per Site" action opens grouped by site, not by status."""
        action = self.env.ref("wisp_network.wisp_service_action_per_site")
        defaults = {
            key.removeprefix("search_default_")
            for key, value in safe_eval(action.context).items()
            if key.startswith("search_default_") and value
        }
        search = etree.fromstring(self.env["wisp.service"].get_view(view_type="search")["arch"])
        group_bys = [
            node.get("context")
            for node in search.iter("filter")
            if node.get("name") in defaults and "group_by" in (node.get("context") or "")
        ]
        self.assertEqual(group_bys, ["{'group_by': 'site_id'}"])
