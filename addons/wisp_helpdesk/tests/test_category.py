from odoo.tests import Form

from .common import WispHelpdeskCase


class TestCategoryDefaults(WispHelpdeskCase):
    def test_wisp_categories_exist_with_defaults(self):
        kinds = self.env["helpdesk.ticket.category"].search([("wisp_kind", "!=", False)])
        self.assertEqual(
            set(kinds.mapped("wisp_kind")),
            {"no_internet", "slow_speed", "billing", "plan_change", "installation", "other"},
        )
        self.assertTrue(all(kinds.mapped("wisp_default_team_id")))
        self.assertTrue(all(kinds.mapped("wisp_default_priority")))

    def test_create_applies_category_team_and_priority(self):
        ticket = self.new_ticket(category_id=self.cat_no_internet.id)
        self.assertEqual(ticket.team_id, self.team_support)
        self.assertEqual(ticket.priority, "2")
        self.assertTrue(ticket.stage_id, "helpdesk_mgmt gave it the team's first stage")
        billing = self.new_ticket(category_id=self.cat_billing.id)
        self.assertEqual((billing.team_id, billing.priority), (self.team_billing, "1"))

    def test_explicit_values_win(self):
        ticket = self.new_ticket(
            category_id=self.cat_no_internet.id, team_id=self.team_network.id, priority="3"
        )
        self.assertEqual((ticket.team_id, ticket.priority), (self.team_network, "3"))

    def test_onchange_in_the_form(self):
        with Form(self.Ticket.with_user(self.support)) as form:
            form.name = "Slow"
            form.description = "<p>slow</p>"
            form.category_id = self.cat_slow
            self.assertEqual(form.team_id, self.team_support)
            self.assertEqual(form.priority, "1")
            form.category_id = self.cat_billing
            self.assertEqual(form.team_id, self.team_billing)
