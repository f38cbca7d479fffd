from . import wisp_import
