{
    "name": "WISP Subscribers",
    "summary": "Subscribers with many sub-services, plans, CPE devices, "
    "installations and the service life cycle of a wireless ISP; CPE models from Odoo stock "
    "(serials delivered from the installer's van, returned at termination); plans with usage "
    "charges past their data cap and the usage ledger; subscriber header with "
    "quick actions, map of sites and subscribers, coverage check, installer scheduling, "
    "home dashboard, subscriber messages by e-mail and SMS (event outbox, templates)",
    "version": "19.0.1.3.0",
    "category": "Services/WISP",
    "website": "https://github.com/wisp-suite/wisp",
    "author": "WISP suite developers",
    "license": "AGPL-3",
    "depends": ["mail", "product", "sms_twilio", "stock"],
    "data": [
        "security/wisp_subscriber_groups.xml",
        "security/ir.model.access.csv",
        "security/wisp_subscriber_rules.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/sms_template_data.xml",
        "data/wisp_message_data.xml",
        "data/wisp_webhook_data.xml",
        "wizards/wisp_service_state_change_views.xml",
        "wizards/wisp_installation_proposal_views.xml",
        "views/wisp_site_views.xml",
        "views/product_template_views.xml",
        "views/wisp_service_views.xml",
        "views/wisp_cpe_device_views.xml",
        "wizards/wisp_installation_complete_views.xml",
        "views/wisp_installation_order_views.xml",
        "views/wisp_connection_request_views.xml",
        "views/wisp_service_usage_period_views.xml",
        "views/res_partner_views.xml",
        "views/res_users_views.xml",
        "views/wisp_map_views.xml",
        "views/wisp_dashboard_views.xml",
        "views/wisp_menus.xml",
        "views/wisp_message_views.xml",
        "views/wisp_webhook_views.xml",
        "wizards/wisp_import_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "wisp_subscriber/static/src/map/*",
            "wisp_subscriber/static/src/dashboard/*",
        ],
        "web.assets_tests": [
            "wisp_subscriber/static/tests/tours/*.js",
        ],
    },
    "demo": [
        "demo/wisp_site_demo.xml",
        "demo/product_demo.xml",
        "demo/res_users_demo.xml",
        "demo/wisp_subscriber_demo.xml",
        "demo/wisp_map_demo.xml",
        "demo/wisp_cpe_stock_demo.xml",
    ],
    "application": True,
    "installable": True,
}
