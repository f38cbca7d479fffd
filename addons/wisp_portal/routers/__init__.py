from . import wisp_api
