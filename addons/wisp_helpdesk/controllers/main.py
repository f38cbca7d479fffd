from werkzeug.exceptions import NotFound

from odoo import http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.http import request


class WispHelpdeskTicketController(HelpdeskTicketController):
    """helpdesk_mgmt's portal form, plus the subscriber's own services; its routes
    act on a ticket only for that ticket's account or staff, by POST only."""

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

    def _wisp_choice_error(self, kw):
        """What is wrong with the category or team chosen, or None.

        helpdesk_mgmt takes any id: a category (its team, priority, company) or
        a team that the portal does not offer would be used as posted.
        """
        category = kw.get("category") or ""
        if category and (
            not category.isdigit() or int(category) not in self._get_categories(**kw).ids
        ):
            return request.env._("Choose one of the categories in the list.")
        team = kw.get("team") or ""
        company = (
            request.env["helpdesk.ticket.category"].browse(int(category or 0)).company_id
            or request.env.company
        )
        if team and company.helpdesk_mgmt_portal_select_team:
            teams = self._get_teams() or request.env["helpdesk.ticket.team"]
            if not team.isdigit() or int(team) not in teams.ids:
                return request.env._("Choose one of the teams in the list.")
        return None

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

    @http.route(
        "/submitted/ticket", type="http", auth="user", methods=["POST"], website=True, csrf=True
    )
    def submit_ticket(self, **kw):
        # POST only: a GET is never checked for CSRF and would file tickets for
        # whoever follows a link.
        try:
            self._wisp_service_from_form(kw)
        except ValueError as exc:
            return self._wisp_form_error(kw, str(exc), 403)
        error = self._wisp_choice_error(kw)
        if error:
            return self._wisp_form_error(kw, error, 400)
        return super().submit_ticket(**kw)

    def _wisp_form_error(self, kw, message, status):
        values = self._get_create_new_ticket_values(**kw)
        values["wisp_error"] = message
        return request.render("helpdesk_mgmt.portal_create_ticket", values, status=status)

    @http.route("/ticket/close", type="http", auth="user", methods=["POST"], csrf=True)
    def support_ticket_close(self, **kw):
        """Close a ticket in a stage offered on the portal.

        POST with the CSRF token only, by the ticket's own account (its
        commercial partner) or staff who may edit it. Anything else is a 404,
        the same as for a ticket that does not exist.
        """
        ids = [kw.get("ticket_id") or "", kw.get("stage_id") or ""]
        if not all(value.isdigit() for value in ids):
            raise NotFound()
        ticket = request.env["helpdesk.ticket"].sudo().browse(int(ids[0])).exists()
        if not ticket or not self._wisp_may_close(ticket):
            raise NotFound()
        stage = self._wisp_portal_close_stages(ticket).filtered(lambda s: s.id == int(ids[1]))
        if not stage:
            raise NotFound()
        # checked above: the portal user may not write tickets itself
        ticket.stage_id = stage
        return request.redirect(f"/my/ticket/{ticket.id}")

    def _wisp_may_close(self, ticket_sudo):
        user = request.env.user
        if user.share:
            partner = ticket_sudo.partner_id
            return bool(partner) and partner.commercial_partner_id == user.commercial_partner_id
        return ticket_sudo.with_user(user).has_access("write")

    def _wisp_portal_close_stages(self, ticket_sudo):
        """The closing stages the ticket's portal page offers (helpdesk_mgmt's rule)."""
        if ticket_sudo.team_id:
            stages = ticket_sudo.team_id._get_applicable_stages()
        else:
            stages = (
                request.env["helpdesk.ticket.stage"]
                .sudo()
                .search(
                    [
                        ("company_id", "in", [False, ticket_sudo.company_id.id]),
                        ("team_ids", "=", False),
                    ]
                )
            )
        return stages.filtered("close_from_portal")
