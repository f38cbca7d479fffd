from . import (
    res_partner,
    wisp_circuit_test,
    wisp_dashboard,
    wisp_ip_address,
    wisp_ip_pool,
    wisp_network_job,
    wisp_radius_server,
    wisp_router,
    wisp_service,
    wisp_service_usage,
    wisp_site,
)
