from . import wisp_installation_complete
