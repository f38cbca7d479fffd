from . import (
    helpdesk_sla,
    helpdesk_ticket,
    helpdesk_ticket_category,
    helpdesk_ticket_sla,
    helpdesk_ticket_team,
    report_wisp_helpdesk_summary,
    wisp_helpdesk_escalation,
    wisp_helpdesk_escalation_rule,
    wisp_helpdesk_report,
    wisp_network_job,
    wisp_service,
)
