from . import (
    wisp_import,
    wisp_installation_complete,
    wisp_installation_proposal,
    wisp_service_state_change,
)
