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
        jobs = dict(
            env["wisp.network.job"]._read_group(
                [*mine, ("state", "in", ("failed", "pending", "running"))], ["state"], ["__count"]
            )
        )
        routers = dict(
            env["wisp.router"]._read_group(
                [*mine, ("reachability", "in", ("unreachable", "error"))],
                ["reachability"],
                ["__count"],
            )
        )

        def job_figure(key, label, states, alert=False):
            return self._wisp_figure(
                key,
                label,
                "wisp.network.job",
                [*mine, ("state", "in", states)],
                xmlid="wisp_network.wisp_network_job_action",
                value=sum(jobs.get(state, 0) for state in states),
                alert=alert,
            )

        def router_figure(key, label, reachability):
            return self._wisp_figure(
                key,
                label,
                "wisp.router",
                [*mine, ("reachability", "=", reachability)],
                xmlid="wisp_network.wisp_router_action",
                value=routers.get(reachability, 0),
                alert=True,
            )

        figures = [
            job_figure("failed_jobs", env._("Failed Jobs"), ["failed"], alert=True),
            job_figure("pending_jobs", env._("Jobs Waiting"), ["pending", "running"]),
            router_figure("unreachable_routers", env._("Unreachable Routers"), "unreachable"),
            router_figure("refusing_routers", env._("Refusing Routers"), "error"),
        ]
        online = [
            *mine,
            ("state", "!=", "terminated"),
            ("session_ids", "any", [("state", "=", "open")]),
        ]
        online_per_site = dict(env["wisp.service"]._read_group(online, ["site_id"], ["__count"]))
        figures.insert(
            0,
            self._wisp_figure(
                "online_services",
                env._("Online Now"),
                "wisp.service",
                online,
                xmlid="wisp_subscriber.wisp_service_action",
                value=sum(online_per_site.values()),
            ),
        )
        # the services behind each router that does not answer: the notice to act on
        served = [*mine, ("state", "!=", "terminated")]
        down = env["wisp.router"].search([*mine, ("reachability", "in", ("unreachable", "error"))])
        per_down_router = dict(
            env["wisp.service"]._read_group(
                [*served, ("router_id", "in", down.ids)], ["router_id"], ["__count"]
            )
        )
        tables = [
            self._wisp_count_table(
                "online_per_site", env._("Online per Site"), online, "site_id", online_per_site
            ),
            self._wisp_count_table(
                "routers_down",
                env._("Routers Not Answering"),
                served,
                "router_id",
                {router: per_down_router.get(router, 0) for router in down},
            ),
        ]
        return {
            "key": "network",
            "title": env._("Network"),
            "sequence": 40,
            "figures": figures,
            "tables": tables,
        }
