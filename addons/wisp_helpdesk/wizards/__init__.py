from . import wisp_helpdesk_report_wizard
