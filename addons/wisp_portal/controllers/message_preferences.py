from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import ValidationError
from odoo.http import request

CHANNELS = ("email", "sms", "both")


class WispMessagePreferences(CustomerPortal):
    """/my/messages: how the subscriber hears from us, and whether it wants offers."""

    @http.route("/my/messages", type="http", auth="user", website=True, methods=["GET"])
    def wisp_message_preferences(self, **kwargs):
        return self._wisp_message_preferences_page()

    @http.route("/my/messages", type="http", auth="user", website=True, methods=["POST"], csrf=True)
    def wisp_message_preferences_save(self, channel=None, marketing_opt_out=None, **kwargs):
        if channel not in CHANNELS:
            return self._wisp_message_preferences_page(
                error=request.env._("Choose e-mail, SMS or both."), status=400
            )
        # the user's own partner only: no id comes from the request
        partner = request.env.user.partner_id.sudo()
        try:
            with request.env.cr.savepoint():
                partner._wisp_set_message_preferences(channel, bool(marketing_opt_out))
        except ValidationError as exc:
            return self._wisp_message_preferences_page(error=exc.args[0], status=400)
        return self._wisp_message_preferences_page(saved=True)

    def _wisp_message_preferences_page(self, error=None, saved=False, status=200):
        partner = request.env.user.partner_id.sudo()
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "wisp_messages",
            "channel": partner.wisp_message_channel or "email",
            "email": partner.email,
            "sms_number": partner.wisp_sms_number,
            "marketing_opt_out": partner._wisp_marketing_opted_out(),
            "error": error,
            "saved": saved,
        }
        return request.render("wisp_portal.portal_my_message_preferences", values, status=status)
