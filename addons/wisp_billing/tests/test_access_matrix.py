from odoo import Command
from odoo.addons.wisp_subscriber.tests.access_matrix import AccessMatrixCase
from odoo.addons.wisp_subscriber.tests.common import make_plan, make_prepaid_plan
from odoo.tests import tagged

STAFF = ("installer", "support", "billing", "network")
BILLING = ("billing",)


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_billing's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_billing"
    METHOD_POLICY = {
        "account.move": {"action_wisp_apply_wallet": ("portal", "enterprise", "billing")},
        "res.partner": {
            "action_wisp_wallet_history": ("support", "billing"),
            "action_wisp_bill_now": BILLING,
            "action_wisp_register_payment": BILLING,
        },
        "wisp.connection.request": {"action_convert": ("support",)},
        "wisp.service": {"action_change_plan": BILLING},
        "wisp.bundle": {"action_view_sales": STAFF},
        "wisp.gift.card": {"action_void": BILLING},
        "wisp.reseller.statement": {
            "action_collect": BILLING,
            "action_invoice": BILLING,
            "action_view_invoice": ("reseller", "billing"),
        },
        "wisp.voucher": {"action_void": BILLING, "action_sell": ("reseller", "billing")},
        "wisp.voucher.batch": {
            "action_generate": BILLING,
            "action_cancel": BILLING,
            "action_assign_reseller": BILLING,
            "action_view_vouchers": BILLING,
            "action_print_cards": BILLING,
        },
        "wisp.voucher.purchase": {"action_deliver": BILLING, "action_cancel": BILLING},
        "wisp.gift.card.batch": {"action_issue": BILLING},
        "wisp.wallet.credit": {"action_confirm": BILLING},
        "wisp.billing.run": {"action_start_today": BILLING},
        "wisp.plan.change": {"action_apply": BILLING},
        "wisp.cpe.device": {"action_wisp_mark_lost": BILLING},
        "wisp.temporary.addon": {"action_cancel": BILLING},
        "wisp.dunning.line": dict.fromkeys(
            (
                "action_send_reminder",
                "action_suspend_now",
                "action_register_payment",
                "action_open_subscriber",
                "action_open_invoice",
            ),
            BILLING,
        ),
    }
    METHOD_ARGS = {("wisp.voucher", "action_sell"): {"price": 1.0}}
    PROTECTED_FIELDS = {
        "wisp.service": {
            "billed_until": BILLING,
            "wisp_voucher_funded": BILLING,
            "wisp_bundle_sale_id": (),
            "wisp_term_end": (),
            "wisp_term_plan_id": (),
        },
        "wisp.service.bundle": {"price": BILLING, "state": (), "break_date": ()},
        "res.partner": {
            "wisp_billing_day": BILLING,
            "wisp_billing_mode": BILLING,
            "wisp_next_billing_date": BILLING,
            "wisp_autopay_token_id": BILLING,
            "wisp_payment_flagged": BILLING,
            "wisp_is_reseller": (),
            "wisp_reseller_commission": (),
            "wisp_referral_code": (),
            "wisp_referred_by_id": (),
            "wisp_referral_rewarded": (),
            "wisp_anonymous_prepaid": (),
            "wisp_registration_rewarded": (),
        },
        "account.move": {
            "wisp_reminder_sent": (),
            "wisp_reminder_date": (),
            "wisp_blocked_service_ids": (),
            "wisp_wallet_kind": (),
            "wisp_autopay_attempts": (),
            "wisp_autopay_stopped": BILLING,
        },
        "payment.transaction": {
            "wisp_wallet_topup": (),
            "wisp_autopay": (),
            "wisp_voucher_purchase_id": (),
            "wisp_dispute_ref": (),
            "wisp_dispute_move_id": (),
        },
        "wisp.voucher": {
            "state": (),
            "sold_price": (),
            "reseller_id": BILLING,
            "redeemed_partner_id": (),
            "service_id": (),
            "expiry_datetime": (),
        },
        "wisp.voucher.sale": {"price": (), "commission": (), "amount_due": ()},
        "wisp.voucher.purchase": {"state": (), "amount": (), "voucher_id": ()},
        "wisp.reseller.statement": {"state": (), "invoice_id": ()},
        "wisp.gift.card": {"state": (), "amount": BILLING, "move_id": (), "partner_id": ()},
        "wisp.billing.run": {"state": ()},
        "wisp.cpe.device": {"wisp_lost_invoice_id": (), "wisp_lost_refund_id": ()},
        "wisp.promotion": dict.fromkeys(("value", "discount_type", "code", "max_uses"), ()),
        "wisp.service.promotion": dict.fromkeys(
            ("service_id", "promotion_id", "date_start"), BILLING
        ),
        "wisp.temporary.addon": {
            **dict.fromkeys(("service_id", "product_id", "date_start", "date_end"), BILLING),
            "state": (),
        },
    }

    @classmethod
    def _matrix_module_records(cls):
        env = cls.env
        account = cls.foreign_partner
        reseller = env["res.partner"].create(
            {"name": "Matrix Other Reseller", "wisp_is_reseller": True}
        )
        prepaid = make_prepaid_plan(env, "Matrix Day Pass", price=2.0, service_type="iptv")
        batch = env["wisp.voucher.batch"].create(
            {"name": "Matrix batch", "plan_id": prepaid.id, "quantity": 2}
        )
        batch.action_generate()
        voucher = batch.voucher_ids[:1]
        voucher.sudo().write({"reseller_id": reseller.id})
        env["wisp.voucher.sale"].create(
            {"voucher_id": voucher.id, "reseller_id": reseller.id, "mode": "direct", "price": 2.0}
        )
        env["wisp.reseller.statement"].create(
            {"reseller_id": reseller.id, "date_from": "2026-01-01", "date_to": "2026-01-31"}
        )
        env["wisp.voucher.purchase"].create({"partner_id": account.id, "plan_id": prepaid.id})
        env["wisp.voucher.attempt"].create({"client_key": "192.0.2.1", "result": "typo"})
        env["wisp.gift.card"].create({"amount": 10.0})
        env["wisp.reseller.location"].create({"name": "Matrix Shop", "reseller_id": reseller.id})
        env["wisp.billing.adjustment"].create(
            {
                "service_id": cls.foreign_service.id,
                "partner_id": account.id,
                "product_id": cls.matrix_plan.id,
                "name": "Matrix credit",
                "date_from": "2026-01-01",
                "date_to": "2026-01-10",
                "amount": -5.0,
            }
        )
        run = env["wisp.billing.run"].create({})
        env["wisp.billing.run.chunk"].create({"run_id": run.id, "partner_ids": account.ids})
        env["wisp.gift.card.batch"].create({"name": "Matrix cards", "amount": 5.0})
        env["wisp.wallet.credit"].create({"partner_id": account.id, "amount": 5.0})
        other_plan = make_plan(env, "Matrix Plan 2", 20.0, service_type="iptv")
        env["wisp.plan.change"].create(
            {"service_id": cls.foreign_service.id, "plan_id": other_plan.id}
        )
        # a bundle sold in the other company: outside every role's scope, the manager's too
        bundle = env["wisp.bundle"].create(
            {
                "name": "Matrix Bundle",
                "price": 15.0,
                "company_id": cls.other_company.id,
                "plan_ids": [Command.set((cls.matrix_plan | other_plan).ids)],
            }
        )
        env["wisp.service.bundle"].with_company(cls.other_company).create(
            {"bundle_id": bundle.id, "partner_id": account.id, "company_id": cls.other_company.id}
        )
        promotion = env["wisp.promotion"].create({"name": "Matrix promo", "value": 10})
        other_promotion = env["wisp.promotion"].create(
            {"name": "Other Co promo", "value": 10, "company_id": cls.other_company.id}
        )
        env["wisp.service.promotion"].create(
            [
                {"service_id": cls.foreign_service.id, "promotion_id": promotion.id},
                {"service_id": cls.other_company_service.id, "promotion_id": other_promotion.id},
            ]
        )
        addon = env["product.product"].create({"name": "Matrix Boost", "is_wisp_addon": True})
        env["wisp.temporary.addon"].create(
            {
                "service_id": cls.foreign_service.id,
                "product_id": addon.id,
                "date_start": "2999-01-01",
                "date_end": "2999-01-02",
            }
        )
        provider = env["payment.provider"].search([], limit=1)
        env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": env.ref("payment.payment_method_unknown").id,
                "amount": 5.0,
                "currency_id": env.company.currency_id.id,
                "partner_id": account.id,
                "reference": "MATRIX-TX",
            }
        )
