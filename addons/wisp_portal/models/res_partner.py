from urllib.parse import urlencode

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize


class ResPartner(models.Model):
    _inherit = "res.partner"

    wisp_referral_link = fields.Char(
        string="Referral Link",
        compute="_compute_wisp_referral_link",
        help="The account's own sign-up link (the connection request form with its "
        "referral code filled in): referral campaigns put it in their text.",
    )

    def mail_allowed_qweb_expressions(self):
        # campaign writers who are no template editors may put the subscriber's own
        # link in a campaign: it shows the recipient nothing but its referral code
        return (*super().mail_allowed_qweb_expressions(), "object.wisp_referral_link")

    def _compute_wisp_referral_link(self):
        for partner in self:
            # the code is made on first use, as the portal's dashboard shows it
            code = partner.commercial_partner_id.id and partner._wisp_referral_code_get()
            partner.wisp_referral_link = code and (
                f"{partner.get_base_url()}/connect?" + urlencode({"ref": code})
            )

    def _wisp_register_prepaid(self, vals):
        """A registered hotspot account gets a portal login (Odoo's invitation to set a
        password, sent to the e-mail given) so that it can spend the registration bonus:
        its wallet pays its next access code. An e-mail that already logs in to an
        account is refused: the visitor logs in there (nothing proves the address is
        theirs, so that account is neither credited nor linked)."""
        self.ensure_one()
        account = self.commercial_partner_id.sudo()
        email = email_normalize(vals.get("email") or "")
        if not account.user_ids and email:
            taken = (
                self.env["res.users"]
                .sudo()
                .with_context(active_test=False)
                .search_count([("login", "=ilike", email)], limit=1)
            )
            if taken:
                raise UserError(
                    self.env._(
                        "This e-mail address already has an account: log in to it and "
                        "redeem your codes there."
                    )
                )
        granted = super()._wisp_register_prepaid(vals)
        if not account.user_ids:
            wizard = (
                self.env["portal.wizard"]
                .sudo()
                .with_context(active_ids=account.ids)
                .create({"partner_ids": [(6, 0, account.ids)]})
            )
            wizard.user_ids.action_grant_access()
        return granted
