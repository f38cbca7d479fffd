"""A CPE model in stock, an installer with a van, and the installation of a device
through the real flow (schedule, then the completion wizard), shared by the suites."""

from odoo import Command
from odoo.tests import new_test_user


class CpeStockMixin:
    """Mix into a TransactionCase; call :meth:`setup_cpe_stock` from ``setUpClass``."""

    @classmethod
    def setup_cpe_stock(cls, rental_price=6.0, device_price=120.0):
        env = cls.env
        company = env.company
        Product = env["product.product"]
        cls.rental_fee = Product.create(
            {
                "name": "Test Router Rental",
                "type": "service",
                "is_wisp_addon": True,
                "taxes_id": [],
                "list_price": rental_price,
            }
        )
        cls.cpe_model = Product.create(
            {
                "name": "Test hAP ax2",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "is_wisp_cpe": True,
                "taxes_id": [],
                "list_price": device_price,
                "wisp_cpe_rental_product_id": cls.rental_fee.id,
                "wisp_cpe_installment_count": 12,
            }
        )
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.customers = env.ref("stock.stock_location_customers")
        cls.van = env["stock.location"].create(
            {
                "name": "Test Van",
                "usage": "internal",
                "location_id": cls.warehouse.view_location_id.id,
            }
        )
        cls.van_installer = new_test_user(
            env,
            login="t_cpe_installer",
            groups="wisp_subscriber.group_wisp_installer",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls.van_installer.wisp_van_location_id = cls.van
        cls.stock_clerk = new_test_user(
            env,
            login="t_cpe_stock",
            groups="stock.group_stock_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls._cpe_mac = 0

    @classmethod
    def put_in_stock(cls, serial, location=None):
        """Serial ``serial`` of the CPE model, one unit in ``location`` (default: van)."""
        lot = cls.env["stock.lot"].create(
            {"name": serial, "product_id": cls.cpe_model.id, "company_id": cls.env.company.id}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.cpe_model, location or cls.van, 1.0, lot_id=lot
        )
        return lot

    def schedule_cpe(self, service, ownership="rented", installer=None):
        """Plan the service's installation with the CPE model: the delivery is reserved."""
        order = service.installation_order_ids.filtered(lambda o: o.state == "draft")
        order.write(
            {
                "installer_id": (installer or self.van_installer).id,
                "scheduled_date": "2030-01-15 09:00:00",
                "cpe_product_id": self.cpe_model.id,
                "cpe_ownership": ownership,
            }
        )
        order.action_schedule()
        return order

    def complete_cpe(self, order, serial, installer=None):
        """The installer completes the order with the serial mounted."""
        type(self)._cpe_mac += 1
        n = type(self)._cpe_mac
        wizard = (
            self.env["wisp.installation.complete"]
            .with_user(installer or order.installer_id)
            .create(
                {
                    "order_id": order.id,
                    "device_name": "hAP ax2",
                    "serial_number": serial,
                    "mac_address": f"02:CE:00:00:{n // 256:02X}:{n % 256:02X}",
                }
            )
        )
        wizard.action_complete()
        return order.service_id.device_ids.filtered(lambda d: d.serial_number == serial)

    def validate(self, picking, user=None):
        """The warehouse validates ``picking`` in stock's own screens."""
        picking = picking.with_user(user or self.stock_clerk)
        for move in picking.move_ids:
            move.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
