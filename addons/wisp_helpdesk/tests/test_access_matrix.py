from odoo.addons.wisp_subscriber.tests.access_matrix import AccessMatrixCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_helpdesk's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_helpdesk"
    METHOD_POLICY = {
        "helpdesk.ticket": {
            "action_wisp_circuit_test": ("support", "network"),
            "action_wisp_disconnect_session": ("support", "network"),
            "action_wisp_view_service": ("support", "network"),
        },
        "wisp.service": {"action_view_helpdesk_tickets": ("support", "network")},
        "wisp.helpdesk.report.wizard": {"action_print": ()},
    }
    METHOD_ARGS = {("helpdesk.ticket", "message_post"): {"body": "matrix"}}
    PROTECTED_FIELDS = {
        "wisp.helpdesk.escalation": {"trigger": (), "date": ()},
    }

    @classmethod
    def _matrix_module_records(cls):
        ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Matrix foreign ticket",
                "description": "No internet",
                "partner_id": cls.foreign_partner.id,
                "wisp_service_id": cls.foreign_service.id,
                # its SLA deadline is planned on the team's working hours
                "team_id": cls.env.ref("wisp_helpdesk.team_support").id,
            }
        )
        sla = cls.env["helpdesk.sla"].create(
            {
                "name": "Matrix 4h",
                "hours": 4,
                "stage_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
            }
        )
        ticket_sla = cls.env["helpdesk.ticket.sla"].create(
            {"ticket_id": ticket.id, "sla_id": sla.id}
        )
        rule = cls.env["wisp.helpdesk.escalation.rule"].create(
            {"name": "Matrix at risk", "trigger": "at_risk", "raise_priority": True}
        )
        cls.env["wisp.helpdesk.escalation"].create(
            {
                "ticket_id": ticket.id,
                "ticket_sla_id": ticket_sla.id,
                "rule_id": rule.id,
                "trigger": "at_risk",
            }
        )
