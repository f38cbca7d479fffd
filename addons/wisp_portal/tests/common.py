"""Shared set-up of the portal suites: a company with a chart of accounts and the
test card provider (``WispPaymentCommon``), the default website working for that company, plans, two
portal subscribers with services and a router on the emulated RouterOS API.

HTTP requests go through ``self.url_open`` after ``self.authenticate(login,
login)``; every portal user's password is its login.
"""

from datetime import timedelta

from odoo import Command, fields, http
from odoo.addons.wisp_billing.tests.common import BILLING_SETTINGS
from odoo.addons.wisp_billing.tests.payment_common import WispPaymentCommon
from odoo.addons.wisp_network.tests.common import start_emulated_router
from odoo.addons.wisp_subscriber.tests.common import (
    make_plan,
    make_prepaid_plan,
    make_service,
)
from odoo.tests import HttpCase, new_test_user

# the test server sees its clients (the tests, Chromium) at the loopback address
CLIENT_IP = "127.0.0.1"
# the hotspot login URL of the test router (MikroTik's link-login-only)
ROUTER_LOGIN = "http://10.5.50.1/login"


class WispPortalCase(WispPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        # the accountant of AccountTestInvoicingCommon also runs the WISP
        cls.env.user.sudo().group_ids = [
            Command.link(cls.env.ref("wisp_subscriber.group_wisp_manager").id)
        ]
        cls.website = cls.env.ref("website.default_website")
        cls.website.company_id = cls.company
        cls.company.write(BILLING_SETTINGS)
        # untaxed, and of no company: sold by every company
        plan_vals = {"taxes_id": [], "company_id": False}
        cls.plan_20 = make_plan(
            cls.env,
            "Home 20",
            30.0,
            download_kbps=20000,
            upload_kbps=4000,
            data_cap_gb=100,
            fup_download_kbps=2000,
            fup_upload_kbps=500,
            **plan_vals,
        )
        cls.plan_50 = make_plan(
            cls.env, "Home 50", 60.0, download_kbps=50000, upload_kbps=10000, **plan_vals
        )
        cls.plan_prepaid = make_prepaid_plan(
            cls.env, "Hotspot Day", duration=1, price=2.0, **plan_vals
        )
        cls.site = cls.env["wisp.site"].create({"name": "Portal Tower", "code": "PT"})
        cls.emu, cls.router = start_emulated_router(cls, cls.site, "Portal NAS")
        cls.router.wisp_hotspot_hosts = "10.5.50.1"

        # Two residential subscribers, each with a portal login (password = login).
        cls.alice_user = cls._portal_user("alice", "Alice Portal")
        cls.alice = cls.alice_user.partner_id
        cls.bob_user = cls._portal_user("bob", "Bob Portal")
        cls.bob = cls.bob_user.partner_id

    @classmethod
    def _portal_user(cls, login, name, groups="base.group_portal", **partner_vals):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            email=f"{login}@example.com",
            groups=groups,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        user.partner_id.write(
            {
                "street": f"{len(login)} Antenna Road",
                "city": "Relay",
                "wisp_billing_mode": "advance",
                "property_product_pricelist": False,
                **partner_vals,
            }
        )
        return user

    def new_service(self, partner=None, plan=None, state="active", **vals):
        """A service of ``partner`` (Alice) on ``plan`` (Home 20) at the site, brought to
        ``state`` through the real transitions."""
        vals = {"site_id": self.site.id, **vals}
        return make_service(self, partner or self.alice, plan or self.plan_20, state, **vals)

    def overdue_invoice(self, service, amount=30.0):
        """A posted recurring invoice of ``service``, 20 days past due."""
        today = fields.Date.context_today(self.env.user)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": service.partner_id.id,
                "invoice_date": today - timedelta(days=30),
                "invoice_date_due": today - timedelta(days=20),
                "wisp_cycle_start": today - timedelta(days=30),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": service.plan_id.name,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "wisp_service_id": service.id,
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def overdue_service(self, partner, ip_address=CLIENT_IP):
        """An active service on the router, then suspended by the dunning for an
        overdue invoice; returns (service, invoice)."""
        service = self.new_service(partner, self.plan_20, "active", ip_address=ip_address)
        invoice = self.overdue_invoice(service)
        self.env["account.move"]._wisp_dunning(
            self.company, fields.Date.context_today(self.env.user)
        )
        self.assertEqual(service.state, "suspended")
        self.assertEqual(service.blocking_invoice_ids, invoice)
        self.run_jobs()
        self.assertTrue(self.router_secret(service)["profile"].endswith("-restricted"))
        return service, invoice

    def via_proxy(self, address, proxies=CLIENT_IP):
        """Headers of a request relayed for a client at ``address`` by a reverse proxy at
        the test client's address, trusted as ``proxies`` (system parameter)."""
        self.env["ir.config_parameter"].set_param("wisp_portal.trusted_proxies", proxies)
        return {"X-Forwarded-For": address, "X-Forwarded-Host": "portal.example.net"}

    def router_secret(self, service):
        return self.emu.row("/ppp/secret", service.login)

    def post_plan_change(self, service, plan, when="now"):
        """The portal's plan change form of ``service``, sent as the logged-in user."""
        return self.url_open(
            f"/my/services/{service.id}/plan",
            data={
                "plan_id": str(plan.id),
                "when": when,
                "csrf_token": http.Request.csrf_token(self),
            },
            allow_redirects=False,
        )

    def pay_by_form(self, route, access_token, landing_route, amount, headers=None, **params):
        """What Odoo's payment form posts to ``route`` to create a transaction: the demo
        provider, direct flow, no saved card; ``params`` change any of it."""
        return self.make_jsonrpc_request(
            route,
            {
                "access_token": access_token,
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method_id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": landing_route,
                "is_validation": False,
                **params,
            },
            headers=headers,
        )

    def run_jobs(self):
        return self.env["wisp.network.job"]._cron_process_jobs(commit=False)

    def assert_refused(self, response, msg=None):
        """Another subscriber's record: 403 or 404, and nothing of it in the page."""
        self.assertIn(response.status_code, (403, 404), msg)
