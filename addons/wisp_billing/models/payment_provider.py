from odoo import api, models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    @api.model
    def _wisp_demo_enable_demo_provider(self):
        """Demo data: Odoo's demo provider in test mode, published, saving cards, so that
        Pay now, wallet top-ups and code purchases work out of the box.

        Its module (``payment_demo``) is installed next to the suite by ``bin/wisp run``,
        never required by it: without it, nothing is done.
        """
        provider = self.env.ref("payment.payment_provider_demo", raise_if_not_found=False)
        if not provider or provider.code != "demo" or provider.state != "disabled":
            return False
        provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        return True
