from odoo.addons.wisp_billing.tests.test_access_matrix import (
    TestAccessMatrix as BillingAccessMatrix,
)
from odoo.addons.wisp_network.tests.test_access_matrix import (
    TestAccessMatrix as NetworkAccessMatrix,
)
from odoo.addons.wisp_subscriber.tests.access_matrix import AccessMatrixCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_portal's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_portal"
    PROTECTED_FIELDS = {
        "wisp.voucher.purchase": {"wisp_client_key": ()},
        "wisp.router": {"wisp_hotspot_hosts": ("network",)},
    }

    @classmethod
    def _matrix_module_records(cls):
        # the portal extends billing's and network's models: their records serve
        for matrix in (BillingAccessMatrix, NetworkAccessMatrix):
            matrix._matrix_module_records.__func__(cls)
        # API clients of this company and of another one (the manager's outside)
        for company in (cls.env.company, cls.other_company):
            client = cls.env["wisp.api.client"].create(
                {"name": f"Matrix API {company.name}", "company_id": company.id}
            )
            client.action_new_key()
