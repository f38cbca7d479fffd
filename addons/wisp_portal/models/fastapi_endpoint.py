from starlette.middleware import Middleware

from odoo import fields, models

from ..routers.wisp_api import API_DESCRIPTION, QuietRefusals, router


class FastapiEndpoint(models.Model):
    _inherit = "fastapi.endpoint"

    app = fields.Selection(selection_add=[("wisp", "WISP API")], ondelete={"wisp": "cascade"})

    def _get_fastapi_routers(self):
        if self.app == "wisp":
            return [router]
        return super()._get_fastapi_routers()

    def _prepare_fastapi_app_params(self):
        params = super()._prepare_fastapi_app_params()
        if self.app == "wisp":
            params.update(version="1", description=self.description or API_DESCRIPTION)
        return params

    def _get_fastapi_app_middlewares(self):
        middlewares = super()._get_fastapi_app_middlewares()
        if self.app == "wisp":
            middlewares.append(Middleware(QuietRefusals))
        return middlewares
