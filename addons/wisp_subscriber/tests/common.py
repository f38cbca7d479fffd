"""The suites' one fixture layer: plans and services are made here, and the other
addons' test commons (``wisp_billing``, ``wisp_network``, ``wisp_portal``,
``wisp_helpdesk``) build on it.

- :func:`make_plan` creates a plan product, whatever the suite (:func:`make_prepaid_plan`
  a prepaid one);
- :func:`make_service` creates a service and brings it to a status through the real
  transitions; each case's ``new_service`` is this function with that suite's
  defaults (its subscriber, plan and site);
- :class:`WispSubscriberCase` holds the base plans, a site, a subscriber and one user
  per role.
"""

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

# the transitions that bring a new (draft) service to each status
STATE_PATHS = {
    "draft": [],
    "confirmed": ["action_confirm"],
    "installation": ["action_confirm", "_schedule_for_test"],
    "active": ["action_confirm", "action_activate"],
    "restricted": ["action_confirm", "action_activate", "action_restrict"],
    "suspended": ["action_confirm", "action_activate", "action_suspend"],
    "paused": ["action_confirm", "action_activate", "action_pause"],
    "terminated": ["action_terminate"],
}


def make_plan(env, name, price, **vals):
    """A WISP plan (a service product), internet unless ``service_type`` says otherwise."""
    return env["product.product"].create(
        {
            "name": name,
            "type": "service",
            "is_wisp_plan": True,
            "service_type": "internet",
            "list_price": price,
            **vals,
        }
    )


def make_prepaid_plan(env, name="Hotspot 1 day", duration=1, price=5.0, unit="days", **vals):
    """A prepaid internet plan at 5/1 Mbit/s (unless ``vals`` say otherwise) that lasts
    ``duration`` ``unit`` (minutes, hours or days)."""
    vals = {"download_kbps": 5000, "upload_kbps": 1000, **vals}
    return make_plan(
        env,
        name,
        price,
        is_prepaid=True,
        prepaid_duration=duration,
        prepaid_duration_unit=unit,
        **vals,
    )


def make_portal_user(env, login, partner=None):
    """A portal login: ``partner``'s (a subscriber's own), else a stranger's."""
    vals = {"partner_id": partner.id} if partner else {}
    return new_test_user(env, login=login, groups="base.group_portal", **vals)


def make_service(case, partner, plan, state="draft", **vals):
    """A service of ``partner`` on ``plan`` (of the plan's type unless ``vals`` say
    otherwise) brought to ``state`` through the real transitions; ``installation``
    schedules its order for ``case.installer``. ``case`` is the test case or its class
    (``setUpClass``)."""
    service = case.env["wisp.service"].create(
        {
            "partner_id": partner.id,
            "plan_id": plan.id,
            "service_type": plan.service_type,
            **vals,
        }
    )
    for step in STATE_PATHS[state]:
        if step == "_schedule_for_test":
            order = service.installation_order_ids
            order.write(
                {"installer_id": case.installer.id, "scheduled_date": "2030-01-15 09:00:00"}
            )
            order.action_schedule()
        else:
            getattr(service, step)()
    # not case.assertEqual: a class calls it too, from setUpClass
    if service.state != state:
        raise AssertionError(f"{service.name} is {service.state}, not {state}")
    return service


def overage_plan(env, name="Test Flex 50", price=40.0, **vals):
    """A 50/10 Mbit/s plan with a 100 GB cap, each started GB past it at 2.00."""
    vals = {
        "download_kbps": 50000,
        "upload_kbps": 10000,
        "data_cap_gb": 100,
        "fup_download_kbps": 2000,
        "fup_upload_kbps": 500,
        "data_cap_policy": "overage",
        "overage_price_per_gb": 2.0,
        **vals,
    }
    return make_plan(env, name, price, **vals)


class WispSubscriberCase(TransactionCase):
    """Plans, a subscriber and one user per role, shared by the suites."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.plan = make_plan(cls.env, "Test Home 20", 30.0, download_kbps=20000, upload_kbps=4000)
        cls.plan_iptv = make_plan(cls.env, "Test TV", 10.0, service_type="iptv")
        cls.plan_prepaid = make_prepaid_plan(cls.env, "Test Prepaid 7d", duration=7, price=5.0)
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

    def new_service(self, partner=None, plan=None, state="draft", **vals):
        """A service of ``partner`` (the subscriber) on ``plan`` (Test Home 20) at the site,
        brought to ``state`` through the real transitions."""
        vals = {"site_id": self.site.id, **vals}
        return make_service(self, partner or self.subscriber, plan or self.plan, state, **vals)
