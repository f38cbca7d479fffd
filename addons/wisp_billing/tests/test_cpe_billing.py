from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.wisp_subscriber.tests.cpe_stock import CpeStockMixin
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import WispBillingCase


@tagged("post_install", "-at_install")
class TestCpeBilling(CpeStockMixin, WispBillingCase):
    """Devices from stock in billing: a rented one's monthly fee rides with the service,
    a sold one's price is paid in installments, and a rented one not returned within
    the company's period (30 days) is invoiced at its sales price, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_cpe_stock(rental_price=6.0, device_price=120.0)
        cls.company.wisp_cpe_return_days = 30
        cls.support_user = new_test_user(
            cls.env, login="t_cpe_support", groups="wisp_subscriber.group_wisp_support"
        )

    def installed(self, serial, ownership="rented", day="2026-04-01"):
        """A service activated on ``day`` by installing serial ``serial`` from the van."""
        self.put_in_stock(serial)
        with freeze_time(day):
            service = self.new_service(state="confirmed")
            device = self.complete_cpe(self.schedule_cpe(service, ownership=ownership), serial)
        self.assertEqual(service.state, "active")
        return service, device

    def terminated(self, serial, day="2026-05-01"):
        service, device = self.installed(serial)
        with freeze_time(day):
            service.action_terminate()
        self.assertEqual(device.stock_state, "to_return")
        return service, device

    def run_cron(self, day):
        with freeze_time(day):
            self.env["wisp.cpe.device"]._cron_invoice_unreturned()

    def lost_invoices(self):
        """Invoices charging the device itself (a sold one's installments are not)."""
        return self.invoices().filtered(
            lambda m: m.invoice_line_ids.filtered(
                lambda line: line.product_id == self.cpe_model and not line.wisp_installment_id
            )
        )

    # ------------------------------------------------------------------ recurring
    def test_rented_device_bills_its_monthly_fee_with_the_service(self):
        service, _device = self.installed("SN-R-1")
        self.assertEqual(
            self.product_totals(self.invoices()), {self.plan_31: 31.0, self.rental_fee: 6.0}
        )
        self.assertEqual(
            self.product_totals(self.bill_month(5)), {self.plan_31: 31.0, self.rental_fee: 6.0}
        )
        self.assertIn(self.rental_fee, service.addon_ids)

    def test_sold_device_is_paid_in_installments(self):
        service, device = self.installed("SN-S-1", ownership="sold")
        installment = service.installment_ids
        self.assertEqual((installment.amount, installment.installment_count), (10.0, 12))
        self.assertEqual(installment.name, "Test hAP ax2, serial SN-S-1")
        may = self.bill_month(5)
        self.assertNotIn(self.rental_fee, self.product_totals(may))
        lines = (self.invoices()).invoice_line_ids.filtered("wisp_installment_id")
        self.assertTrue(lines)
        self.assertEqual(set(lines.mapped("price_unit")), {10.0})
        self.assertEqual(installment.paid_count, len(lines))
        with freeze_time("2026-05-16"):
            service.action_terminate()
        self.assertFalse(device.return_picking_id)
        self.run_cron("2026-08-01")
        self.assertFalse(self.lost_invoices(), "a sold device is never invoiced as lost")

    # ------------------------------------------------------------------ not returned
    def test_device_returned_in_time_is_not_invoiced(self):
        _service, device = self.terminated("SN-B-1")
        with freeze_time("2026-05-20"):
            self.validate(device.return_picking_id)
        self.assertEqual(device.stock_state, "returned")
        self.run_cron("2026-06-15")
        self.assertFalse(self.lost_invoices())
        self.assertFalse(device.wisp_lost_invoice_id)

    def test_device_never_returned_is_invoiced_once_at_its_price(self):
        _service, device = self.terminated("SN-N-1")
        self.run_cron("2026-05-30")  # 29 days: still time
        self.assertFalse(self.lost_invoices())
        self.run_cron("2026-05-31")  # 30 days
        invoice = device.wisp_lost_invoice_id
        self.assertEqual(self.lost_invoices(), invoice)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 120.0)
        self.assertEqual(invoice.partner_id, self.subscriber)
        self.assertIn("SN-N-1", invoice.invoice_line_ids.name)
        self.assertEqual(device.stock_state, "lost")
        self.run_cron("2026-06-01")
        self.run_cron("2026-07-01")
        self.assertEqual(self.lost_invoices(), invoice, "invoiced once")
        self.assertEqual(device.return_picking_id.state, "assigned", "it may still come back")

    def test_device_back_after_it_was_invoiced_is_credited(self):
        _service, device = self.terminated("SN-C-1")
        self.run_cron("2026-06-01")
        invoice = device.wisp_lost_invoice_id
        with freeze_time("2026-06-10"):
            self.validate(device.return_picking_id)
        refund = device.wisp_lost_refund_id
        self.assertEqual(device.stock_state, "returned")
        self.assertEqual((refund.move_type, refund.state), ("out_refund", "posted"))
        self.assertEqual(refund.amount_total, 120.0)
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(invoice.payment_state, "reversed", "unpaid: reconciled with the credit")

    def test_device_back_after_its_invoice_was_paid_leaves_a_credit(self):
        _service, device = self.terminated("SN-P-1")
        self.run_cron("2026-06-01")
        invoice = device.wisp_lost_invoice_id
        self.pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        with freeze_time("2026-06-10"):
            self.validate(device.return_picking_id)
        refund = device.wisp_lost_refund_id
        self.assertEqual((refund.state, refund.amount_total), ("posted", 120.0))
        self.assertEqual(refund.amount_residual, 120.0, "the credit waits in the wallet")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    @mute_logger("odoo.addons.wisp_subscriber.tools.each_alone")
    def test_one_failing_device_does_not_stop_the_others(self):
        _s1, bad = self.terminated("SN-F-1")
        _s2, good = self.terminated("SN-F-2")
        original = type(bad)._wisp_invoice_lost

        def fail_for_bad(device):
            if device == bad:
                raise ValueError("no income account")
            return original(device)

        with patch.object(type(bad), "_wisp_invoice_lost", fail_for_bad):
            self.run_cron("2026-06-01")
        self.assertEqual(good.stock_state, "lost")
        self.assertTrue(good.wisp_lost_invoice_id)
        self.assertEqual((bad.stock_state, bad.wisp_lost_invoice_id.id), ("to_return", False))
        self.assertIn("no income account", bad.activity_ids.note)
        self.run_cron("2026-06-02")
        self.assertEqual(bad.stock_state, "lost", "retried on the next run")

    # ------------------------------------------------------------------ declared lost
    def test_staff_declare_a_rented_device_lost_at_once(self):
        service, device = self.installed("SN-L-1")
        self.bill_month(5)
        with freeze_time("2026-05-16"):
            device.with_user(self.billing_user).action_wisp_mark_lost()
        self.assertEqual(device.stock_state, "lost")
        self.assertEqual(device.wisp_lost_invoice_id.amount_total, 120.0)
        self.assertNotIn(self.rental_fee, service.addon_ids)
        # the fee stops from the loss: May 16-31 credited on the next invoice
        june = self.bill_month(6)
        self.assertEqual(self.product_totals(june), {self.plan_31: 31.0, self.rental_fee: -3.1})
        with self.assertRaisesRegex(UserError, "can be declared lost"):
            device.action_wisp_mark_lost()

    def test_only_billing_or_stock_managers_declare_a_device_lost(self):
        _service, device = self.installed("SN-L-2")
        for user in (self.support_user, self.van_installer, self.stock_clerk):
            with self.assertRaises(AccessError, msg=user.login):
                device.with_user(user).action_wisp_mark_lost()
        with self.assertRaises(AccessError):
            device.with_user(self.billing_user).write({"wisp_lost_invoice_id": False})
        self.assertEqual(device.stock_state, "installed")
        self.assertFalse(self.lost_invoices())
