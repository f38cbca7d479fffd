"""Migration, the network part: no provisioning storm.

While importing, no service queues a sync job (``wisp_network_no_sync`` for the
writes, ``wisp_import`` for the life-cycle moves, both honoured for the superuser
only); once every row is written, each router serving an imported service that
was created or changed gets one reconcile job, which applies the whole desired
state of that router in one pass.
"""

from odoo import api, models

from ..models.wisp_service import NO_SYNC


class WispImport(models.TransientModel):
    _inherit = "wisp.import"

    @api.model
    def _wisp_import_context(self):
        return {**super()._wisp_import_context(), "wisp_network_no_sync": NO_SYNC}

    def _wisp_import_rows(self, rows):
        result = super()._wisp_import_rows(rows)
        routers = result["changed_services"].router_id.filtered("provisioning_enabled")
        result["reconciled_routers"] = routers
        routers._enqueue_reconcile()
        return result
