from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


def overage_plan(env, name="Test Flex 50", **vals):
    """A 50/10 Mbit/s plan with a 100 GB cap, each started GB past it at 2.00."""
    return env["product.product"].create(
        {
            "name": name,
            "type": "service",
            "is_wisp_plan": True,
            "service_type": "internet",
            "list_price": 40.0,
            "download_kbps": 50000,
            "upload_kbps": 10000,
            "data_cap_gb": 100,
            "fup_download_kbps": 2000,
            "fup_upload_kbps": 500,
            "data_cap_policy": "overage",
            "overage_price_per_gb": 2.0,
            **vals,
        }
    )


class WispSubscriberCase(TransactionCase):
    """Plans, a subscriber and one user per role, shared by the suites."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        Product = cls.env["product.product"]
        cls.plan = Product.create(
            {
                "name": "Test Home 20",
                "type": "service",
                "is_wisp_plan": True,
                "service_type": "internet",
                "list_price": 30.0,
                "download_kbps": 20000,
                "upload_kbps": 4000,
            }
        )
        cls.plan_iptv = Product.create(
            {
                "name": "Test TV",
                "type": "service",
                "is_wisp_plan": True,
                "service_type": "iptv",
                "list_price": 10.0,
            }
        )
        cls.plan_prepaid = Product.create(
            {
                "name": "Test Prepaid 7d",
                "type": "service",
                "is_wisp_plan": True,
                "service_type": "internet",
                "list_price": 5.0,
                "download_kbps": 5000,
                "upload_kbps": 1000,
                "is_prepaid": True,
                "prepaid_duration": 7,
            }
        )
        cls.site = cls.env["wisp.site"].create({"name": "Test Tower", "code": "TT"})
        cls.subscriber = cls.env["res.partner"].create(
            {
                "name": "Test Subscriber",
                "street": "1 Test St",
                "city": "Testville",
                "email": "test.subscriber@example.com",
            }
        )
        cls.other_subscriber = cls.env["res.partner"].create({"name": "Other Subscriber"})

        def user(login, *groups):
            return new_test_user(cls.env, login=login, groups=",".join(groups))

        cls.installer = user("t_installer", "wisp_subscriber.group_wisp_installer")
        cls.installer2 = user("t_installer2", "wisp_subscriber.group_wisp_installer")
        cls.support = user("t_support", "wisp_subscriber.group_wisp_support")
        cls.billing = user("t_billing", "wisp_subscriber.group_wisp_billing")
        cls.network = user("t_network", "wisp_subscriber.group_wisp_network")
        cls.manager = user("t_manager", "wisp_subscriber.group_wisp_manager")

    def mount_device(self, service):
        """The device an installer records before completing the installation."""
        n = self.env["wisp.cpe.device"].sudo().search_count([]) + 1
        return self.env["wisp.cpe.device"].create(
            {
                "service_id": service.id,
                "name": "LiteBeam 5AC",
                "serial_number": f"TEST-SN-{service.id}-{n}",
                "mac_address": f"02:00:00:00:{n // 256:02X}:{n % 256:02X}",
            }
        )

    def new_service(self, state="draft", partner=None, plan=None, **vals):
        """A service brought to ``state`` through the real transitions."""
        service = self.env["wisp.service"].create(
            {
                "partner_id": (partner or self.subscriber).id,
                "plan_id": (plan or self.plan).id,
                "site_id": self.site.id,
                **vals,
            }
        )
        path = {
            "draft": [],
            "confirmed": ["action_confirm"],
            "installation": ["action_confirm", "_schedule_for_test"],
            "active": ["action_confirm", "action_activate"],
            "restricted": ["action_confirm", "action_activate", "action_restrict"],
            "suspended": ["action_confirm", "action_activate", "action_suspend"],
            "paused": ["action_confirm", "action_activate", "action_pause"],
            "terminated": ["action_terminate"],
        }[state]
        for step in path:
            if step == "_schedule_for_test":
                order = service.installation_order_ids
                order.write(
                    {"installer_id": self.installer.id, "scheduled_date": "2030-01-15 09:00:00"}
                )
                order.action_schedule()
            else:
                getattr(service, step)()
        self.assertEqual(service.state, state)
        return service
