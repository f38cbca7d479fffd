from odoo import api, fields, models
from odoo.exceptions import ValidationError


class WispConnectionRequest(models.Model):
    _inherit = "wisp.connection.request"

    reseller_id = fields.Many2one(
        "res.partner",
        string="Signed Up By",
        domain="[('wisp_is_reseller', '=', True)]",
        index="btree_not_null",
        tracking=True,
        help="The reseller who brought this prospect; it follows the request on its portal.",
    )

    referral_code = fields.Char(
        tracking=True,
        help="Code of the subscriber who recommended us. When the request makes a new "
        "account, that account is recorded as referred: both get the referral credit once "
        "its first invoice is paid.",
    )

    wisp_promotion_id = fields.Many2one(
        "wisp.promotion",
        string="Promotion",
        domain="[('kind', '=', 'signup'), ('company_id', '=', company_id)]",
        tracking=True,
        help="Sign-up promotion given to the service made from this request (typed as a "
        "promo code on the website or reseller sign-up form).",
    )

    @api.model
    def _wisp_referrer_of(self, code):
        """The account whose referral code is ``code`` (typed by a person: spaces and
        case do not matter), or an empty recordset."""
        code = (code or "").strip().upper()
        Partner = self.env["res.partner"].sudo()
        if not code:
            return Partner
        return Partner.search([("wisp_referral_code", "=", code)], limit=1)

    @api.constrains("referral_code")
    def _check_referral_code(self):
        for request in self.filtered("referral_code"):
            if not self._wisp_referrer_of(request.referral_code):
                raise ValidationError(
                    self.env._("Referral code %(code)s does not exist.", code=request.referral_code)
                )

    def action_convert(self):
        res = super().action_convert()
        self._wisp_give_promotions()
        for request in self.filtered("referral_code"):
            account = request.partner_id.commercial_partner_id
            referrer = self._wisp_referrer_of(request.referral_code)
            # only a new account can be referred (conversion itself invoices nothing):
            # an existing subscriber typing a friend's code gets nothing
            invoiced = (
                self.env["account.move"]
                .sudo()
                .search_count(
                    [("commercial_partner_id", "=", account.id), ("move_type", "=", "out_invoice")],
                    limit=1,
                )
            )
            if invoiced or account.wisp_referred_by_id or referrer == account:
                request.message_post(
                    body=self.env._(
                        "Referral code %(code)s not applied: %(account)s is not a new account.",
                        code=request.referral_code,
                        account=account.display_name,
                    )
                )
                continue
            account._wisp_set_referrer(request.referral_code)
        return res

    def _wisp_give_promotions(self):
        """The sign-up promotion of each converted request goes to its new service
        (checked again: it may have expired or been used up since the request)."""
        for request in self.filtered(lambda r: r.wisp_promotion_id and r.service_id):
            # conversion was checked (support); giving the promotion is bookkeeping
            error = request.wisp_promotion_id.sudo()._wisp_give_signup(request.service_id)
            if error:
                request.message_post(
                    body=self.env._(
                        "Promotion %(promotion)s not given: %(reason)s",
                        promotion=request.wisp_promotion_id.display_name,
                        reason=error,
                    )
                )

    @api.model
    def _wisp_offered_plans(self, service_type=None):
        """Plans a prospect may ask for: sellable recurring plans of the current
        company or shared ones (prepaid plans are sold as vouchers, never installed).

        In sudo: the website's public visitors and resellers read them to choose.
        """
        domain = [
            ("is_wisp_plan", "=", True),
            ("is_prepaid", "=", False),
            ("sale_ok", "=", True),
            ("company_id", "in", [False, self.env.company.id]),
        ]
        if service_type:
            domain.append(("service_type", "=", service_type))
        return self.env["product.product"].sudo().search(domain, order="list_price, name, id")
