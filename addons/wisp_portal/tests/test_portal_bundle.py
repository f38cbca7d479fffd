from freezegun import freeze_time

from odoo import Command, fields
from odoo.addons.wisp_subscriber.tests.common import make_plan
from odoo.tests import tagged

from .common import WispPortalCase

# the price of a service card, e.g. PRICE_RE % "24.00"
PRICE_RE = r'o_wisp_service_price">\s*\S+\s*<span class="oe_currency_value">%s<'


@tagged("post_install", "-at_install")
# midday: "today" is the same date in UTC and in the subscriber's time zone
@freeze_time("2026-11-18 12:00:00", tick=True)
class TestPortalBundle(WispPortalCase):
    """A bundled service's price on the portal, and its plan-change preview, are what
    the invoice charges: its share of the bundle, and the bundle's break."""

    def setUp(self):
        super().setUp()
        plan_tv = make_plan(
            self.env, "Portal TV", 10.0, taxes_id=[], company_id=False, service_type="iptv"
        )
        # 30 + 10 alone, 32 together: shares 24 and 8
        bundle = self.env["wisp.bundle"].create(
            {"name": "Duo", "price": 32.0, "plan_ids": [Command.set((self.plan_20 | plan_tv).ids)]}
        )
        sale = self.env["wisp.service.bundle"].create(
            {"bundle_id": bundle.id, "partner_id": self.alice.id}
        )
        services = sale.service_ids
        services.write({"site_id": self.site.id})
        services.action_confirm()
        services.action_activate()
        self.internet = services.filtered(lambda s: s.service_type == "internet")

    def next_invoice(self):
        return self.env["wisp.billing.run"]._bill_subscribers(
            self.alice, self.alice.wisp_next_billing_date
        )

    def test_service_card_shows_its_share(self):
        data = self.internet._portal_dashboard_data(self.alice)
        card = data["services"][0]
        self.assertAlmostEqual(card["plan"]["price"], 24.0)
        self.assertAlmostEqual(card["price"], 24.0)
        line = self.next_invoice().invoice_line_ids.filtered(
            lambda line: line.wisp_service_id == self.internet
        )
        self.assertAlmostEqual(line.price_subtotal, card["price"])
        self.authenticate("alice", "alice")
        self.assertRegex(self.url_open("/my/services").text, PRICE_RE % "24.00")

    def test_plan_change_out_of_the_bundle_invoices_the_preview(self):
        today = fields.Date.context_today(self.internet)
        preview = self.internet._portal_plan_change_preview(self.alice, self.plan_50, today)
        self.authenticate("alice", "alice")
        response = self.post_plan_change(self.internet, self.plan_50)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.internet.sudo().wisp_bundle_sale_id.state, "broken")
        # 13 days of 30: the shares credited (24, 8), the new plan and TV alone charged
        self.assertAlmostEqual(preview["credit"], 10.4 + 3.47)
        self.assertAlmostEqual(preview["charge"], 26.0 + 4.33)
        # the next cycle at the plans' own prices (60 + 10) and the change as previewed
        self.assertAlmostEqual(self.next_invoice().amount_total, 70.0 + preview["net"])
