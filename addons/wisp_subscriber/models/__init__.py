# the mixins first: models below inherit them
from . import wisp_outbox_mixin, wisp_protected_fields_mixin  # isort: skip
from . import (
    product_template,
    res_company,
    res_partner,
    res_users,
    stock_picking,
    wisp_connection_request,
    wisp_cpe_device,
    wisp_dashboard,
    wisp_installation_order,
    wisp_message,
    wisp_message_event,
    wisp_service,
    wisp_service_installment,
    wisp_service_usage_period,
    wisp_site,
    wisp_webhook,
    wisp_webhook_delivery,
    wisp_webhook_event,
)
