from odoo.addons.wisp_subscriber.tests.access_matrix import AccessMatrixCase
from odoo.tests import tagged

STAFF = ("installer", "support", "billing", "network")


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_network's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_network"
    METHOD_POLICY = {
        "wisp.router": {
            "action_reconcile": ("network",),
            "action_check_connection": ("network",),
            "action_download_setup_script": ("network",),
            "action_view_services": ("support", "billing", "network"),
            "action_view_failed_jobs": ("support", "network"),
        },
        "wisp.network.job": {"action_retry": ("network",)},
        "wisp.site": {
            "action_download_libreqos": ("network",),
            "action_view_ip_pools": ("support", "billing", "network"),
        },
        "wisp.ip.pool": {"action_view_addresses": ("support", "billing", "network")},
        "wisp.service": {
            "action_circuit_test": ("support", "network"),
            "action_view_usage": ("support", "billing", "network"),
            "action_sync_network": ("network",),
            "action_assign_ip": ("network",),
            "action_disconnect_session": ("support", "network"),
        },
    }
    PROTECTED_FIELDS = {
        "wisp.router": {"password": ("network",), "coa_secret": ("network",)},
        "wisp.radius.server": {"dsn": ("network",)},
        "wisp.network.job": {"state": (), "attempts": (), "error": ()},
        "wisp.circuit.test": {"state": (), "loss_pct": ()},
        "wisp.service.usage": {"download_mb": (), "upload_mb": ()},
        "wisp.service.session": {"state": (), "download_bytes": (), "stop_date": ()},
        "wisp.service": {"router_id": ("network",), "last_traffic_date": (), "ipv6_prefix": ()},
        "wisp.ip.pool": {"cidr": ("network",), "exclusions": ("network",)},
        "wisp.ip.address": {"state": (), "service_id": ()},
    }

    @classmethod
    def _matrix_module_records(cls):
        # a router that answers nowhere: the loopback's discard port, closed
        router_vals = {"backend": "routeros", "host": "127.0.0.1", "api_port": 9, "timeout": 0.2}
        router = cls.env["wisp.router"].create(
            {"name": "Matrix NAS", "site_id": cls.matrix_site.id, **router_vals}
        )
        cls.env["wisp.router"].create(
            {
                "name": "Other Co NAS",
                "site_id": cls.other_company_site.id,
                "company_id": cls.other_company.id,
                **router_vals,
            }
        )
        for company in (cls.env.company, cls.other_company):
            cls.env["wisp.radius.server"].create(
                {
                    "name": f"Matrix RADIUS {company.name}",
                    "dsn": "dbname=none",
                    "company_id": company.id,
                }
            )
        cls.foreign_service.router_id = router
        cls.env["wisp.circuit.test"].create(
            {"service_id": cls.foreign_service.id, "router_id": router.id, "address": "10.9.9.9"}
        )
        for site, cidr in (
            (cls.matrix_site, "10.98.0.0/28"),
            (cls.other_company_site, "10.99.0.0/28"),
        ):
            cls.env["wisp.ip.pool"].create(
                {"name": f"Matrix {cidr}", "site_id": site.id, "cidr": cidr}
            )
        cls.env["wisp.service.usage"].create(
            {"service_id": cls.foreign_service.id, "date": "2026-01-01", "download_mb": 5.0}
        )
        cls.env["wisp.service.session"].create(
            {
                "service_id": cls.foreign_service.id,
                "router_id": router.id,
                "login": "matrix-login",
                "session_key": "0x1",
                "address": "10.9.9.9",
            }
        )
