from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    wisp_segment_id = fields.Many2one(
        "wisp.segment",
        string="Subscriber Segment",
        index="btree_not_null",
        ondelete="restrict",
        help="Send to the subscribers of this segment: its filter is read again when "
        "the campaign is sent, so it reaches whoever fits the segment that day.",
    )

    @api.onchange("wisp_segment_id")
    def _onchange_wisp_segment_id(self):
        if self.wisp_segment_id:
            self.mailing_model_id = self.env["ir.model"]._get("res.partner")

    @api.depends("wisp_segment_id")
    def _compute_mailing_domain(self):
        segmented = self.filtered(
            lambda m: m.wisp_segment_id and m.mailing_model_name == "res.partner"
        )
        for mailing in segmented:
            mailing.mailing_domain = mailing.wisp_segment_id.mailing_domain
        return super(MailingMailing, self - segmented)._compute_mailing_domain()

    @api.constrains("wisp_segment_id", "mailing_model_id")
    def _check_wisp_segment_model(self):
        for mailing in self.filtered("wisp_segment_id"):
            if mailing.mailing_model_name != "res.partner":
                raise ValidationError(
                    self.env._("A campaign to a subscriber segment is sent to contacts.")
                )

    def _get_recipients_domain(self):
        if self.wisp_segment_id:
            # the segment as it is now: its facts (prepaid ending within N days, cap
            # used, overdue) are measured at sending time
            return self.wisp_segment_id._wisp_domain()
        return super()._get_recipients_domain()

    def _get_recipients(self):
        # company-dependent facts (what is overdue) are the segment's company's, also
        # when the mail queue cron sends the campaign
        mailing = self.with_company(self.wisp_segment_id.company_id or self.env.company)
        return super(MailingMailing, mailing)._get_recipients()
