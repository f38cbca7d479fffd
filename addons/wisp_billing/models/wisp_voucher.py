from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import MANAGER
from odoo.exceptions import AccessError, LockError, UserError

from ..tools.codes import has_valid_check, normalize_code, random_symbols, strip_code
from .wisp_voucher_batch import VOUCHER_CODE_LENGTH

VOUCHER_STATES = [
    ("new", "In Stock"),
    ("assigned", "Assigned"),
    ("sold", "Sold"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("void", "Void"),
]
REDEEMABLE_STATES = ("new", "assigned", "sold")


class WispVoucher(models.Model):
    """One access code: sold (by the WISP or a reseller), then redeemed once
    into a prepaid service for the plan's duration.

    Redemption rules (:meth:`_redeem`):

    - a logged-in subscriber's code extends its prepaid service of the same
      plan (from its current expiry, or from today when already expired:
      codes stack); a code for another plan than the chosen service's is
      refused with a message naming both plans (no silent plan switch);
      without a matching service a new prepaid service is created and
      activated;
    - an anonymous code creates a hotspot subscriber and service with a
      generated login and password, returned to the caller;
    - a code is redeemed at most once: its row is locked ``FOR UPDATE
      NOWAIT`` and its state checked under the lock;
    - wrong codes are refused with a clear message (a typo by the check
      character, before any lookup) and logged per client key; after
      ``wisp_voucher_max_failures`` failures within
      ``wisp_voucher_failure_minutes`` the client is refused until the
      failures age out of that window.
    """

    _name = "wisp.voucher"
    _inherit = ["wisp.protected.fields.mixin"]
    _description = "Voucher"
    _order = "id desc"
    _rec_name = "code"

    code = fields.Char(required=True, readonly=True, copy=False)
    batch_id = fields.Many2one("wisp.voucher.batch", required=True, index=True, ondelete="cascade")
    # read through the batch: fewer foreign keys to check per inserted row
    company_id = fields.Many2one(related="batch_id.company_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one(related="batch_id.plan_id")
    price = fields.Monetary(related="batch_id.price")
    use_by = fields.Date(readonly=True, index=True)
    state = fields.Selection(
        VOUCHER_STATES, default="new", required=True, readonly=True, index=True
    )
    reseller_id = fields.Many2one("res.partner", readonly=True, index=True)
    reseller_mode = fields.Selection(
        [("consignment", "Consignment"), ("prepaid", "Prepaid")], readonly=True
    )
    assigned_date = fields.Datetime(readonly=True)
    assignment_move_id = fields.Many2one(
        "account.move", string="Prepaid Stock Invoice", readonly=True
    )
    sold_date = fields.Datetime(readonly=True)
    sold_price = fields.Monetary(readonly=True)
    sale_id = fields.Many2one("wisp.voucher.sale", readonly=True)
    redeemed_partner_id = fields.Many2one("res.partner", string="Redeemed By", readonly=True)
    service_id = fields.Many2one("wisp.service", readonly=True, index="btree_not_null")
    activation_datetime = fields.Datetime(string="Activated On", readonly=True)
    expiry_datetime = fields.Datetime(string="Expires On", readonly=True)

    _code_uniq = models.Constraint("UNIQUE(code)", "Voucher codes are unique.")

    # -------------------------------------------------------------------------
    # Stock and sales
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_field_write_groups(self):
        # A code's plan, life and sale are written by its actions (sell, void, assign, redeem)
        # as superuser after their checks: billing staff, who may write vouchers for those
        # buttons, cannot rewrite them over RPC.
        protected = dict.fromkeys(
            (
                "batch_id",
                "code",
                "use_by",
                "state",
                "reseller_id",
                "reseller_mode",
                "assigned_date",
                "assignment_move_id",
                "sold_date",
                "sold_price",
                "sale_id",
                "redeemed_partner_id",
                "service_id",
                "activation_datetime",
                "expiry_datetime",
            ),
            (MANAGER,),
        )
        return {**super()._wisp_field_write_groups(), **protected}

    def action_void(self):
        self.check_access("write")
        if self.filtered(lambda v: v.state not in ("new", "assigned")):
            raise UserError(self.env._("Only vouchers in stock can be voided."))
        self.sudo().state = "void"
        return True

    def _wisp_assign(self, reseller, mode):
        """Hand these cards to ``reseller``: on consignment (invoiced when sold)
        or prepaid (invoiced now, at the wholesale price)."""
        if not reseller.wisp_is_reseller:
            raise UserError(self.env._("%(p)s is not a reseller.", p=reseller.display_name))
        if self.filtered(lambda v: v.state != "new"):
            raise UserError(self.env._("Only vouchers in stock can be assigned."))
        self.sudo().write(
            {
                "state": "assigned",
                "reseller_id": reseller.id,
                "reseller_mode": mode,
                "assigned_date": fields.Datetime.now(),
            }
        )
        if mode == "prepaid" and self:
            move = self._wisp_invoice_reseller(
                reseller, [(v.plan_id, v._wisp_wholesale_price()) for v in self]
            )
            self.sudo().assignment_move_id = move
        return True

    def _wisp_wholesale_price(self):
        self.ensure_one()
        batch = self.batch_id
        if batch.wholesale_price:
            return batch.wholesale_price
        commission = (self.reseller_id or batch.reseller_id).wisp_reseller_commission
        return self.currency_id.round(batch.price * (1 - commission / 100.0))

    @api.model
    def _wisp_invoice_reseller(self, reseller, items, ref=None):
        """A posted customer invoice to ``reseller``: one line per (plan, unit
        price) of ``items`` [(plan, unit price)]."""
        grouped = {}
        for plan, unit in items:
            grouped[plan, unit] = grouped.get((plan, unit), 0) + 1
        move = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": reseller.id,
                    "ref": ref or self.env._("Vouchers"),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": plan.id,
                                "name": self.env._("Vouchers: %(plan)s", plan=plan.name),
                                "quantity": quantity,
                                "price_unit": unit,
                            }
                        )
                        for (plan, unit), quantity in grouped.items()
                    ],
                }
            )
        )
        move.action_post()
        return move

    def action_sell(self, price=None):
        """Record the sale of these cards to end customers (reseller portal or
        staff). A reseller may only sell its own assigned cards: it reads them
        through its record rule but never writes them directly.

        ``price`` is what the customer paid for each card, by default the retail
        price printed on it. It may be lower (a card given away, a discount taken
        from the seller's own commission) but never negative nor above the printed
        price: the sale price is the reseller's commission and its statements.
        """
        user = self.env.user
        is_staff = self.env.su or user.has_group("wisp_subscriber.group_wisp_billing")
        self.check_access("write" if is_staff else "read")
        if price is not None and (isinstance(price, bool) or not isinstance(price, int | float)):
            raise UserError(self.env._("The sale price must be an amount."))
        today = fields.Date.context_today(self)
        for voucher in self.sudo():
            if voucher.state not in ("new", "assigned"):
                raise UserError(
                    self.env._("Voucher %(code)s cannot be sold now.", code=voucher.code)
                )
            if not is_staff and voucher.reseller_id != user.commercial_partner_id:
                raise AccessError(self.env._("You can only sell your own vouchers."))
            if voucher.batch_id.sell_by and voucher.batch_id.sell_by < today:
                raise UserError(
                    self.env._("Voucher %(code)s is past its sell-by date.", code=voucher.code)
                )
            currency = voucher.currency_id
            if price is not None and (
                currency.compare_amounts(price, 0) < 0
                or currency.compare_amounts(price, voucher.price) > 0
            ):
                raise UserError(
                    self.env._(
                        "Voucher %(code)s sells for 0 up to its retail price %(retail)s, "
                        "not %(price)s.",
                        code=voucher.code,
                        retail=currency.format(voucher.price),
                        price=currency.format(price),
                    )
                )
        self.sudo()._wisp_record_sales(price)
        return True

    def _wisp_record_sales(self, price=None):
        """Mark sold and record one sale per card (what the reseller owes)."""
        now = fields.Datetime.now()
        sales = self.env["wisp.voucher.sale"].create(
            [
                {
                    "voucher_id": voucher.id,
                    "reseller_id": voucher.reseller_id.id,
                    "mode": voucher.reseller_mode or "direct",
                    "date": now,
                    "price": voucher.price if price is None else price,
                    "wholesale_amount": (
                        voucher._wisp_wholesale_price() if voucher.reseller_id else voucher.price
                    ),
                }
                for voucher in self
            ]
        )
        for voucher, sale in zip(self, sales, strict=True):
            voucher.write(
                {"state": "sold", "sold_date": now, "sold_price": sale.price, "sale_id": sale.id}
            )
        return sales

    # -------------------------------------------------------------------------
    # Redemption
    # -------------------------------------------------------------------------
    @api.model
    def _redeem(self, code, partner=None, service=None, client_key=None):
        """Redeem ``code``; see the class docstring for the rules.

        Returns a dict: voucher, service, partner, expiry_date, and for an
        anonymous redemption the hotspot ``login`` and ``password``.
        """
        Attempt = self.env["wisp.voucher.attempt"]
        Attempt._check_throttle(client_key, code)
        raw = strip_code(code)
        if len(raw) != VOUCHER_CODE_LENGTH or not has_valid_check(raw):
            Attempt._log(client_key, code, "typo")
            raise UserError(
                self.env._(
                    "This code is mistyped: a voucher code has 12 characters "
                    "(letters and digits 2-9, like ABCD-EFGH-JKLM); check it and try again."
                )
            )
        voucher = self.sudo()._lock_code(normalize_code(raw))
        if not voucher:
            Attempt._log(client_key, code, "unknown")
            raise UserError(self.env._("This code does not exist."))
        error = voucher._redeem_error()
        if error:
            Attempt._log(client_key, code, "refused")
            raise UserError(error)
        # all of the redemption or nothing, whatever the caller does with an error
        with self.env.cr.savepoint():
            result = voucher._redeem_locked(partner, service)
        Attempt._log(client_key, code, "success")
        return result

    def _lock_code(self, code):
        """The voucher ``code``, row-locked without waiting (empty when unknown)."""
        voucher = self.search([("code", "=", code)], limit=1)
        try:
            voucher.lock_for_update()
        except LockError:
            raise UserError(
                self.env._("This code is being redeemed right now; try again.")
            ) from None
        # re-read what the lock's holder may have changed before it committed
        voucher.invalidate_recordset()
        return voucher

    def _redeem_error(self):
        self.ensure_one()
        if self.state == "active" or (self.state == "expired" and self.activation_datetime):
            return self.env._("This code was already used.")
        if self.state == "expired" or (
            self.use_by and self.use_by < fields.Date.context_today(self)
        ):
            return self.env._("This code expired on %(date)s.", date=self.use_by)
        if self.state not in REDEEMABLE_STATES:
            return self.env._("This code was cancelled.")
        return None

    def _redeem_locked(self, partner, service):
        self.ensure_one()
        now = fields.Datetime.now()
        result = {"voucher": self}
        # sold for cash by the reseller without telling us: the redemption is
        # the proof of sale (recorded once the service step cannot refuse)
        record_sale = self.state == "assigned"
        if partner:
            account = partner.commercial_partner_id
            service = service.sudo() if service else self._find_service(account)
            if service:
                self._extend_service(service, account)
            else:
                service = self._new_service(account)
        else:
            login = f"hs-{random_symbols(8).lower()}"
            account = self.env["res.partner"].create(
                {
                    "name": self.env._("Hotspot %(login)s", login=login),
                    "wisp_anonymous_prepaid": True,
                }
            )
            service = self._new_service(account, login=login)
            result.update(login=service.login, password=service.network_password)
        if record_sale:
            self._wisp_record_sales()
        # A pass waiting for its first login has no end yet: the code's end is set when
        # the router sees that login (wisp.service._wisp_start_pass).
        self.write(
            {
                "state": "active",
                "redeemed_partner_id": account.id,
                "service_id": service.id,
                "activation_datetime": now,
                "expiry_datetime": service.expiry_datetime,
            }
        )
        if service.expiry_datetime:
            body = self.env._(
                "Voucher %(code)s redeemed: active until %(date)s.",
                code=self.code,
                date=fields.Datetime.to_string(service.expiry_datetime),
            )
        else:
            body = self.env._(
                "Voucher %(code)s redeemed: %(duration)s from the first login.",
                code=self.code,
                duration=self.plan_id.wisp_period_label,
            )
        service.message_post(body=body)
        result.update(
            partner=account,
            service=service,
            expiry_date=service.expiry_date,
            expiry_datetime=service.expiry_datetime,
            duration=self.plan_id.wisp_period_label,
        )
        return result

    def _find_service(self, account):
        return self.env["wisp.service"].search(
            [
                ("commercial_partner_id", "=", account.id),
                ("plan_id", "=", self.plan_id.id),
                ("state", "in", ("active", "suspended")),
            ],
            order="state, expiry_date desc",
            limit=1,
        )

    def _extend_service(self, service, account):
        if service.commercial_partner_id != account:
            raise UserError(self.env._("This service is not yours."))
        if service.plan_id != self.plan_id:
            raise UserError(
                self.env._(
                    "This code is for plan %(code_plan)s but service %(service)s is on plan "
                    "%(plan)s. Redeem it without choosing a service to get a separate "
                    "%(code_plan)s service.",
                    code_plan=self.plan_id.name,
                    service=service.name,
                    plan=service.plan_id.name,
                )
            )
        seconds = self.plan_id.product_tmpl_id._wisp_prepaid_seconds()
        if service.state == "active":
            service._wisp_add_prepaid_time(seconds)
        elif service.state == "suspended" and not service.blocking_invoice_ids:
            service._wisp_add_prepaid_time(seconds)
            service.action_reactivate()
        else:
            raise UserError(
                self.env._(
                    "Service %(service)s cannot take a code in its current status.",
                    service=service.name,
                )
            )

    def _new_service(self, account, login=None):
        service = self.env["wisp.service"].create(
            {
                "partner_id": account.id,
                "plan_id": self.plan_id.id,
                "service_type": self.plan_id.service_type,
                "company_id": self.company_id.id,
                "wisp_voucher_funded": True,
                **({"login": login} if login else {}),
            }
        )
        # no installation for a hotspot code: confirm without an order
        service._apply_transition("confirm")
        service.action_activate()
        return service

    # -------------------------------------------------------------------------
    # Scheduled job
    # -------------------------------------------------------------------------
    @api.model
    def _cron_expire(self):
        """Unused codes past their use-by date, and redeemed ones past their
        time, become expired. (The service itself is suspended by the
        subscriber cron, which removes router access through wisp_network.)"""
        today = fields.Date.context_today(self)
        unused = self.search([("state", "in", REDEEMABLE_STATES), ("use_by", "<", today)])
        used = self.search(
            [("state", "=", "active"), ("expiry_datetime", "<=", fields.Datetime.now())]
        )
        (unused | used).write({"state": "expired"})
        return len(unused) + len(used)

    def _wisp_pass_started(self, services):
        """Codes waiting on ``services``' first login end with their pass."""
        waiting = self.search([("service_id", "in", services.ids), ("state", "=", "active")])
        for voucher in waiting.filtered(lambda v: not v.expiry_datetime):
            voucher.expiry_datetime = voucher.service_id.expiry_datetime
