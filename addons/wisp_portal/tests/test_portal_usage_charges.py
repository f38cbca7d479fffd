from datetime import timedelta

from odoo import fields
from odoo.addons.wisp_subscriber.tests.common import overage_plan
from odoo.tests import tagged

from .common import WispPortalCase


@tagged("post_install", "-at_install")
class TestPortalUsageCharges(WispPortalCase):
    """End to end: readings -> ledger (network) -> the portal's running amount ->
    the invoice line (billing), which equals what the portal said."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flex = overage_plan(cls.env, taxes_id=[], company_id=False)

    def setUp(self):
        super().setUp()
        self.home = self.new_service(self.alice, self.flex)
        self.today = fields.Date.context_today(self.home)

    def reading(self, service, megabytes, day=None):
        """A reading as the usage cron records it, with its cap check."""
        day = day or self.today
        self.env["wisp.service.usage"].create(
            {"service_id": service.id, "date": day, "download_mb": megabytes}
        )
        service._check_data_caps(day)

    def overage_of(self, partner, user):
        services = self.env["wisp.service"].with_user(user).search([])
        data = services._portal_dashboard_data(partner)
        return {values["id"]: values["overage"] for values in data["services"]}

    def test_running_amount_then_the_same_on_the_invoice(self):
        self.reading(self.home, 100_000.0)
        overage = self.overage_of(self.alice, self.alice_user)[self.home.id]
        self.assertEqual((overage["over_gb"], overage["amount"]), (0.0, 0.0), "at the cap")
        self.reading(self.home, 3_200.0, self.today + timedelta(days=1))
        overage = self.overage_of(self.alice, self.alice_user)[self.home.id]
        period = self.env["wisp.service.usage.period"].search([("service_id", "=", self.home.id)])
        self.assertEqual((overage["over_gb"], overage["quantity"]), (3.2, 4.0))
        self.assertEqual(period.overage_amount, 8.0, "4 started GB at 2.00, before tax")
        # shown with the overage product's taxes, as every portal price (tax included)
        taxes = self.env.ref("wisp_billing.product_data_overage").taxes_id
        self.assertTrue(taxes, "the test company's default sales tax")
        self.assertGreater(overage["amount"], 8.0)

        self.authenticate("alice", "alice")
        body = self.url_open(f"/my/services/{self.home.id}").text
        self.assertIn("3.20 GB over", body)
        self.assertIn(f'o_wisp_overage" data-amount="{overage["amount"]}"', body)
        self.assertIn("each GB past it is charged", body)
        self.assertNotIn("Your speed is reduced", body)

        next_cycle = period.date_end + timedelta(days=1)
        self.env["wisp.service"]._cron_reset_usage_cycles(today=next_cycle)
        self.assertEqual(period.state, "closed")
        invoices = self.env["wisp.billing.run"]._bill_subscribers(self.alice, next_cycle)
        line = invoices.invoice_line_ids.filtered("wisp_usage_period_id")
        self.assertEqual(
            line.price_total, overage["amount"], "the invoice says what the portal said"
        )
        self.assertEqual(line.price_subtotal, period.overage_amount)
        self.assertEqual(line.quantity, overage["quantity"])
        self.assertEqual(period.state, "invoiced")

    def test_nobody_else_sees_the_running_amount(self):
        self.reading(self.home, 105_000.0)
        bob_home = self.new_service(self.bob, self.plan_50)
        self.assertEqual(self.overage_of(self.bob, self.bob_user), {bob_home.id: None})
        self.authenticate("bob", "bob")
        self.assertNotIn("o_wisp_overage", self.url_open("/my/services").text)
        response = self.url_open(f"/my/services/{self.home.id}")
        self.assertNotIn("o_wisp_overage", response.text)
