import re

from freezegun import freeze_time

from odoo import Command, fields
from odoo.addons.wisp_network.tests.common import ROUTER_PASSWORD
from odoo.tests import tagged

from .common import WispPortalCase

# the price of a service card, e.g. PRICE_RE % "30.00"
PRICE_RE = r'o_wisp_service_price">\s*\S+\s*<span class="oe_currency_value">%s<'


@tagged("post_install", "-at_install")
class TestPortalDashboard(WispPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.wisp_referral_credit = 15.0

    def setUp(self):
        super().setUp()
        self.home = self.new_service(self.alice, self.plan_20)
        self.env["wisp.cpe.device"].create(
            {
                "name": "Alice Dish",
                "service_id": self.home.id,
                "mac_address": "AA:BB:CC:00:00:01",
                "ip_address": "10.9.0.1",
            }
        )
        self.bob_home = self.new_service(self.bob, self.plan_50)
        self.env["wisp.cpe.device"].create(
            {
                "name": "Bob Secret Dish",
                "service_id": self.bob_home.id,
                "mac_address": "BB:BB:CC:00:00:02",
            }
        )

    def usage(self, service, gb, day=None):
        return self.env["wisp.service.usage"].create(
            {
                "service_id": service.id,
                "date": day or fields.Date.context_today(service),
                "download_mb": gb * 1000,
            }
        )

    def assert_no_secret(self, body):
        for service in (self.home | self.bob_home).sudo():
            self.assertNotIn(service.network_password, body)
        self.assertNotIn(ROUTER_PASSWORD, body)

    def test_home_tiles_and_counter(self):
        self.authenticate("alice", "alice")
        body = self.url_open("/my").text
        self.assertIn('href="/my/services"', body)
        self.assertIn('href="/my/wallet"', body)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["wisp_service_count"]})
        self.assertEqual(counters["wisp_service_count"], 1)

    def test_dashboard_shows_own_services_only(self):
        self.usage(self.home, 12.5)
        self.authenticate("alice", "alice")
        response = self.url_open("/my/services")
        self.assertEqual(response.status_code, 200)
        body = response.text
        self.assertIn(self.home.name, body)
        self.assertIn('data-state="active"', body)
        self.assertIn("Alice Dish", body)
        self.assertIn("AA:BB:CC:00:00:01", body)
        self.assertIn("20 Mbit/s", body)
        self.assertIn("12.50 of 100 GB", body)
        self.assertIn("o_wisp_cap_line", body, "plan_20 has a data cap")
        offered = self.env["product.product"].browse(
            int(plan_id)
            for plan_id in re.findall(r'o_wisp_upsell_plan" data-plan-id="(\d+)"', body)
        )
        self.assertTrue(offered, "faster plans are offered")
        self.assertTrue(all(plan.download_kbps > 20000 for plan in offered))
        self.assertNotIn(self.plan_prepaid, offered)
        self.assertIn(self.alice._wisp_referral_code_get(), body)
        for foreign in (self.bob_home.name, "Bob Secret Dish", "BB:BB:CC:00:00:02", "Bob Portal"):
            self.assertNotIn(foreign, body)
        self.assert_no_secret(body)

    def test_no_cap_no_line(self):
        self.home.sudo().plan_id = self.plan_50
        self.usage(self.home, 3)
        self.authenticate("alice", "alice")
        body = self.url_open("/my/services").text
        self.assertIn("3.00 GB", body)
        self.assertNotIn("o_wisp_cap_line", body)

    def test_blocked_service_shows_reason_and_pay_link(self):
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.alice.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoice), 1, "activation billed the first prorated period")
        self.assertTrue(invoice.amount_residual)
        self.home.action_suspend(reason=f"Invoice {invoice.name} overdue")
        invoice.sudo().wisp_blocked_service_ids = [Command.set(self.home.ids)]
        self.authenticate("alice", "alice")
        body = self.url_open("/my/services").text
        self.assertIn('data-state="suspended"', body)
        self.assertIn(f"Invoice {invoice.name} overdue", body)
        invoice.invalidate_recordset(["access_token"])  # given by the page's request
        self.assertIn(
            f"/my/invoices/{invoice.id}?access_token={invoice.access_token}&amp;payment=1", body
        )
        # the invoice page tells which services it blocks
        body = self.url_open(f"/my/invoices/{invoice.id}").text
        self.assertIn("o_wisp_invoice_blocked", body)
        self.assertIn(self.home.name, body)

    def test_day_pass_reads_per_day_not_monthly(self):
        """A 1-day prepaid plan's price reads "/ 1 day", not the "Monthly" underneath."""
        day_pass = self.new_service(self.bob, plan=self.plan_prepaid)
        self.authenticate("bob", "bob")
        body = self.url_open(f"/my/services/{day_pass.id}").text
        self.assertIn("/ 1 day", body)
        self.assertNotIn("Monthly", body)

    def test_service_page(self):
        self.env["wisp.service.installment"].create(
            {"name": "Dish", "service_id": self.home.id, "amount": 10.0, "installment_count": 4}
        )
        self.authenticate("alice", "alice")
        response = self.url_open(f"/my/services/{self.home.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_wisp_usage_chart_lg", response.text)
        self.assertIn("o_wisp_installment", response.text)
        self.assert_no_secret(response.text)

    def test_invoice_page_shows_installment_progress(self):
        self.env["wisp.service.installment"].create(
            {
                "name": "Dish install",
                "service_id": self.home.id,
                "amount": 10.0,
                "installment_count": 4,
            }
        )
        next_date = self.alice.wisp_next_billing_date
        with freeze_time(next_date):
            invoice = self.env["wisp.billing.run"]._bill_subscribers(self.alice, next_date)
        self.assertTrue(invoice.invoice_line_ids.wisp_installment_id)
        self.authenticate("alice", "alice")
        body = self.url_open(f"/my/invoices/{invoice.id}").text
        self.assertIn("o_wisp_invoice_installments", body)
        self.assertIn("Dish install", body)
        self.assertIn("1 of 4 billed", body)

    def test_foreign_service_is_not_found(self):
        self.authenticate("alice", "alice")
        for url in (
            f"/my/services/{self.bob_home.id}",
            f"/my/services/{self.bob_home.id}/plan",
            "/my/services/999999999",
        ):
            response = self.url_open(url)
            self.assert_refused(response, url)
            self.assertNotIn(self.bob_home.name, response.text)
            self.assertNotIn("Bob Secret Dish", response.text)

    def test_enterprise_consolidated_view(self):
        company = self.env["res.partner"].create(
            {"name": "Acme Offices", "is_company": True, "wisp_billing_mode": "advance"}
        )
        branches = self.env["res.partner"].create(
            [
                {"name": f"Branch {n}", "parent_id": company.id, "type": "other", "street": s}
                for n, s in ((1, "1 North St"), (2, "2 South St"))
            ]
        )
        manager = self._portal_user("acme", "Acme Manager", parent_id=company.id)
        for branch in branches:
            self.new_service(company, self.plan_20, address_id=branch.id)
        self.new_service(company, self.plan_50, address_id=branches[1].id)
        self.assertEqual(manager.partner_id.commercial_partner_id, company)
        self.authenticate("acme", "acme")
        body = self.url_open("/my/services").text
        self.assertIn("o_wisp_enterprise_summary", body)
        self.assertEqual(body.count("o_wisp_address_row"), 2)
        self.assertIn("1 North St", body)
        self.assertEqual(body.count("o_wisp_service_card"), 3)
        self.assertNotIn(self.home.name, body)

    def test_queries_constant_in_number_of_services(self):
        """The dashboard data costs the same queries for 2 services as for 8."""
        Service = self.env["wisp.service"].with_user(self.alice_user)
        domain = [("commercial_partner_id", "=", self.alice.id), ("state", "!=", "terminated")]
        today = fields.Date.context_today(self.home)

        def add_services(count):
            for index in range(count):
                plan = self.plan_50 if index % 2 else self.plan_20
                service = self.new_service(self.alice, plan)
                self.env["wisp.cpe.device"].create(
                    {
                        "name": f"CPE {service.name}",
                        "service_id": service.id,
                        "mac_address": f"AA:BB:CC:00:{index:02d}:{service.id % 256:02x}",
                    }
                )
                self.usage(service, 1.0 + index, today)
                self.env["wisp.service.installment"].create(
                    {"name": "Router", "service_id": service.id, "amount": 5.0}
                )

        def queries():
            services = Service.search(domain)
            services._portal_dashboard_data(self.alice)  # warm the ormcaches
            self.env.invalidate_all()
            services = Service.search(domain)
            # fixed per request, cached or not depending on what ran before
            self.assertTrue(services.env.user.company_id)
            before = self.env.cr.sql_log_count
            data = services._portal_dashboard_data(self.alice)
            return self.env.cr.sql_log_count - before, len(data["services"])

        add_services(1)
        few, count_few = queries()
        add_services(6)
        many, count_many = queries()
        self.assertEqual((count_few, count_many), (2, 8))
        self.assertEqual(few, many)

    def test_page_queries_constant(self):
        """The whole /my/services request too."""
        self.authenticate("alice", "alice")

        def page_queries():
            self.url_open("/my/services")  # warm caches
            before = self.env.cr.sql_log_count
            response = self.url_open("/my/services")
            self.assertEqual(response.status_code, 200)
            return self.env.cr.sql_log_count - before

        self.new_service(self.alice, self.plan_50)
        few = page_queries()
        self.assertGreater(few, 10, "the request's queries are counted")
        for _index in range(6):
            self.new_service(self.alice, self.plan_50)
        self.assertEqual(few, page_queries())

    def cap_warning_levels(self, body):
        return re.findall(r'o_wisp_cap_warning" data-level="(\w+)"', body)

    def test_cap_warnings_near_and_over(self):
        """The card and the top of the dashboard warn from 80 % of the data cap, and say
        the fair-use speed once it is reached; another subscriber's usage says nothing."""
        self.bob_home.sudo().plan_id = self.plan_20
        self.usage(self.bob_home, 150)
        self.authenticate("alice", "alice")
        usage = self.usage(self.home, 79)
        body = self.url_open("/my/services").text
        self.assertEqual(self.cap_warning_levels(body), [], "79 % of the cap: no warning")
        self.assertNotIn("o_wisp_cap_warnings", body)

        usage.download_mb = 85_000
        body = self.url_open("/my/services").text
        self.assertEqual(self.cap_warning_levels(body), ["near"])
        self.assertIn("You have used 85% of your 100 GB data allowance", body)
        self.assertRegex(body, rf'o_wisp_cap_warned" data-service-id="{self.home.id}"')

        usage.download_mb = 100_000
        body = self.url_open("/my/services").text
        self.assertEqual(self.cap_warning_levels(body), ["over"])
        self.assertIn("You have used your 100 GB data allowance of this cycle.", body)
        self.assertIn("Your speed is reduced to 2 Mbit/s", body)
        self.assertNotIn(f'data-service-id="{self.bob_home.id}"', body)
        page = self.url_open(f"/my/services/{self.home.id}").text
        self.assertEqual(self.cap_warning_levels(page), ["over"])

    def test_prices_as_the_invoice_charges_them(self):
        """Plan prices carry the product's taxes mapped by the subscriber's fiscal
        position, as the billing run's invoice does; before tax when the company says so."""
        tax = self.env["account.tax"].create(
            {
                "name": "Portal VAT 10",
                "amount": 10.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        (self.plan_20 | self.plan_50).taxes_id = tax
        Service = self.env["wisp.service"]

        def shown(plan):
            data = Service.browse(self.home.ids)._portal_dashboard_data(self.alice)
            service = data["services"][0]
            if plan == self.plan_20:
                return service["plan"]["price"]
            return next(p["price"] for p in service["upsell"] if p["id"] == plan.id)

        self.assertEqual(self.company.wisp_portal_price_tax, "tax_included")
        self.assertAlmostEqual(shown(self.plan_20), 33.0)
        self.assertAlmostEqual(shown(self.plan_50), 66.0)
        # the next cycle's invoice charges the shown price for a whole cycle
        invoice = self.env["wisp.billing.run"]._bill_subscribers(
            self.alice, self.alice.wisp_next_billing_date
        )
        self.assertAlmostEqual(invoice.amount_total, shown(self.plan_20))
        self.authenticate("alice", "alice")
        body = self.url_open("/my/services").text
        self.assertIn("incl. tax", body)
        self.assertRegex(
            body, r'o_wisp_service_price">\s*\S+\s*<span class="oe_currency_value">33.00<'
        )
        self.assertIn("66.00", body)

        # a fiscal position without taxes (e.g. an exempt customer): no tax, as invoiced
        exempt = self.env["account.fiscal.position"].create(
            {"name": "Portal Exempt", "company_id": self.company.id}
        )
        self.alice.property_account_position_id = exempt
        self.assertAlmostEqual(shown(self.plan_20), 30.0)

        self.alice.property_account_position_id = False
        self.company.wisp_portal_price_tax = "tax_excluded"
        self.assertAlmostEqual(shown(self.plan_20), 30.0)
        body = self.url_open("/my/services").text
        self.assertIn("excl. tax", body)
        self.assertRegex(
            body, r'o_wisp_service_price">\s*\S+\s*<span class="oe_currency_value">30.00<'
        )
