from . import wisp_api_client_key
