from odoo import api, fields, models
from odoo.exceptions import UserError

CHECKOUT_LIMIT_PARAM = "wisp_portal.checkout_limit_per_hour"
DEFAULT_CHECKOUT_LIMIT = 5
CHECKOUT_LOCK = "wisp_portal.checkout"


class CheckoutLimitError(UserError):
    """Too many unpaid checkouts from one client (the hotspot page answers 429)."""


class WispVoucherPurchase(models.Model):
    _inherit = "wisp.voucher.purchase"

    wisp_client_key = fields.Char(
        string="Client",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Address (IPv6: /64 network) the checkout came from on the hotspot page.",
    )

    @api.model
    def _wisp_field_write_groups(self):
        return {**super()._wisp_field_write_groups(), "wisp_client_key": ()}

    @api.model
    def _wisp_checkout(
        self, plan, client_key, *, partner=None, name=None, email=None, company=None
    ):
        """A checkout of the hotspot page (:meth:`_wisp_create_purchase`) from ``client_key``.

        Each one makes a posted invoice, and a contact for an anonymous buyer: a client may
        leave at most ``wisp_portal.checkout_limit_per_hour`` (system parameter, default
        ``DEFAULT_CHECKOUT_LIMIT``, 0: no limit) of them unpaid within an hour. Those it
        abandons are cancelled by wisp_billing's abandoned-checkout cron.
        """
        param = self.env["ir.config_parameter"].sudo().get_param(CHECKOUT_LIMIT_PARAM)
        try:
            limit = int(param) if param else DEFAULT_CHECKOUT_LIMIT
        except ValueError:
            limit = DEFAULT_CHECKOUT_LIMIT
        if limit > 0:
            # one checkout of a client at a time, counted on a fresh cursor that sees the
            # ones committed by the client's requests before this one
            self.env.cr.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"{CHECKOUT_LOCK}:{client_key}"],
            )
            with self.env.registry.cursor() as cr:
                cr.execute(
                    """
                    SELECT count(*) FROM wisp_voucher_purchase
                     WHERE wisp_client_key = %s AND state = 'draft'
                       AND create_date > (now() at time zone 'UTC') - interval '1 hour'
                    """,
                    [client_key],
                )
                if cr.fetchone()[0] >= limit:
                    raise CheckoutLimitError(
                        self.env._(
                            "Too many unpaid purchases from your connection: pay the one "
                            "you started, or try again in an hour."
                        )
                    )
        purchase = self._wisp_create_purchase(
            plan, partner=partner, name=name, email=email, company=company
        )
        purchase.sudo().wisp_client_key = client_key
        return purchase
