from . import (
    test_billing_run,
    test_dunning,
    test_gift_card,
    test_invoice_report,
    test_payment,
    test_plan_change_preview,
    test_proration,
    test_reseller_signup,
    test_stripe_webhook,
    test_voucher,
    test_voucher_purchase,
    test_wallet,
)
