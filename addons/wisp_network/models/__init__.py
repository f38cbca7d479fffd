from . import (
    res_partner,
    wisp_circuit_test,
    wisp_cpe_device,
    wisp_dashboard,
    wisp_network_job,
    wisp_radius_server,
    wisp_router,
    wisp_service,
    wisp_service_session,
    wisp_service_usage,
    wisp_site,
)
