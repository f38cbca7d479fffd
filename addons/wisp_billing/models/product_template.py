from odoo import models


class ProductTemplate(models.Model):
    """A plan may carry a minimum term and an early-termination fee."""

    _name = "product.template"
    _inherit = ["product.template", "wisp.term.mixin"]
