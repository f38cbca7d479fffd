from . import (
    test_billing_run,
    test_dunning,
    test_gift_card,
    test_invoice_report,
    test_payment,
    test_proration,
    test_stripe_webhook,
    test_voucher,
    test_wallet,
)
