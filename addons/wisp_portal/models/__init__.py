from . import (
    mailing_mailing,
    res_company,
    res_config_settings,
    res_partner,
    wisp_router,
    wisp_segment,
    wisp_service,
    wisp_voucher_purchase,
)
