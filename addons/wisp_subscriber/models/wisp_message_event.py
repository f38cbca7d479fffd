from odoo import api, fields, models

from ..tools.access import MANAGER, related_action


class WispMessageEvent(models.Model):
    """A moment the suite tells a subscriber about (services suspended, invoice issued...).

    Each addon declares its events as data, with the e-mail and SMS template of each;
    every company switches each event on or off (Settings > WISP > Subscriber Messages).
    Campaigns are not events: they go through Odoo's mass mailing, which honours the
    marketing opt-outs; events are service messages and reach every subscriber.
    """

    _name = "wisp.message.event"
    _description = "Subscriber Message Event"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True, index=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True, help="When the message is sent.")
    mail_template_id = fields.Many2one("mail.template", string="E-mail Template")
    sms_template_id = fields.Many2one("sms.template", string="SMS Template")
    confidential = fields.Boolean(
        readonly=True,
        help="The message carries a secret (an access code): sent to its recipient "
        "without being logged in a chatter, the e-mail deleted once sent.",
    )
    disabled_company_ids = fields.Many2many(
        "res.company",
        string="Switched Off For",
        help="Companies whose subscribers do not get this message.",
    )
    enabled = fields.Boolean(
        compute="_compute_enabled",
        inverse="_inverse_enabled",
        help="Sent to the current company's subscribers.",
    )
    message_count = fields.Integer(compute="_compute_message_count")

    _code_uniq = models.Constraint("UNIQUE(code)", "An event code must be unique.")

    @api.depends_context("company")
    @api.depends("disabled_company_ids")
    def _compute_enabled(self):
        for event in self:
            event.enabled = self.env.company not in event.disabled_company_ids

    def _inverse_enabled(self):
        for event in self:
            if event.enabled:
                event.disabled_company_ids -= self.env.company
            else:
                event.disabled_company_ids |= self.env.company

    def write(self, vals):
        result = super().write(vals)
        if "disabled_company_ids" in vals:
            self._cancel_switched_off()
        return result

    def _cancel_switched_off(self):
        """Switching an event off also holds back what was queued and not sent yet:
        the rows stay, cancelled with the reason, for staff to see."""
        queued = self.env["wisp.message"].sudo().browse()
        for event in self.filtered("disabled_company_ids"):
            queued |= queued.search(
                [
                    ("event_id", "=", event.id),
                    ("company_id", "in", event.disabled_company_ids.ids),
                    ("state", "=", "queued"),
                ]
            )
        queued.write(
            {
                "state": "cancel",
                "last_error": self.env._("The event was switched off before it was sent."),
            }
        )

    def _compute_message_count(self):
        counts = dict(
            self.env["wisp.message"]._read_group(
                [("event_id", "in", self.ids)], ["event_id"], ["__count"]
            )
        )
        for event in self:
            event.message_count = counts.get(event, 0)

    def action_view_messages(self):
        return related_action(
            self,
            (MANAGER,),
            "wisp_subscriber.action_wisp_message",
            lambda record: ([("event_id", "=", record.id)], None),
        )
