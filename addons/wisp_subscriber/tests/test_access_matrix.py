from odoo.tests import tagged

from .access_matrix import AccessMatrixCase

STAFF = ("installer", "support", "billing", "network")


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_subscriber's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_subscriber"
    METHOD_POLICY = {
        "wisp.service": {
            "action_confirm": ("support",),
            "action_schedule_installation": ("support",),
            "action_activate": ("support", "network"),
            "action_restrict": ("billing", "network"),
            "action_suspend": ("billing", "network"),
            "action_reactivate": ("billing", "network"),
            "action_pause": ("billing", "network"),
            "action_resume": ("billing", "network"),
            "action_terminate": ("billing", "network"),
            "action_regenerate_password": ("network",),
            "action_view_devices": STAFF,
            "action_view_installation_orders": STAFF,
        },
        "res.partner": {
            "action_make_subscriber": ("support",),
            "action_view_services": STAFF,
        },
        "wisp.connection.request": {
            "action_convert": ("support",),
            "action_reject": ("support",),
            "action_use_matching_partner": ("support",),
        },
        "wisp.installation.order": {
            "action_schedule": ("support", "network"),
            "action_done": ("installer", "support", "network"),
            "action_cancel": ("support", "network"),
            "action_reset": ("support", "network"),
        },
        "wisp.site": {"action_view_services": STAFF},
        "wisp.installation.complete": {"action_complete": ("installer", "support", "network")},
    }
    PROTECTED_FIELDS = {
        "wisp.service": {
            "state": (),
            "activation_date": (),
            "termination_date": (),
            "expiry_date": (),
            "plan_id": ("support",),
            "network_password": ("network",),
        },
        "wisp.installation.order": {"state": ()},
        "wisp.connection.request": {"state": (), "service_id": ()},
        "product.template": {"list_price": ()},
    }

    @classmethod
    def _matrix_module_records(cls):
        # someone else's completion of the foreign service's installation
        cls.env["wisp.installation.complete"].create(
            {
                "order_id": cls.foreign_service.installation_order_ids[:1].id,
                "device_name": "Matrix CPE 2",
                "serial_number": "MATRIX-SN-1",
                "mac_address": "02:00:00:00:AA:01",
            }
        )
