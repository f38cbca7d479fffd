from . import (
    test_access_code_purchase,
    test_captive,
    test_connection_request_form,
    test_hotspot,
    test_portal_dashboard,
    test_portal_plan_change,
    test_portal_wallet,
    test_reseller_portal,
    test_tours,
    test_voucher_expiry_network,
)
