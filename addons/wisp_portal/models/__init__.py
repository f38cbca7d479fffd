# built before the models inheriting it
from . import wisp_api_origin_mixin  # isort: skip
from . import (
    account_payment,
    fastapi_endpoint,
    mailing_mailing,
    res_company,
    res_config_settings,
    res_partner,
    wisp_api_client,
    wisp_connection_request,
    wisp_router,
    wisp_segment,
    wisp_service,
    wisp_voucher_purchase,
)
