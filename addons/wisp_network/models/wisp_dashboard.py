from odoo import models
from odoo.addons.wisp_subscriber.tools.access import NETWORK, SUPPORT, has_groups


class WispDashboard(models.AbstractModel):
    _inherit = "wisp.dashboard"

    def _wisp_dashboard_sections(self, company, today):
        sections = super()._wisp_dashboard_sections(company, today)
        # support agents read jobs and routers too: a customer offline may be a router down
        if has_groups(self.env, (NETWORK, SUPPORT)):
            sections.append(self._wisp_network_section(company))
        return sections

    def _wisp_network_section(self, company):
        env = self.env
        mine = [("company_id", "=", company.id)]
        jobs = "wisp_network.wisp_network_job_action"
        routers = "wisp_network.wisp_router_action"
        figures = [
            self._wisp_figure(
                "failed_jobs",
                env._("Failed Jobs"),
                "wisp.network.job",
                [*mine, ("state", "=", "failed")],
                xmlid=jobs,
            ),
            self._wisp_figure(
                "pending_jobs",
                env._("Jobs Waiting"),
                "wisp.network.job",
                [*mine, ("state", "in", ("pending", "running"))],
                xmlid=jobs,
            ),
            self._wisp_figure(
                "unreachable_routers",
                env._("Unreachable Routers"),
                "wisp.router",
                [*mine, ("reachability", "=", "unreachable")],
                xmlid=routers,
            ),
            self._wisp_figure(
                "refusing_routers",
                env._("Refusing Routers"),
                "wisp.router",
                [*mine, ("reachability", "=", "error")],
                xmlid=routers,
            ),
        ]
        return {
            "key": "network",
            "title": env._("Network"),
            "sequence": 40,
            "figures": figures,
            "tables": [],
        }
