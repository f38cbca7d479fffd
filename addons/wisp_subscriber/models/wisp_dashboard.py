from collections import defaultdict

from odoo import api, fields, models

from ..tools.access import BILLING, NETWORK, SUPPORT, check_groups, has_groups

# Who opens the dashboard; each section then names its own roles (the manager
# implies them all). Installers have their orders and nothing else.
DASHBOARD_GROUPS = (SUPPORT, BILLING, NETWORK)
# Services that hold a subscription (ordered ones not yet, terminated ones no more).
RUNNING_STATES = ("active", "restricted", "suspended", "paused")


class WispDashboard(models.AbstractModel):
    """The figures of the WISP home dashboard (client action ``wisp_dashboard``).

    Each addon adds the sections its data lives in by extending
    :meth:`_wisp_dashboard_sections`. Every figure is a count or a sum computed by
    the database (``search_count`` / ``_read_group``), as the user, so record rules
    apply, and carries the window action that lists the records behind it: the
    number shown is the number of rows the click opens.
    """

    _name = "wisp.dashboard"
    _description = "WISP Dashboard"

    @api.model
    def get_dashboard(self):
        """Sections of figures and tables for the current company, as far as the
        user's roles go."""
        check_groups(self.env, DASHBOARD_GROUPS)
        company = self.env.company
        today = fields.Date.context_today(self)
        sections = self._wisp_dashboard_sections(company, today)
        return {
            "company": company.name,
            "currency_id": company.currency_id.id,
            "today": fields.Date.to_string(today),
            "sections": sorted(sections, key=lambda section: section["sequence"]),
        }

    def _wisp_dashboard_sections(self, company, today):
        """Hook: the sections the user may see; extensions append theirs."""
        if not has_groups(self.env, DASHBOARD_GROUPS):
            return []
        month_start = today.replace(day=1)
        return [
            self._wisp_subscriber_section(company, month_start),
            self._wisp_breakdown_section(company),
        ]

    # ------------------------------------------------------------------ builders
    @api.model
    def _wisp_action(self, name, model, domain, xmlid=None, context=None):
        """The window action listing ``domain``: the model's own action (its views)
        when ``xmlid`` is given, without that action's default filters."""
        if xmlid:
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
            action.pop("path", None)  # the URL of the unfiltered list would lose the domain
        else:
            action = {
                "type": "ir.actions.act_window",
                "res_model": model,
                "views": [[False, "list"], [False, "form"]],
            }
        action.update(
            {
                "name": name,
                "display_name": name,  # the breadcrumb's
                "domain": domain,
                "context": context or {},
                "target": "current",
            }
        )
        return action

    @api.model
    def _wisp_figure(
        self,
        key,
        label,
        model,
        domain,
        *,
        xmlid=None,
        value=None,
        kind="count",
        context=None,
        alert=False,
    ):
        """One figure: ``value`` (default: how many records ``domain`` matches, in
        ``context``) and the action that opens those records. ``alert``: any value
        but zero needs someone's attention (shown in red)."""
        if value is None:
            value = self.env[model].with_context(**(context or {})).search_count(domain)
        return {
            "key": key,
            "label": label,
            "value": value,
            "kind": kind,
            "alert": bool(alert and value),
            "action": self._wisp_action(label, model, domain, xmlid, context),
        }

    @api.model
    def _wisp_single_company(self):
        return self.env["res.company"].sudo().search_count([]) == 1

    @api.model
    def _wisp_accounts(self, company):
        """``(domain, counts)``: the accounts with a service in ``company`` (a
        subscriber is a commercial partner; every account when there is one company)
        and how many of them have each subscriber status, archived contacts included
        (an account's status is its services')."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        if self._wisp_single_company():
            # the company filter and the partners' multi-company rule cannot leave
            # anyone out (the role is checked): read from the status index alone,
            # not from every account's row
            domain, Partner = [], Partner.sudo()
        else:
            domain = [("service_ids", "any", [("company_id", "=", company.id)])]
        counts = Partner._read_group(
            [*domain, ("subscriber_state", "!=", False)], ["subscriber_state"], ["__count"]
        )
        return domain, dict(counts)

    @api.model
    def _wisp_status_figure(self, key, label, states, accounts, *, alert=False):
        """The accounts in ``states``, of ``accounts`` (:meth:`_wisp_accounts`)."""
        domain, counts = accounts
        return self._wisp_figure(
            key,
            label,
            "res.partner",
            [*domain, ("subscriber_state", "in", states)],
            xmlid="wisp_subscriber.res_partner_action_wisp_subscriber",
            value=sum(counts.get(state, 0) for state in states),
            context={"active_test": False},
            alert=alert,
        )

    def _wisp_subscriber_section(self, company, month_start):
        env = self.env
        every = {"active_test": False}
        accounts = self._wisp_accounts(company)
        xmlid = "wisp_subscriber.res_partner_action_wisp_subscriber"

        def by_status(key, label, states, alert=False):
            return self._wisp_status_figure(key, label, states, accounts, alert=alert)

        start = fields.Date.to_string(month_start)
        in_company = [("company_id", "=", company.id)]
        # counted from the few services activated this month (indexed), listed as accounts
        [[new]] = env["wisp.service"]._read_group(
            [
                *in_company,
                ("activation_date", ">=", start),
                ("commercial_partner_id.service_ids", "not any", [("activation_date", "<", start)]),
            ],
            [],
            ["commercial_partner_id:count_distinct"],
        )
        figures = [
            by_status("active", env._("Active"), ["active"]),
            by_status(
                "suspended",
                env._("Suspended / Restricted"),
                ["suspended", "restricted"],
                alert=True,
            ),
            by_status("paused", env._("Paused"), ["paused"]),
            by_status("ordered", env._("Awaiting Installation"), ["confirmed", "installation"]),
            # new: first service activated this month (none activated before)
            self._wisp_figure(
                "new",
                env._("New This Month"),
                "res.partner",
                [
                    ("service_ids", "any", [*in_company, ("activation_date", ">=", start)]),
                    ("service_ids", "not any", [("activation_date", "<", start)]),
                ],
                xmlid=xmlid,
                value=new,
                context=every,
            ),
            # churned: every service ended, the last of them this month
            self._wisp_figure(
                "churned",
                env._("Churned This Month"),
                "res.partner",
                [
                    ("subscriber_state", "=", "terminated"),
                    ("service_ids", "any", [*in_company, ("termination_date", ">=", start)]),
                ],
                xmlid=xmlid,
                context=every,
            ),
        ]
        return {
            "key": "subscribers",
            "title": env._("Subscribers"),
            "sequence": 10,
            "figures": figures,
            "tables": [],
        }

    def _wisp_breakdown_section(self, company):
        """Running services per plan and per site, from one grouping by both."""
        env = self.env
        running = [("company_id", "=", company.id), ("state", "in", RUNNING_STATES)]
        per_plan, per_site = defaultdict(int), defaultdict(int)
        for plan, site, count in env["wisp.service"]._read_group(
            running, ["plan_id", "site_id"], ["__count"]
        ):
            per_plan[plan] += count
            per_site[site] += count
        return {
            "key": "breakdown",
            "title": env._("Running Services"),
            "sequence": 30,
            "figures": [],
            "tables": [
                self._wisp_count_table("per_plan", env._("Per Plan"), running, "plan_id", per_plan),
                self._wisp_count_table("per_site", env._("Per Site"), running, "site_id", per_site),
            ],
        }

    @api.model
    def _wisp_count_table(self, key, title, domain, field, counts):
        """Rows of ``counts`` (services of ``domain`` per record of ``field``),
        largest first, each opening its services."""
        rows = []
        for record, count in sorted(counts.items(), key=lambda item: -item[1]):
            label = record.display_name or self.env._("None")
            rows.append(
                {
                    "label": label,
                    "value": count,
                    "action": self._wisp_action(
                        f"{title}: {label}",
                        "wisp.service",
                        [*domain, (field, "=", record.id)],
                        "wisp_subscriber.wisp_service_action",
                    ),
                }
            )
        return {"key": key, "title": title, "value_label": self.env._("Services"), "rows": rows}
