from . import wisp_service
