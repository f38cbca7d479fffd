from datetime import date

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
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
    return env["product.product"].create(
        {
            "name": name,
            "type": "service",
            "is_wisp_plan": True,
            "taxes_id": [],
            "list_price": price,
            "billing_period": "quarterly",
            "download_kbps": 10000,
            "upload_kbps": 2000,
        }
    )


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
        Product = cls.env["product.product"]
        plan_vals = {
            "type": "service",
            "is_wisp_plan": True,
            "taxes_id": [],
            "service_type": "internet",
        }
        cls.plan_31 = Product.create(
            {
                **plan_vals,
                "name": "Home 31",
                "list_price": 31.0,
                "download_kbps": 10000,
                "upload_kbps": 2000,
            }
        )
        cls.plan_62 = Product.create(
            {
                **plan_vals,
                "name": "Home 62",
                "list_price": 62.0,
                "download_kbps": 50000,
                "upload_kbps": 10000,
            }
        )
        cls.plan_tv = Product.create(
            {
                "type": "service",
                "is_wisp_plan": True,
                "taxes_id": [],
                "service_type": "iptv",
                "name": "TV",
                "list_price": 10.0,
            }
        )
        cls.addon_ip = Product.create(
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

    def new_service(self, plan=None, partner=None, activate=True, **vals):
        """A confirmed service, activated today (as frozen by the caller)."""
        service = self.env["wisp.service"].create(
            {
                "partner_id": (partner or self.subscriber).id,
                "plan_id": (plan or self.plan_31).id,
                "service_type": (plan or self.plan_31).service_type,
                **vals,
            }
        )
        service.action_confirm()
        if activate:
            service.action_activate()
        return service

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

    def pay(self, invoice, amount=None):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount or invoice.amount_residual})
            ._create_payments()
        )


D = date
