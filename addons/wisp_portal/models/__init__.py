from . import (
    res_company,
    res_config_settings,
    res_partner,
    wisp_router,
    wisp_service,
    wisp_voucher_purchase,
)
