from odoo.addons.wisp_subscriber.tests.access_matrix import AccessMatrixCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    """wisp_portal's methods and fields as every role (see ``access_matrix``)."""

    MODULE = "wisp_portal"
