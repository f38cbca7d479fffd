{
    "name": "WISP Network",
    "summary": "Routers (MikroTik RouterOS API, FreeRADIUS shared by many routers) "
    "provisioned from each service's desired state (PPPoE, hotspot, DHCP/IPoE by CPE "
    "MAC): sync jobs, reconcile, circuit test, usage, caps and the usage charges ledger, "
    "online status, live sessions with disconnect and session history, router health "
    "poll, failed jobs and unreachable routers on the dashboard, RouterOS setup "
    "script per router, LibreQoS export of the shaping topology, IP address management "
    "(IPv4 pools, IPv6 prefix delegation)",
    "version": "19.0.1.1.0",
    "category": "Services/WISP",
    "website": "https://github.com/wisp-suite/wisp",
    "author": "WISP suite developers",
    "license": "AGPL-3",
    "depends": ["mail", "wisp_subscriber"],
    "external_dependencies": {"python": ["librouteros", "psycopg2"]},
    "data": [
        "security/ir.model.access.csv",
        "security/wisp_network_rules.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/wisp_message_data.xml",
        "views/wisp_router_views.xml",
        "views/wisp_radius_server_views.xml",
        "views/wisp_network_job_views.xml",
        "views/wisp_circuit_test_views.xml",
        "views/wisp_service_usage_views.xml",
        "views/wisp_ip_pool_views.xml",
        "views/wisp_service_session_views.xml",
        "views/wisp_service_views.xml",
        "views/wisp_site_views.xml",
        "views/res_partner_views.xml",
        "views/wisp_network_menus.xml",
    ],
    "demo": [
        "demo/wisp_router_demo.xml",
        "demo/wisp_ip_pool_demo.xml",
        "demo/wisp_service_dhcp_demo.xml",
        "demo/wisp_service_usage_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "wisp_network/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
