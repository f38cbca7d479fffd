"""The shaping topology for LibreQoS, as a file download (network team only)."""

from odoo import http
from odoo.http import content_disposition, request


class LibreQoSExport(http.Controller):
    @http.route("/wisp_network/libreqos.zip", type="http", auth="user", methods=["GET"])
    def libreqos_export(self):
        # _libreqos_export checks the role (AccessError: 403); record rules scope the data
        data = request.env["wisp.site"]._libreqos_export()
        return request.make_response(
            data,
            headers=[
                ("Content-Type", "application/zip"),
                ("Content-Disposition", content_disposition("libreqos.zip")),
                ("Cache-Control", "no-store"),
            ],
        )
