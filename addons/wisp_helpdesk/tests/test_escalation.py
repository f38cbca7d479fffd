from datetime import timedelta

from freezegun import freeze_time

from .common import WispHelpdeskCase


class TestEscalation(WispHelpdeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rule = cls.env["wisp.helpdesk.escalation.rule"]
        Rule.search([]).active = False
        # Only this suite's tickets (demo data has open tickets with SLAs too).
        cls.env["helpdesk.ticket"].search([]).active = False
        cls.env["helpdesk.sla"].search([]).active = False
        cls.sla = cls.env["helpdesk.sla"].create(
            {
                "name": "Resolve in 4h",
                "hours": 4,
                "stage_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
                "team_ids": [(6, 0, cls.team_support.ids)],
            }
        )
        cls.team_support.user_id = cls.support
        cls.rule_risk = Rule.create(
            {
                "name": "At risk",
                "trigger": "at_risk",
                "risk_pct": 75,
                "raise_priority": True,
                "notify_manager": True,
            }
        )
        cls.rule_breach = Rule.create(
            {
                "name": "Breached",
                "trigger": "breached",
                "raise_priority": True,
                "reassign": True,
                "notify_manager": True,
                "manager_id": cls.manager.id,
            }
        )

    def escalate_at(self, ticket, hours):
        with freeze_time(ticket.create_date + timedelta(hours=hours)):
            return self.env["wisp.helpdesk.escalation.rule"]._cron_escalate()

    def test_at_risk_then_breached_each_once(self):
        ticket = self.new_ticket(category_id=self.cat_slow.id)
        self.assertEqual((ticket.team_id, ticket.priority), (self.team_support, "1"))
        self.assertEqual(ticket.sla_ids, self.sla)
        self.assertAlmostEqual(
            ticket.ticket_sla_ids.deadline,
            ticket.create_date + timedelta(hours=4),
            delta=timedelta(seconds=1),
        )

        self.assertFalse(self.escalate_at(ticket, 2), "half the SLA used: not at risk")
        self.assertFalse(ticket.wisp_escalation_ids)

        steps = self.escalate_at(ticket, 3.1)
        self.assertEqual(steps.rule_id, self.rule_risk)
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.team_id, self.team_support, "at risk does not reassign")
        self.assertIn("Escalation (SLA at risk", self.last_message(ticket).body)
        self.assertIn(self.support.partner_id, self.last_message(ticket).partner_ids)
        self.assertFalse(self.escalate_at(ticket, 3.5), "at risk happens once")
        self.assertEqual(ticket.priority, "2")

        steps = self.escalate_at(ticket, 4.5)
        self.assertEqual(steps.rule_id, self.rule_breach)
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(ticket.team_id, self.team_level2)
        self.assertIn("reassigned to Support Level 2", steps.summary)
        self.assertIn(self.manager.partner_id, self.last_message(ticket).partner_ids)
        self.assertEqual(
            ticket.activity_ids.filtered(lambda a: a.user_id == self.manager).summary,
            f"Escalated ticket {ticket.number}",
        )
        self.assertFalse(self.escalate_at(ticket, 6), "breach escalation happens once")
        self.assertFalse(self.escalate_at(ticket, 30))
        self.assertEqual(len(ticket.wisp_escalation_ids), 2)
        self.assertEqual(ticket.team_id, self.team_level2)

    def test_resolved_in_time_is_never_escalated(self):
        ticket = self.new_ticket(category_id=self.cat_slow.id)
        with freeze_time(ticket.create_date + timedelta(hours=1)):
            ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.assertEqual(ticket.ticket_sla_ids.state, "accomplished")
        self.assertFalse(self.escalate_at(ticket, 10))

    def test_rule_filters_and_configurable_percentage(self):
        self.rule_risk.write({"risk_pct": 50, "category_ids": [(6, 0, self.cat_no_internet.ids)]})
        slow = self.new_ticket(category_id=self.cat_slow.id)
        outage = self.new_ticket(category_id=self.cat_no_internet.id, priority="1")
        with freeze_time(outage.create_date + timedelta(hours=2.1)):
            steps = self.env["wisp.helpdesk.escalation.rule"]._cron_escalate()
        self.assertEqual(steps.ticket_id, outage, "only the rule's category, from 50%")
        self.assertFalse(slow.wisp_escalation_ids)

    def test_sla_expired_by_a_stage_change_still_escalates(self):
        ticket = self.new_ticket(category_id=self.cat_slow.id)
        ticket_sla = ticket.ticket_sla_ids
        # what helpdesk_mgmt_sla records when a late ticket moves to another stage
        ticket_sla.state = "expired"
        steps = self.escalate_at(ticket, 5)
        self.assertIn(self.rule_breach, steps.rule_id)
        self.assertFalse(self.escalate_at(ticket, 6), "once")
