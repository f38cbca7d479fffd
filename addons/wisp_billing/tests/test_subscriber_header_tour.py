from odoo.tests import HttpCase, tagged

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestSubscriberHeaderTour(WispBillingCase, HttpCase):
    """The billing clerk's quick actions on the subscriber header, in the browser."""

    def test_change_plan_then_register_payment(self):
        service = self.new_service()  # activated today: its first days invoiced at once
        invoice = self.invoices()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.start_tour(
            f"/odoo/res.partner/{self.subscriber.id}",
            "wisp_billing_subscriber_header",
            login=self.billing_user.login,
        )
        self.assertEqual(service.plan_id, self.plan_62)
        self.assertTrue(service.billing_adjustment_ids, "the change was prorated")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
