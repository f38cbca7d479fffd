from datetime import datetime, timedelta

from lxml import etree

from odoo import Command, fields

from .common import WispHelpdeskCase


class TestReport(WispHelpdeskCase):
    """A known data set in March 2026, dates written in SQL as history would have them."""

    def set_dates(self, ticket, created, responded=None, closed=None):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s, wisp_first_response_date = %s,"
            " closed_date = %s WHERE id = %s",
            (created, responded, closed, ticket.id),
        )

    def set_sla(self, ticket, state):
        sla = self.env["helpdesk.ticket.sla"].create(
            {"ticket_id": ticket.id, "sla_id": self.sla.id}
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket_sla SET state = %s, deadline = %s WHERE id = %s",
            (state, datetime(2030, 1, 1), sla.id),
        )

    def test_figures_per_team_agent_category(self):
        self.Ticket.search([]).active = False
        self.env["helpdesk.sla"].search([]).active = False
        self.sla = self.env["helpdesk.sla"].create({"name": "Known SLA", "hours": 8})
        self.team_billing.user_ids = [Command.link(self.billing.id)]
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")

        # Support, agent support: responded in 1h and 3h, resolved in 4h and 10h; met, breached.
        t1 = self.new_ticket(category_id=self.cat_no_internet.id, user_id=self.support.id)
        t2 = self.new_ticket(category_id=self.cat_slow.id, user_id=self.support.id)
        # Billing, agent billing: responded in 2h, resolved in 6h, met.
        t3 = self.new_ticket(category_id=self.cat_billing.id, user_id=self.billing.id)
        # Support, still open, no response yet, SLA running; and one outside the period.
        t4 = self.new_ticket(category_id=self.cat_no_internet.id, user_id=self.support.id)
        t5 = self.new_ticket(category_id=self.cat_billing.id, user_id=self.billing.id)
        (t1 | t2 | t3 | t5).with_context(tracking_disable=True).write({"stage_id": done.id})
        (t1 | t2 | t3 | t4 | t5).ticket_sla_ids.unlink()
        self.set_dates(
            t1, datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 12)
        )
        self.set_dates(
            t2, datetime(2026, 3, 3, 8), datetime(2026, 3, 3, 11), datetime(2026, 3, 3, 18)
        )
        self.set_dates(
            t3, datetime(2026, 3, 10, 8), datetime(2026, 3, 10, 10), datetime(2026, 3, 10, 14)
        )
        self.set_dates(t4, datetime(2026, 3, 20, 8))
        self.set_dates(
            t5, datetime(2026, 4, 2, 8), datetime(2026, 4, 2, 9), datetime(2026, 4, 2, 10)
        )
        self.set_sla(t1, "accomplished")
        self.set_sla(t2, "expired")
        self.set_sla(t3, "accomplished")
        self.set_sla(t4, "in_progress")
        self.env.invalidate_all()

        summary = self.env["wisp.helpdesk.report"]._summary("2026-03-01", "2026-03-31")
        total = summary["total"]
        self.assertEqual((total["count"], total["closed"]), (4, 3))
        self.assertAlmostEqual(total["first_response_hours"], 2.0)  # (1 + 3 + 2) / 3
        self.assertAlmostEqual(total["resolution_hours"], 20 / 3)  # (4 + 10 + 6) / 3
        self.assertEqual((total["sla_met"], total["sla_breached"]), (2, 1))
        self.assertAlmostEqual(total["sla_compliance"], 200 / 3)

        teams = {row["name"]: row for row in summary["team_id"]}
        self.assertEqual(teams["Customer Support"]["count"], 3)
        self.assertAlmostEqual(teams["Customer Support"]["first_response_hours"], 2.0)
        self.assertAlmostEqual(teams["Customer Support"]["resolution_hours"], 7.0)
        self.assertAlmostEqual(teams["Customer Support"]["sla_compliance"], 50.0)
        self.assertAlmostEqual(teams["Billing Desk"]["sla_compliance"], 100.0)

        agents = {row["name"]: row for row in summary["user_id"]}
        self.assertEqual(agents[self.support.name]["closed"], 2)
        self.assertEqual(agents[self.billing.name]["count"], 1)

        categories = {row["name"]: row for row in summary["category_id"]}
        self.assertEqual(categories["No Internet"]["count"], 2)
        self.assertAlmostEqual(categories["No Internet"]["resolution_hours"], 4.0)
        self.assertEqual(categories["Slow Speed"]["sla_breached"], 1)

        # Pivot figures: the same averages through read_group.
        [(compliance, first)] = self.env["wisp.helpdesk.report"]._read_group(
            [("create_date", ">=", "2026-03-01"), ("create_date", "<", "2026-04-01")],
            [],
            ["sla_compliance:avg", "first_response_hours:avg"],
        )
        self.assertAlmostEqual(compliance, 200 / 3)
        self.assertAlmostEqual(first, 2.0)
        self.assertEqual(summary["open_by_age"], [("Over 7 days", 1)])

        # The printable summary renders.
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "wisp_helpdesk.report_helpdesk_summary",
            [],
            data={"date_from": "2026-03-01", "date_to": "2026-03-31"},
        )
        self.assertIn(b"Customer Support", html)
        self.assertIn(b"67 %", html)

    def test_print_wizard_returns_the_pdf_action(self):
        wizard = (
            self.env["wisp.helpdesk.report.wizard"]
            .with_user(self.manager)
            .create({"date_from": "2026-03-01", "date_to": "2026-03-31"})
        )
        action = wizard.action_print()
        self.assertEqual(action["report_name"], "wisp_helpdesk.report_helpdesk_summary")
        self.assertEqual(action["data"], {"date_from": "2026-03-01", "date_to": "2026-03-31"})

    def test_open_tickets_by_age_charts_ticket_counts(self):
        """The "Open Tickets by Age" action opens on a chart of open tickets per age, not on the SLA
        compliance measure (empty while tickets are open)."""
        action = self.env.ref("wisp_helpdesk.wisp_helpdesk_report_action_open_age")
        self.assertEqual(action.view_mode.split(",")[0], "graph")
        graph = etree.fromstring(
            self.env["wisp.helpdesk.report"].get_view(action.view_id.id, "graph")["arch"]
        )
        fields_by_type = [(f.get("name"), f.get("type")) for f in graph.iter("field")]
        self.assertEqual(fields_by_type, [("age_bucket", None), ("ticket_count", "measure")])
        fresh, old = self.new_ticket(), self.new_ticket()
        self.set_dates(old, fields.Datetime.now() - timedelta(days=10))
        Report = self.env["wisp.helpdesk.report"]
        Report.invalidate_model()
        counts = dict(
            Report._read_group(
                [("is_closed", "=", False), ("ticket_id", "in", (fresh | old).ids)],
                ["age_bucket"],
                ["ticket_count:sum"],
            )
        )
        self.assertEqual(counts, {"0_1": 1, "7_": 1})
