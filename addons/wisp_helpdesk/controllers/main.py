from odoo import http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.http import request


class WispHelpdeskTicketController(HelpdeskTicketController):
    """helpdesk_mgmt's portal form, plus the subscriber's own services."""

    def _wisp_portal_services(self):
        partner = request.env.user.commercial_partner_id
        return (
            request.env["wisp.service"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("state", "!=", "terminated"),
                ]
            )
        )

    def _wisp_service_from_form(self, kw):
        """The service the subscriber chose, or None; raise ValueError if not theirs."""
        raw = (kw.get("wisp_service") or "").strip()
        if not raw:
            return None
        try:
            service_id = int(raw)
        except ValueError as exc:
            raise ValueError(request.env._("Unknown service.")) from exc
        service = self._wisp_portal_services().filtered(lambda s: s.id == service_id)
        if not service:
            raise ValueError(
                request.env._("This service is not one of yours: choose one of your services.")
            )
        return service

    def _get_create_new_ticket_values(self, **kw):
        values = super()._get_create_new_ticket_values(**kw)
        values["wisp_services"] = self._wisp_portal_services()
        return values

    def _prepare_submit_ticket_vals(self, **kw):
        vals = super()._prepare_submit_ticket_vals(**kw)
        service = self._wisp_service_from_form(kw)
        if service:
            vals["wisp_service_id"] = service.id
        return vals

    @http.route("/submitted/ticket", type="http", auth="user", website=True, csrf=True)
    def submit_ticket(self, **kw):
        try:
            self._wisp_service_from_form(kw)
        except ValueError as exc:
            values = self._get_create_new_ticket_values(**kw)
            values["wisp_error"] = str(exc)
            return request.render("helpdesk_mgmt.portal_create_ticket", values, status=403)
        return super().submit_ticket(**kw)
