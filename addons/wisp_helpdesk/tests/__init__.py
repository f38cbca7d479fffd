from . import (
    test_access_matrix,
    test_category,
    test_demo_data,
    test_escalation,
    test_failed_job_ticket,
    test_portal,
    test_report,
    test_ticket_live_session,
    test_ticket_reply_sms,
    test_ticket_service,
    test_ticket_webhooks,
    test_tours_backoffice,
)
