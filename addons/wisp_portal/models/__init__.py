from . import (
    account_payment,
    fastapi_endpoint,
    res_company,
    res_config_settings,
    res_partner,
    wisp_api_client,
    wisp_connection_request,
    wisp_router,
    wisp_service,
    wisp_voucher_purchase,
)
