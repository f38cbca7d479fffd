from urllib.parse import urlsplit

from odoo import api, fields, models

# The hosts a provider's payment form loads in the subscriber's browser: a
# restricted subscriber must reach them to pay from the captive page.
PROVIDER_HOSTS = {
    "stripe": ("js.stripe.com", "api.stripe.com", "m.stripe.network", "checkout.stripe.com"),
}


class WispRouter(models.Model):
    _inherit = "wisp.router"

    wisp_hotspot_hosts = fields.Char(
        string="Hotspot Login Hosts",
        help="Host names or addresses of this router's hotspot login page, as they appear in "
        "the link-login-only URL the router sends to the hotspot page (the hotspot's DNS "
        "name or its address on the hotspot network, e.g. 10.5.50.1), comma-separated. A new "
        "hotspot login is posted only to these hosts.",
    )

    @api.model
    def _wisp_is_hotspot_login_url(self, url, site_code=None, company=None):
        """Whether ``url`` is the hotspot login page of one of our active routers: of the
        site ``site_code`` when that site has routers, else of any site of ``company``."""
        parts = urlsplit(url or "")
        try:
            host = parts.hostname
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not host:
            return False
        routers = self.sudo().search([("company_id", "in", (False, company.id))] if company else [])
        on_site = routers.filtered(lambda router: router.site_id.code == site_code)
        hosts = {
            name.strip().lower().strip("[]")
            for hosts in (on_site or routers).mapped("wisp_hotspot_hosts")
            if hosts
            for name in hosts.split(",")
            if name.strip()
        }
        return host.lower() in hosts

    def _setup_walled_garden_hosts(self, portal_host):
        hosts = super()._setup_walled_garden_hosts(portal_host)
        # which providers are on is no secret; the caller checked the role already
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search(
                [
                    ("state", "in", ("enabled", "test")),
                    ("company_id", "=", (self.company_id or self.env.company).id),
                ]
            )
        )
        for code in providers.mapped("code"):
            hosts += PROVIDER_HOSTS.get(code, ())
        return hosts
