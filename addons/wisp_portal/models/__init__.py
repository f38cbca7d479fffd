from . import wisp_router, wisp_service, wisp_voucher_purchase
