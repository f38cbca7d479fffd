from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.wisp_subscriber.tests import common as subscriber_common
from odoo.addons.wisp_subscriber.tests.common import make_plan, make_service
from odoo.tests import new_test_user

# billed on the 1st, due after 10 days, reminded 3 days before, suspended 5 days after
BILLING_SETTINGS = {
    "wisp_billing_day": 1,
    "wisp_payment_days": 10,
    "wisp_reminder_days": 3,
    "wisp_grace_days": 5,
    "wisp_overdue_action": "suspend",
}


def make_quarterly_plan(env, name="Quarterly", price=90.0):
    """An untaxed internet plan billed every three months."""
    return make_plan(
        env,
        name,
        price,
        taxes_id=[],
        billing_period="quarterly",
        download_kbps=10000,
        upload_kbps=2000,
    )


def make_prepaid_plan(env, name="Hotspot 1 day", duration=1, price=5.0, unit="days"):
    """An untaxed prepaid plan at 5/1 Mbit/s that lasts ``duration`` ``unit``."""
    return subscriber_common.make_prepaid_plan(env, name, duration, price, unit, taxes_id=[])


def code_mail(env, purchase):
    """The e-mail that took the access code of ``purchase`` to its buyer."""
    return (
        env["mail.mail"]
        .sudo()
        .search(
            [
                ("recipient_ids", "in", purchase.partner_id.ids),
                ("subject", "ilike", "access code"),
            ]
        )
    )


class WispBillingCase(AccountTestInvoicingCommon):
    """A company with a chart of accounts, untaxed plans and a subscriber
    billed on the 1st, in advance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the accountant of AccountTestInvoicingCommon also runs the WISP
        cls.env.user.sudo().group_ids = [
            Command.link(cls.env.ref("wisp_subscriber.group_wisp_manager").id)
        ]
        # untaxed: a day of Home 31 costs 1.00 in a 31-day cycle
        cls.plan_31 = make_plan(
            cls.env, "Home 31", 31.0, taxes_id=[], download_kbps=10000, upload_kbps=2000
        )
        cls.plan_62 = make_plan(
            cls.env, "Home 62", 62.0, taxes_id=[], download_kbps=50000, upload_kbps=10000
        )
        cls.plan_tv = make_plan(cls.env, "TV", 10.0, taxes_id=[], service_type="iptv")
        cls.addon_ip = cls.env["product.product"].create(
            {
                "type": "service",
                "is_wisp_addon": True,
                "taxes_id": [],
                "name": "Static IP",
                "list_price": 5.0,
            }
        )
        cls.company = cls.env.company
        cls.company.write(BILLING_SETTINGS)
        cls.subscriber = cls.env["res.partner"].create(
            {
                "name": "Billing Subscriber",
                "email": "billing.subscriber@example.com",
                "wisp_billing_mode": "advance",
                "property_product_pricelist": False,
            }
        )
        cls.billing_user = new_test_user(
            cls.env,
            login="t_billing_clerk",
            groups="wisp_subscriber.group_wisp_billing,account.group_account_invoice",
        )

    def new_service(self, partner=None, plan=None, state="active", **vals):
        """A service of ``partner`` (the subscriber) on ``plan`` (Home 31) brought to
        ``state``: by default activated today (as frozen by the caller)."""
        return make_service(self, partner or self.subscriber, plan or self.plan_31, state, **vals)

    def invoices(self, partner=None):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", (partner or self.subscriber).id),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            order="id",
        )

    def bill(self, day, partner=None):
        return self.env["wisp.billing.run"]._bill_subscribers(partner or self.subscriber, day)

    def bill_month(self, month, year=2026):
        """Bill the subscriber on the 1st of ``month``, that day frozen."""
        day = D(year, month, 1)
        with freeze_time(day):
            return self.bill(day)

    def product_totals(self, invoice):
        """``{product: tax-included total}`` of the invoice's lines."""
        totals = {}
        for line in invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            totals[line.product_id] = round(totals.get(line.product_id, 0.0) + line.price_total, 2)
        return totals

    def pay(self, invoice, amount=None):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount or invoice.amount_residual})
            ._create_payments()
        )


D = date
