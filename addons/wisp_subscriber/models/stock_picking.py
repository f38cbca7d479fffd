from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        """A validated return of a CPE device puts it back in stock, however it was
        validated (the warehouse's own screens, a barcode scanner)."""
        res = super()._action_done()
        done = self.filtered(lambda p: p.state == "done")
        if done:
            self.env["wisp.cpe.device"].sudo().search(
                [
                    ("return_picking_id", "in", done.ids),
                    ("stock_state", "in", ("to_return", "lost")),
                ]
            )._wisp_returned()
        return res
