import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING
from odoo.addons.wisp_subscriber.tools.each_alone import each_alone
from odoo.exceptions import AccessError, UserError

from ..tools.proration import block_end, prorate

# Services that are charged: a restricted or suspended customer still owes the
# service (dunning cuts access, not the contract); paused ones do not.
BILLABLE_STATES = ("active", "restricted", "suspended")

_logger = logging.getLogger(__name__)


class WispService(models.Model):
    _inherit = "wisp.service"

    billed_until = fields.Date(
        copy=False,
        readonly=True,
        help="Last day already charged (or credited back) at the current plan. "
        "The billing run charges from the day after.",
    )
    wisp_addon_billed_until = fields.Json(
        string="Add-ons Billed Until",
        copy=False,
        readonly=True,
        help="Last day charged of each add-on billed on its own period, by product id, "
        "where it differs from the plan's (Billed Until).",
    )
    next_plan_id = fields.Many2one(
        "product.product",
        string="Scheduled Plan",
        copy=False,
        tracking=True,
        domain="[('is_wisp_plan', '=', True), ('service_type', '=', service_type)]",
    )
    plan_change_date = fields.Date(copy=False, tracking=True)
    billing_adjustment_ids = fields.One2many("wisp.billing.adjustment", "service_id")
    invoice_line_ids = fields.One2many("account.move.line", "wisp_service_id")
    blocking_invoice_ids = fields.Many2many(
        "account.move",
        "account_move_wisp_blocked_service_rel",
        "service_id",
        "move_id",
        string="Blocked By",
        readonly=True,
        copy=False,
        help="Overdue invoices for which this service was restricted or suspended.",
    )

    wisp_voucher_funded = fields.Boolean(
        string="Paid by Voucher",
        readonly=True,
        copy=False,
        help="Created by a voucher redemption: its time is paid by vouchers, never "
        "by the recurring billing.",
    )
    wisp_voucher_ids = fields.One2many("wisp.voucher", "service_id", string="Vouchers")
    wisp_promotion_ids = fields.One2many(
        "wisp.service.promotion", "service_id", string="Promotions"
    )
    wisp_temporary_addon_ids = fields.One2many(
        "wisp.temporary.addon", "service_id", string="Temporary Add-ons"
    )

    wisp_bundle_sale_id = fields.Many2one(
        "wisp.service.bundle",
        string="Bundle",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The bundle this service was sold in. While the bundle is intact, the plan "
        "is billed its share of the bundle price.",
    )
    wisp_bundle_price = fields.Monetary(
        string="Share of the Bundle Price",
        compute="_compute_wisp_bundle_price",
        help="What the plan costs per cycle inside its bundle: the bundle price split in "
        "proportion to the plans' standalone prices.",
    )
    wisp_term_end = fields.Date(
        string="Minimum Term Until",
        readonly=True,
        copy=False,
        help="End of the minimum term (the plan's, or the bundle's), counted from "
        "activation. Terminating before it adds the early-termination fee.",
    )
    wisp_term_plan_id = fields.Many2one(
        "product.product",
        string="Term Taken On",
        readonly=True,
        copy=False,
        help="The plan whose minimum term runs (outside a bundle): its fee rule and "
        "price apply whatever plan the service moved to since.",
    )
    wisp_early_termination_fee = fields.Monetary(
        string="Early Termination Fee Today",
        compute="_compute_wisp_early_termination_fee",
        help="Charged on the final invoice if the service is terminated today (for a "
        "bundle: also if it leaves the bundle by a plan change).",
    )

    def _wisp_state_message(self, transition):
        # held by an overdue invoice (dunning, or a clerk suspending early): one message
        # naming the invoice instead of the generic one; the newest overdue is the cause
        held = self.sudo().blocking_invoice_ids.sorted(lambda m: (m.invoice_date_due, m.id))[-1:]
        if transition in ("restrict", "suspend") and held:
            return ("services_suspended_overdue", held, held.partner_id, transition)
        return super()._wisp_state_message(transition)

    @api.model
    def _wisp_field_write_groups(self):
        # What is charged and whether a service is held: set by the billing code and billing
        # staff; support and network staff, who may write services, only read them.
        protected = dict.fromkeys(
            (
                "billed_until",
                "wisp_addon_billed_until",
                "wisp_voucher_funded",
                "blocking_invoice_ids",
                "next_plan_id",
                "plan_change_date",
            ),
            (BILLING,),
        )
        # set by the bundle sale and the life cycle only: they price the service
        code_only = dict.fromkeys(("wisp_bundle_sale_id", "wisp_term_end", "wisp_term_plan_id"), ())
        return {**super()._wisp_field_write_groups(), **protected, **code_only}

    def _wisp_check_plan_change_right(self):
        """A plan change credits and charges the subscriber: billing staff only (the
        portal and the crons change plans as superuser), on services they may write."""
        if not (self.env.su or self.env.user.has_group(BILLING)):
            raise AccessError(
                self.env._("Only billing staff or managers may change the plan of a service.")
            )
        self.check_access("write")

    def _wisp_settle_plan_write(self, plan, clears_schedule):
        """Before ``plan`` is written on these services: settle the ones being billed.

        A new plan on a service being billed is a plan change, however it is written
        (form, RPC, import): the plan billed so far is settled first, as
        action_change_plan does, so the price never changes without the proration.
        """
        changing = self.filtered(
            lambda s: s.plan_id != plan and s.state in BILLABLE_STATES and s.billed_until
        )
        if not changing:
            return
        changing._wisp_check_plan_change_right()
        if not clears_schedule:
            changing._wisp_clear_scheduled_change(
                self.env._("replaced by a change to %(plan)s today", plan=plan.display_name)
            )
        # bookkeeping of a checked change: adjustments are billing's own records
        changing.sudo()._wisp_close_billing_segment(fields.Date.context_today(self))

    def _wisp_cycle_price(self, product):
        """Price of ``product`` per its billing period for this subscriber (the plan
        of a service in an intact bundle: its share of the bundle price)."""
        if product == self.plan_id and self._wisp_active_bundle_sale():
            return self._wisp_bundle_cycle_price()
        return self._wisp_standalone_price(product)

    def _wisp_standalone_price(self, product):
        """Price of ``product`` per its billing period for this subscriber, outside
        any bundle: the subscriber's pricelist, else the list price."""
        pricelist = self.commercial_partner_id.property_product_pricelist
        if pricelist:
            return pricelist._get_product_price(product, 1.0)
        return product.lst_price

    def _wisp_charge_lines(self, start, end, sign=1, products=None, prices=None):
        """Invoice line values charging (sign 1) or crediting (sign -1) the days
        ``start``..``end`` of ``products`` (default: the plan and add-ons of this
        service), each priced per its own billing period (``prices``: {product: price
        per period} instead of :meth:`_wisp_cycle_price`, for a preview)."""
        self.ensure_one()
        billing_day = self.commercial_partner_id._wisp_effective_billing_day()
        currency = self.company_id.currency_id
        lines = []
        for product in products if products is not None else self.plan_id | self.addon_ids:
            months = product.product_tmpl_id._billing_period_months()
            price = prices[product] if prices else self._wisp_cycle_price(product)
            amount = currency.round(sign * prorate(price, months, start, end, billing_day))
            if currency.is_zero(amount):
                continue
            label = self.env._("Credit: %(name)s", name=product.name) if sign < 0 else product.name
            lines.append(self._wisp_period_line(product, label, start, end, amount))
            # its promotions ride with the plan's charge (or credit): own lines, same days
            lines += self.wisp_promotion_ids._wisp_discount_lines(product, start, end, sign)
        return lines

    def _wisp_period_line(self, product, label, start, end, amount):
        """Invoice line values: ``amount`` for ``product`` (``label``) on this service's
        days ``start``..``end``, named so the subscriber reads what and when."""
        self.ensure_one()
        return {
            "product_id": product.id,
            "name": self.env._(
                "%(label)s - %(service)s, %(start)s to %(end)s",
                label=label,
                service=self.name,
                start=fields.Date.to_string(start),
                end=fields.Date.to_string(end),
            ),
            "quantity": 1,
            "price_unit": amount,
            "wisp_service_id": self.id,
            "wisp_period_start": start,
            "wisp_period_end": end,
        }

    def _wisp_billed_until_by_product(self):
        """{product: last day charged} of the plan and each add-on: an add-on
        billed on its own period may be ahead of or behind the plan."""
        self.ensure_one()
        own = self.wisp_addon_billed_until or {}
        until = {self.plan_id: self.billed_until}
        for addon in self.addon_ids:
            day = own.get(str(addon.id))
            until[addon] = fields.Date.to_date(day) if day else self.billed_until
        return until

    def _wisp_billed_until_vals(self, until):
        """write() values storing ``until`` (see :meth:`_wisp_billed_until_by_product`)."""
        self.ensure_one()
        plan_until = until[self.plan_id]
        own = {
            str(product.id): fields.Date.to_string(day)
            for product, day in until.items()
            if product != self.plan_id and day != plan_until
        }
        return {"billed_until": plan_until, "wisp_addon_billed_until": own or False}

    def _wisp_close_billing_segment(self, day):
        """Settle the current plan up to the day before ``day``.

        Days already billed from ``day`` on are credited back; days used but
        not yet billed are charged. Both become pending adjustments that the
        next invoice of the subscriber carries. Afterwards the plan and every
        add-on are billed until the day before ``day``, so nothing is billed
        twice, and their N-month blocks restart at the cycle containing ``day``.
        """
        Adjustment = self.env["wisp.billing.adjustment"]
        Adjustment.create(
            [
                vals
                for service in self.filtered(lambda s: s.plan_id and s.billed_until)
                # the plan and each add-on from its own last day charged
                for vals in service._wisp_settlement_vals(
                    service._wisp_billed_until_by_product(), day
                )
            ]
        )
        self.filtered("billed_until").write(
            {"billed_until": day - timedelta(days=1), "wisp_addon_billed_until": False}
        )

    def _wisp_settlement_vals(self, billed_until, day):
        """Pending adjustments (create values) settling each product of
        ``billed_until`` ({product: last day charged}) up to the day before
        ``day``: days billed from ``day`` on are credited, days before it not
        yet billed are charged."""
        self.ensure_one()
        last = day - timedelta(days=1)
        lines = []
        for product, billed in billed_until.items():
            if billed > last:
                lines += self._wisp_charge_lines(day, billed, sign=-1, products=product)
            elif billed < last:
                lines += self._wisp_charge_lines(billed + timedelta(days=1), last, products=product)
        return [
            self.env["wisp.billing.adjustment"]._from_line_vals(
                {"service_id": self.id, "partner_id": self.commercial_partner_id.id, **line}
            )
            for line in lines
        ]

    def write(self, vals):
        """A new plan or an add-on added to or removed from a billed service is
        settled from today: the plan so far as by a plan change
        (:meth:`_wisp_settle_plan_write`), a removed add-on credited (or charged) up
        to yesterday, an added one billed from today by the next invoice."""
        if "plan_id" in vals:
            plan = self.env["product.product"].browse(vals["plan_id"])
            self._wisp_settle_plan_write(plan, "next_plan_id" in vals)
            # another plan is not the bundle's: settled above at its share, the service
            # leaves its bundle, which re-prices the others (bookkeeping of a checked write)
            self.filtered(lambda s: s.plan_id != plan).sudo()._wisp_leave_bundles(
                fields.Date.context_today(self)
            )
        if "addon_ids" not in vals:
            return super().write(vals)
        billed = self.filtered(
            lambda s: s.state in BILLABLE_STATES and s.billed_until and not s.wisp_voucher_funded
        )
        before = {s: (s.plan_id, s._wisp_billed_until_by_product()) for s in billed}
        res = super().write(vals)
        today = fields.Date.context_today(self)
        yesterday = today - timedelta(days=1)
        # The change itself was checked (addon_ids is a billing field); settling
        # it is bookkeeping, done as superuser.
        for service in billed.sudo():
            old_plan, until = before[service]
            # a plan written along with the add-ons takes over the old plan's date (the
            # old plan was settled up to yesterday before the write)
            until = {**until}
            until[service.plan_id] = until.pop(old_plan)
            removed = {
                p: d
                for p, d in until.items()
                if p != service.plan_id and p not in service.addon_ids
            }
            service.billing_adjustment_ids.create(service._wisp_settlement_vals(removed, today))
            kept = {p: d for p, d in until.items() if p not in removed}
            added = {addon: yesterday for addon in service.addon_ids if addon not in until}
            service.write(service._wisp_billed_until_vals({**kept, **added}))
        return res

    def _on_state_change(self, transition, previous_states):
        res = super()._on_state_change(transition, previous_states)
        # The transition itself was checked (_check_transition): its billing is bookkeeping,
        # done as superuser whoever made it (support activates, network staff terminate).
        services = self.sudo()
        today = fields.Date.context_today(self)
        if self._wisp_importing():
            # A migration (wisp.import, as superuser only) replays moves the old system
            # billed and settled: billing starts, nothing is invoiced nor settled now;
            # the import sets each service's billed_until (its paid_until column).
            if transition == "activate":
                services._wisp_start_billing(invoice_now=False)
            return res
        if transition == "activate":
            services._wisp_start_term()
            services._wisp_start_billing()
        elif transition in ("pause", "terminate"):
            services.filtered(
                lambda s: previous_states[s.id] in BILLABLE_STATES
            )._wisp_close_billing_segment(today)
            if transition == "terminate":
                services._wisp_clear_scheduled_change(self.env._("the service was terminated"))
                services._wisp_end_contract(today)
        elif transition == "resume":
            # The paused days are not charged: billing restarts today.
            for service in services.filtered("billed_until"):
                service.billed_until = max(service.billed_until, today - timedelta(days=1))
        return res

    def _wisp_start_pass(self, first_login):
        waiting = self.filtered(lambda s: s.prepaid_pending_s and not s.expiry_datetime)
        result = super()._wisp_start_pass(first_login)
        self.env["wisp.voucher"].sudo()._wisp_pass_started(waiting)
        return result

    def _wisp_start_billing(self, invoice_now=True):
        """Billing starts on activation; in-advance subscribers get their first,
        prorated invoice at once (unless ``invoice_now`` is False: an import).
        Services paid by vouchers are never billed."""
        services = self.filtered(lambda s: not s.wisp_voucher_funded)
        for service in services:
            if not service.billed_until or service.billed_until < service.activation_date:
                service.billed_until = service.activation_date - timedelta(days=1)
        today = fields.Date.context_today(self)
        accounts = services.commercial_partner_id
        for account in accounts.filtered(lambda p: not p.wisp_next_billing_date):
            cycle_end = account._wisp_current_cycle(today)[1]
            account.wisp_next_billing_date = cycle_end + timedelta(days=1)
        in_advance = accounts.filtered(lambda p: p.wisp_billing_mode == "advance")
        if in_advance and invoice_now:
            self.env["wisp.billing.run"]._bill_subscribers(in_advance, today)

    # -------------------------------------------------------------------------
    # Plan changes
    # -------------------------------------------------------------------------
    def action_change_plan(self, plan, effective_date=None):
        """Change the plan now (prorated at once) or schedule it for a date.

        Billing staff only (the portal calls it as superuser for the subscriber's own
        service): a change credits and charges the subscriber.
        """
        self.ensure_one()
        self._wisp_check_plan_change_right()
        today = fields.Date.context_today(self)
        effective_date = effective_date or today
        if plan == self.plan_id:
            raise UserError(
                self.env._(
                    "Service %(service)s is already on plan %(plan)s.",
                    service=self.name,
                    plan=plan.display_name,
                )
            )
        if not plan.is_wisp_plan or plan.service_type != self.service_type:
            raise UserError(
                self.env._(
                    "%(plan)s is not a %(type)s plan.",
                    plan=plan.display_name,
                    type=self.service_type,
                )
            )
        if effective_date < today:
            raise UserError(self.env._("A plan change cannot take effect in the past."))
        if self.state == "terminated":
            raise UserError(self.env._("A terminated service cannot change plan."))
        if effective_date > today:
            self.write({"next_plan_id": plan.id, "plan_change_date": effective_date})
            self._wisp_queue_plan_change_message(plan, effective_date)
            return True
        applies_scheduled = plan == self.next_plan_id and (self.plan_change_date or today) <= today
        if not applies_scheduled:
            self._wisp_clear_scheduled_change(
                self.env._("replaced by a change to %(plan)s today", plan=plan.display_name)
            )
        old_plan = self.plan_id
        # write() settles the billing of the plan so far (see there)
        self.write({"plan_id": plan.id, "next_plan_id": False, "plan_change_date": False})
        self.message_post(
            body=self.env._(
                "Plan changed from %(old)s to %(new)s.",
                old=old_plan.display_name,
                new=plan.display_name,
            )
        )
        # a scheduled change that now applies was announced when it was scheduled
        if not applies_scheduled:
            self._wisp_queue_plan_change_message(plan, today)
        return True

    def _wisp_queue_plan_change_message(self, plan, effective_date):
        self.env["wisp.message"].sudo()._queue(
            "plan_change", self, self.partner_id, key=f"{plan.id}:{effective_date}"
        )

    def _wisp_plan_change_preview(self, plan, effective_date=None):
        """What changing to ``plan`` on ``effective_date`` puts on the invoices.

        Same lines as :meth:`_wisp_close_billing_segment` and the next billing
        run: the days from ``effective_date`` already billed of the current plan
        and of each add-on (to its own last day billed) are credited back; the
        charge is ``plan`` and each add-on for its first block from that day (to
        the end of the cycle for a monthly product, of its N-month block
        otherwise: blocks restart at a plan change), as the run will charge them.
        When nothing is billed beyond that day (a change at the next cycle,
        postpaid accounts), there is nothing to credit. Services that are not
        billed (not running yet, paused, paid by vouchers) change at no cost.
        A change that leaves a bundle adds what leaving it costs
        (:meth:`_wisp_bundle_leave_preview_lines`).

        Promotions of the service ride with the plan's lines (the days credited give
        their discount back, the new plan's days get theirs), as on the invoices.

        :return: ``{credit, charge, net, days, start, end, currency, lines, credit_lines,
            charge_lines}``, credit as a positive amount, ``net = charge - credit``, before
            tax; ``lines``: the invoice line values of the credits and then the charges,
            each with its discounts
        """
        self.ensure_one()
        start = end = effective_date or fields.Date.context_today(self)
        credit_lines, charge_lines = [], []
        billed = self.state in BILLABLE_STATES and self.billed_until and self.plan_id
        if billed:
            billing_day = self.commercial_partner_id._wisp_effective_billing_day()
            for product, last in self._wisp_billed_until_by_product().items():
                if last >= start:
                    credit_lines += self._wisp_charge_lines(start, last, sign=-1, products=product)
            for product in plan | self.addon_ids:
                months = product.product_tmpl_id._billing_period_months()
                product_end = block_end(start, months, billing_day)
                charge_lines += self._wisp_charge_lines(start, product_end, products=product)
                if product == plan:
                    end = product_end
        for line in self._wisp_bundle_leave_preview_lines(plan, start):
            (charge_lines if line["price_unit"] > 0 else credit_lines).append(line)
        currency = self.company_id.currency_id
        credit = currency.round(-sum(line["price_unit"] for line in credit_lines))
        charge = currency.round(sum(line["price_unit"] for line in charge_lines))
        return {
            "credit": credit,
            "charge": charge,
            "net": currency.round(charge - credit),
            "days": (end - start).days + 1 if billed else 0,
            "start": start,
            "end": end,
            "currency": currency,
            "lines": credit_lines + charge_lines,
            "credit_lines": credit_lines,
            "charge_lines": charge_lines,
        }

    def _wisp_clear_scheduled_change(self, reason):
        """Drop the pending scheduled plan change, saying why in the chatter."""
        pending = self.filtered("next_plan_id")
        for service in pending:
            service.message_post(
                body=self.env._(
                    "Scheduled change to %(plan)s on %(date)s cancelled: %(reason)s.",
                    plan=service.next_plan_id.display_name,
                    date=service.plan_change_date,
                    reason=reason,
                )
            )
        # bookkeeping of a checked action (termination, plan change): written as superuser
        pending.sudo().write({"next_plan_id": False, "plan_change_date": False})

    @api.model
    def _cron_apply_plan_changes(self):
        """Apply today's scheduled plan changes, each service on its own: one that
        fails is rolled back alone, reported on the service and retried tomorrow."""
        today = fields.Date.context_today(self)
        due = self.sudo().search([("plan_change_date", "<=", today), ("next_plan_id", "!=", False)])
        terminated = due.filtered(lambda s: s.state == "terminated")
        terminated._wisp_clear_scheduled_change(self.env._("the service was terminated"))
        each_alone(
            due - terminated,
            lambda service: service.action_change_plan(service.next_plan_id),
            self.env._("Scheduled plan change failed"),
        )

    @api.model
    def _wisp_demo_start_billing(self, overdue_service_ids=()):
        """Demo data: bill every running demo service for the current cycle.

        The accounts of ``overdue_service_ids`` (suspended for an overdue invoice) were
        also billed the cycle before and never paid: that invoice is past its grace
        period and holds their services, as dunning leaves them, so the captive page
        has something to pay.
        """
        today = fields.Date.context_today(self)
        services = self.search([("state", "in", BILLABLE_STATES), ("billed_until", "=", False)])
        overdue = self.browse(overdue_service_ids) & services
        starts = {}
        for account in services.commercial_partner_id:
            cycle_start = account._wisp_current_cycle(today)[0]
            if account in overdue.commercial_partner_id:
                cycle_start = account._wisp_current_cycle(cycle_start - timedelta(days=1))[0]
            starts[account] = cycle_start
            services.filtered(lambda s, a=account: s.commercial_partner_id == a).write(
                {"billed_until": cycle_start - timedelta(days=1)}
            )
            account.wisp_next_billing_date = cycle_start
        Run = self.env["wisp.billing.run"]
        unpaid = self.env["account.move"]
        for account in overdue.commercial_partner_id:
            unpaid |= Run._bill_subscribers(account, starts[account])
        Run._bill_subscribers(services.commercial_partner_id, today)
        for invoice in unpaid:
            invoice._wisp_hold_services(invoice.company_id.wisp_overdue_action)

    # -------------------------------------------------------------------------
    # Bundles and minimum terms
    # -------------------------------------------------------------------------
    def _compute_wisp_bundle_price(self):
        for service in self:
            sale = service._wisp_active_bundle_sale()
            shares = sale._wisp_allocation() if sale else {}
            service.wisp_bundle_price = shares.get(service._origin, 0.0)

    def _compute_wisp_early_termination_fee(self):
        today = fields.Date.context_today(self)
        for service in self:
            line = service._wisp_termination_fee_line(today)
            service.wisp_early_termination_fee = line["price_unit"] if line else 0.0

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_a_bundle(self):
        # deleting one would silently re-split the bundle price over the others
        if any(service._wisp_active_bundle_sale() for service in self):
            raise UserError(self.env._("A service sold in a bundle is terminated, not deleted."))

    def _wisp_active_bundle_sale(self):
        """The intact bundle sale that prices this service, read as superuser (a
        price does not depend on who reads it)."""
        self.ensure_one()
        sale = self.sudo().wisp_bundle_sale_id
        return sale if sale.state == "active" else sale.browse()

    def _wisp_bundle_cycle_price(self):
        """The plan's share of its bundle price, per the plan's billing period."""
        share = self._wisp_active_bundle_sale()._wisp_allocation()[self]
        return share * self.plan_id.product_tmpl_id._billing_period_months()

    def _wisp_settle_plan_only(self, day):
        """Settle the plan alone (not the add-ons) up to the day before ``day`` at
        its current price, as a plan change does: the next run bills it again from
        ``day`` at its new price (its share of a bundle lost)."""
        Adjustment = self.env["wisp.billing.adjustment"]
        for service in self.filtered(
            lambda s: s.state in BILLABLE_STATES and s.plan_id and s.billed_until
        ):
            until = service._wisp_billed_until_by_product()
            Adjustment.create(
                service._wisp_settlement_vals({service.plan_id: until[service.plan_id]}, day)
            )
            until[service.plan_id] = day - timedelta(days=1)
            service.write(service._wisp_billed_until_vals(until))

    def _wisp_leave_bundles(self, day):
        """These services leave their intact bundles on ``day`` (terminated, or moved
        to another plan): the bundle's early-termination fee once per bundle if within
        its minimum term, then the others go back to their standalone prices
        (``wisp.service.bundle._wisp_break``). Call once their own plan is settled."""
        for sale, leaving in self.grouped(lambda s: s._wisp_active_bundle_sale()).items():
            if not sale:
                continue
            committed = leaving.filtered("wisp_term_end").sorted("wisp_term_end")
            committed[-1:]._wisp_queue_termination_fee(day)
            sale._wisp_break(day, leaving)

    def _wisp_end_contract(self, day):
        """Terminated on ``day``: the early-termination fee of each service within its
        minimum term (of its bundle, once per bundle), and its bundle is broken."""
        bundled = self.filtered(lambda s: s._wisp_active_bundle_sale())
        for service in self - bundled:
            service._wisp_queue_termination_fee(day)
        bundled._wisp_leave_bundles(day)

    def _wisp_start_term(self):
        """Activation starts the minimum term: the bundle's while in one, else the plan's."""
        for service in self.filtered("activation_date"):
            sale = service._wisp_active_bundle_sale()
            rule = sale.bundle_id or service.plan_id.product_tmpl_id
            if rule.wisp_minimum_term_months:
                service.write(
                    {
                        "wisp_term_end": service.activation_date
                        + relativedelta(months=rule.wisp_minimum_term_months)
                        - timedelta(days=1),
                        "wisp_term_plan_id": not sale and service.plan_id.id,
                    }
                )

    def _wisp_termination_fee_line(self, day):
        """Invoice line values of the fee for leaving on ``day`` before the end of the
        minimum term (the bundle's rule while in an intact bundle, else the rule of
        the plan the term was taken on), or None. A share of the remaining term is
        of that bundle's or plan's price, for the days ``day`` to the term's end."""
        self.ensure_one()
        term_end = self.wisp_term_end
        sale = self._wisp_active_bundle_sale()
        plan = self.wisp_term_plan_id
        if not term_end or day > term_end or not (sale or plan):
            return None
        if sale:
            rule, price, months, what = sale.bundle_id, sale.price, 1, sale.bundle_id.name
        else:
            rule, what = plan.product_tmpl_id, plan.name
            price, months = self._wisp_standalone_price(plan), rule._billing_period_months()
        billing_day = self.commercial_partner_id._wisp_effective_billing_day()
        currency = self.company_id.currency_id
        amount = currency.round(
            rule._wisp_termination_fee(price, months, day, term_end, billing_day)
        )
        if currency.is_zero(amount):
            return None
        return {
            "product_id": self.env.ref("wisp_billing.product_early_termination_fee").id,
            "name": self.env._(
                "Early termination fee: %(what)s - %(service)s, minimum term until %(end)s",
                what=what,
                service=self.name,
                end=fields.Date.to_string(term_end),
            ),
            "quantity": 1,
            "price_unit": amount,
            "wisp_service_id": self.id,
            "wisp_period_start": day,
            "wisp_period_end": term_end,
        }

    def _wisp_queue_termination_fee(self, day):
        """The early-termination fee of leaving on ``day``, pending for the final invoice."""
        for service in self:
            line = service._wisp_termination_fee_line(day)
            if line:
                self.env["wisp.billing.adjustment"].create(
                    self.env["wisp.billing.adjustment"]._from_line_vals(
                        {
                            "service_id": service.id,
                            "partner_id": service.commercial_partner_id.id,
                            **line,
                        }
                    )
                )

    def _wisp_bundle_leave_preview_lines(self, plan, day):
        """Lines that moving to ``plan`` on ``day`` adds when it leaves a bundle, as
        :meth:`_wisp_leave_bundles` and the next run put them on the invoice: the
        bundle's fee, and each other service of the bundle being billed credited at
        its share from ``day`` and charged at its own price to the end of its block."""
        self.ensure_one()
        sale = self._wisp_active_bundle_sale()
        if not sale or plan == self.plan_id:
            return []
        fee = self._wisp_termination_fee_line(day)
        lines = [fee] if fee else []
        billing_day = self.commercial_partner_id._wisp_effective_billing_day()
        for other in (sale.service_ids - self).filtered(
            lambda s: s.state in BILLABLE_STATES and s.billed_until
        ):
            if other.billed_until >= day:
                lines += other._wisp_charge_lines(
                    day, other.billed_until, sign=-1, products=other.plan_id
                )
            own = other.plan_id
            months = own.product_tmpl_id._billing_period_months()
            lines += other._wisp_charge_lines(
                day,
                block_end(day, months, billing_day),
                products=own,
                prices={own: other._wisp_standalone_price(own)},
            )
        return lines
