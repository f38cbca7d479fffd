{
    "name": "WISP Portal",
    "summary": "Subscriber self-care on Odoo's portal: services dashboard with usage, "
    "data-cap warnings and usage charges so far, prices as invoiced (tax included), "
    "autopay with a saved card, "
    "invoices, wallet movements, plan change with proration preview, access codes, captive "
    "and hotspot pages, reseller portal, connection request form",
    "version": "19.0.1.0.0",
    "category": "Services/WISP",
    "website": "https://github.com/wisp-suite/wisp",
    "author": "WISP suite developers",
    "license": "AGPL-3",
    "depends": [
        "website",
        "account_payment",
        "wisp_billing",
        "wisp_network",
        "fastapi",
        "mass_mailing",
        "mass_mailing_sms",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/wisp_portal_security.xml",
        "data/wisp_portal_data.xml",
        "views/portal_templates.xml",
        "views/account_portal_templates.xml",
        "views/hotspot_templates.xml",
        "views/captive_templates.xml",
        "views/connection_request_templates.xml",
        "views/reseller_templates.xml",
        "views/message_preferences_templates.xml",
        "views/website_menus.xml",
        "views/wisp_router_views.xml",
        "views/res_config_settings_views.xml",
        "data/wisp_api_data.xml",
        "security/wisp_api_rules.xml",
        "wizards/wisp_api_client_key_views.xml",
        "views/wisp_api_client_views.xml",
        "views/wisp_api_origin_views.xml",
        "views/wisp_segment_views.xml",
        "views/mailing_mailing_views.xml",
    ],
    "demo": ["demo/wisp_portal_demo.xml", "demo/wisp_segment_demo.xml"],
    "assets": {
        "web.assets_frontend": [
            "wisp_portal/static/src/scss/wisp_portal.scss",
            "wisp_portal/static/src/interactions/*.js",
        ],
        "web.assets_tests": [
            "wisp_portal/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
