"""The RouterOS setup script of a router, as a file download (network team only)."""

from odoo import http
from odoo.http import content_disposition, request


class RouterSetup(http.Controller):
    @http.route(
        "/wisp_network/router/<int:router_id>/setup.rsc",
        type="http",
        auth="user",
        methods=["GET"],
    )
    def router_setup_script(self, router_id):
        router = request.env["wisp.router"].browse(router_id).exists()
        if not router:
            raise request.not_found()
        # _setup_script checks the role and the record access (AccessError: 403)
        script = router._setup_script()
        filename = f"wisp-setup-{router.id}.rsc"
        return request.make_response(
            script,
            headers=[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Disposition", content_disposition(filename)),
                ("Cache-Control", "no-store"),
            ],
        )
