from odoo import Command
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
            "action_propose_installers": ("support", "network"),
        },
        "wisp.installation.complete": {"action_complete": ("installer", "support", "network")},
        "wisp.site": {
            "action_view_services": STAFF,
            "get_map_points": ("support", "billing", "network"),
        },
        "wisp.installation.proposal": {"action_choose": ("support", "network")},
        "wisp.service.state.change": {"action_apply": ("billing", "network")},
        "wisp.dashboard": {"get_dashboard": ("support", "billing", "network")},
        "wisp.message.event": {"action_view_messages": ()},
        "wisp.message": {"action_retry": ()},
        # the migration: manager only
        "wisp.import": {"action_check": (), "action_import": (), "action_download_template": ()},
    }
    PROTECTED_FIELDS = {
        "wisp.service": {
            "state": (),
            "activation_date": (),
            "termination_date": (),
            "expiry_date": (),
            "expiry_datetime": (),
            "pass_started": (),
            "prepaid_pending_s": (),
            "prepaid_pending_since": (),
            "uptime_limit_s": (),
            "plan_id": ("support",),
            "network_password": ("network",),
        },
        "wisp.installation.order": {"state": (), "picking_id": ()},
        "wisp.cpe.device": dict.fromkeys(
            (
                "product_id",
                "lot_id",
                "ownership",
                "stock_state",
                "delivery_picking_id",
                "return_picking_id",
                "return_requested_date",
            ),
            (),
        ),
        "wisp.connection.request": {"state": (), "service_id": ()},
        "product.template": {
            "list_price": (),
            "data_cap_policy": (),
            "overage_price_per_gb": (),
            "overage_next_plan_id": (),
        },
        # written by the system only (readings, billing): no role, the manager included
        "wisp.service.usage.period": dict.fromkeys(
            ("service_id", "plan_id", "used_mb", "allowance_mb", "is_closed", "date_start"), ()
        ),
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
        # wizards of the superuser's: nobody else may apply them
        service = cls.foreign_service
        cls.env["wisp.installation.proposal"].create(
            {
                "order_id": service.installation_order_ids[:1].id,
                "installer_id": cls.env.uid,
                "start": "2030-01-15 09:00:00",
            }
        )
        cls.env["wisp.service.state.change"].create(
            {"transition": "suspend", "service_ids": [Command.set(service.ids)], "reason": "x"}
        )
        # a message to the foreign subscriber (no address: kept as not sent)
        cls.env["wisp.message"]._queue("services_suspended", service.partner_id, service.partner_id)
        # webhooks of this company and of another one, with a delivery each
        for company in (cls.env.company, cls.other_company):
            webhook = cls.env["wisp.webhook"].create(
                {
                    "name": f"Matrix Hook {company.name}",
                    "url": "https://hooks.example.com/matrix",
                    "company_id": company.id,
                    "event_ids": [
                        Command.link(cls.env.ref("wisp_subscriber.webhook_event_service_state").id)
                    ],
                }
            )
            cls.env["wisp.webhook.delivery"].create(
                {
                    "webhook_id": webhook.id,
                    "event_id": webhook.event_ids.id,
                    "event_uuid": f"matrix-{company.id}",
                    "payload": "{}",
                }
            )
