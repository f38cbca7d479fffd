from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, check_groups
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone
from odoo.exceptions import UserError

# Who may declare a device lost at once (it invoices the subscriber).
LOST_GROUPS = (BILLING, "stock.group_stock_manager")


class WispCpeDevice(models.Model):
    """A rented device that does not come back is invoiced at its sales price, once;
    if it comes back after all, the invoice is credited."""

    _inherit = "wisp.cpe.device"

    wisp_lost_invoice_id = fields.Many2one(
        "account.move",
        string="Lost Device Invoice",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    wisp_lost_refund_id = fields.Many2one(
        "account.move",
        string="Returned Device Credit Note",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )

    @api.model
    def _wisp_field_write_groups(self):
        return {
            **super()._wisp_field_write_groups(),
            **dict.fromkeys(("wisp_lost_invoice_id", "wisp_lost_refund_id"), ()),
        }

    def action_wisp_mark_lost(self):
        """Staff declare a rented device lost: it is invoiced now, without waiting
        for the return period."""
        check_groups(self.env, LOST_GROUPS)
        self.check_access("read")
        todo = self.sudo().filtered(lambda d: d._wisp_can_be_lost())
        if todo != self.sudo():
            raise UserError(
                self.env._(
                    "Only a rented device from stock, at the subscriber's or to return, "
                    "can be declared lost."
                )
            )
        for device in todo:
            device._wisp_invoice_lost()
        return True

    def _wisp_can_be_lost(self):
        self.ensure_one()
        return (
            self.ownership == "rented"
            and self.stock_state in ("installed", "to_return")
            and not self.wisp_lost_invoice_id
        )

    def _wisp_invoice_lost(self):
        """Invoice this device to its subscriber at its sales price and mark it lost
        (once: a device lost or invoiced is skipped). Its rental fee stops; a return
        picking stays open, so it may still come back (then a credit note)."""
        self.ensure_one()
        device = self.sudo()
        if not device._wisp_can_be_lost():
            return device.wisp_lost_invoice_id
        product = device.product_id
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(device.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": device.service_id.commercial_partner_id.id,
                    "invoice_origin": device.service_id.name,
                    "ref": self.env._("Device not returned"),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self.env._(
                                    "%(model)s not returned, serial %(serial)s (%(service)s)",
                                    model=product.name,
                                    serial=device.serial_number,
                                    service=device.service_id.name,
                                ),
                                "quantity": 1,
                                "price_unit": product.lst_price,
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        device.write({"stock_state": "lost", "wisp_lost_invoice_id": invoice.id})
        device._wisp_stop_rental()
        device.message_post(
            body=self.env._("Device invoiced as lost: %(invoice)s.", invoice=invoice.name)
        )
        return invoice

    def _wisp_returned(self):
        # Back after it was invoiced: the invoice is credited (reconciled with it when
        # still unpaid, else the credit stays in the subscriber's wallet).
        credited = self.sudo().filtered(
            lambda d: d.wisp_lost_invoice_id.state == "posted" and not d.wisp_lost_refund_id
        )
        res = super()._wisp_returned()
        for device in credited:
            invoice = device.wisp_lost_invoice_id
            refund = invoice._reverse_moves(
                [{"ref": self.env._("Device returned: %(serial)s", serial=device.serial_number)}],
                cancel=invoice.payment_state == "not_paid",
            )
            if refund.state == "draft":
                refund.action_post()
            device.write({"wisp_lost_refund_id": refund.id})
            device.message_post(
                body=self.env._("Device returned: %(refund)s credits it.", refund=refund.name)
            )
        return res

    @api.model
    def _cron_invoice_unreturned(self):
        """Invoice each rented device not back within its company's return period,
        each alone (one failing does not stop the others) and once."""
        today = fields.Date.context_today(self)
        due = (
            self.sudo()
            .search([("stock_state", "=", "to_return"), ("wisp_lost_invoice_id", "=", False)])
            .filtered(
                lambda d: (
                    d.return_requested_date
                    and d.return_requested_date + timedelta(days=d.company_id.wisp_cpe_return_days)
                    <= today
                )
            )
        )
        each_alone(due, lambda d: d._wisp_invoice_lost(), self.env._("Invoicing a lost device"))
