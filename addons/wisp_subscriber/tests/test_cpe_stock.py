from odoo.exceptions import AccessError, UserError, ValidationError

from .common import WispSubscriberCase, make_portal_user
from .cpe_stock import CpeStockMixin


class TestCpeStock(CpeStockMixin, WispSubscriberCase):
    """CPE models from Odoo stock: the installation delivers a serial from the
    installer's van (else the warehouse) to the subscriber; termination asks for it back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_cpe_stock()
        cls.lot_van = cls.put_in_stock("SN-VAN-1")
        cls.lot_wh = cls.put_in_stock("SN-WH-1", cls.warehouse.lot_stock_id)

    def location_of(self, lot):
        quants = self.env["stock.quant"].search([("lot_id", "=", lot.id), ("quantity", ">", 0)])
        return quants.location_id

    # ------------------------------------------------------------------ delivery
    def test_scheduling_reserves_the_device_in_the_installers_van(self):
        service = self.new_service(state="confirmed")
        # the office schedules without any stock right
        order = self.schedule_cpe(service.with_user(self.support)).sudo()
        picking = order.picking_id
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(picking.picking_type_id, self.warehouse.out_type_id)
        self.assertEqual(picking.location_id, self.van)
        self.assertEqual(picking.location_dest_id, self.customers)
        self.assertEqual(picking.partner_id, self.subscriber)
        self.assertEqual(picking.move_line_ids.lot_id, self.lot_van)
        self.assertEqual(service.state, "installation")

    def test_installer_without_a_van_delivers_from_the_warehouse(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"), installer=self.installer)
        self.assertEqual(order.picking_id.location_id, self.warehouse.lot_stock_id)
        self.assertEqual(order.picking_id.move_line_ids.lot_id, self.lot_wh)

    def test_completion_delivers_the_serial_mounted(self):
        """The installer took another serial than the one reserved: that one is delivered."""
        service = self.new_service(state="confirmed")
        order = self.schedule_cpe(service)
        device = self.complete_cpe(order, "SN-WH-1")
        picking = order.picking_id
        self.assertEqual((order.state, service.state, picking.state), ("done", "active", "done"))
        self.assertEqual(picking.move_line_ids.lot_id, self.lot_wh)
        self.assertEqual(self.location_of(self.lot_wh), self.customers)
        self.assertEqual(self.location_of(self.lot_van), self.van, "the reserved one stays")
        self.assertEqual(
            (device.product_id, device.lot_id, device.ownership, device.stock_state),
            (self.cpe_model, self.lot_wh, "rented", "installed"),
        )
        self.assertEqual(device.delivery_picking_id, picking)
        self.assertIn(self.rental_fee, service.addon_ids, "a rented device bills its fee")
        self.assertFalse(service.installment_ids)

    def test_a_serial_not_in_stock_is_refused(self):
        service = self.new_service(state="confirmed")
        order = self.schedule_cpe(service)
        with self.assertRaisesRegex(UserError, "not a Test hAP ax2 in stock"):
            self.complete_cpe(order, "SN-NOWHERE")
        self.assertEqual((order.state, order.picking_id.state), ("scheduled", "assigned"))

    def test_a_sold_device_is_paid_in_installments(self):
        service = self.new_service(state="confirmed")
        device = self.complete_cpe(self.schedule_cpe(service, ownership="sold"), "SN-VAN-1")
        self.assertEqual(device.ownership, "sold")
        installment = service.installment_ids
        self.assertEqual(
            (installment.amount, installment.installment_count, installment.product_id),
            (10.0, 12, self.cpe_model),
        )
        self.assertNotIn(self.rental_fee, service.addon_ids)
        service.with_user(self.billing).action_terminate()
        self.assertFalse(device.return_picking_id, "a sold device is the subscriber's")
        self.assertEqual(device.stock_state, "installed")

    def test_cancelling_the_order_cancels_the_delivery(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"))
        order.with_user(self.support).action_cancel()
        self.assertEqual(order.picking_id.state, "cancel")
        self.assertEqual(self.location_of(self.lot_van), self.van)

    def test_another_installer_delivers_from_their_own_stock(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"))
        first = order.picking_id
        order.with_user(self.support).installer_id = self.installer
        self.assertEqual(first.state, "cancel")
        self.assertEqual(order.picking_id.location_id, self.warehouse.lot_stock_id)
        self.assertEqual(order.picking_id.state, "assigned")

    def test_an_order_without_a_cpe_model_moves_no_stock(self):
        service = self.new_service(state="installation")
        self.mount_device(service)
        service.installation_order_ids.with_user(self.installer).action_done()
        self.assertEqual(service.state, "active")
        self.assertFalse(service.installation_order_ids.picking_id)
        self.assertFalse(service.device_ids.stock_state)

    # ------------------------------------------------------------------ return
    def test_termination_returns_the_device_and_validation_puts_it_back(self):
        service = self.new_service(state="confirmed")
        device = self.complete_cpe(self.schedule_cpe(service), "SN-VAN-1")
        service.with_user(self.billing).action_terminate()
        back = device.return_picking_id
        self.assertEqual(device.stock_state, "to_return")
        self.assertTrue(device.return_requested_date)
        self.assertEqual(back.state, "assigned")
        self.assertEqual(back.location_id, self.customers)
        self.assertEqual(back.location_dest_id, self.warehouse.lot_stock_id)
        self.assertEqual(back.move_line_ids.lot_id, self.lot_van)
        self.validate(back)
        self.assertEqual(device.stock_state, "returned")
        self.assertEqual(self.location_of(self.lot_van), self.warehouse.lot_stock_id)
        self.assertNotIn(self.rental_fee, service.addon_ids)

    def test_a_device_never_returned_stays_to_return(self):
        service = self.new_service(state="confirmed")
        device = self.complete_cpe(self.schedule_cpe(service), "SN-VAN-1")
        service.with_user(self.network).action_terminate()
        self.assertEqual(device.stock_state, "to_return")
        self.assertEqual(self.location_of(self.lot_van), self.customers)
        # it is not in the van any more: the next delivery from the van waits for stock
        other = self.new_service(state="confirmed", partner=self.other_subscriber)
        self.assertEqual(self.schedule_cpe(other).picking_id.state, "confirmed")

    # ------------------------------------------------------------------ rules and rights
    def test_the_serial_number_is_the_lots(self):
        device = self.complete_cpe(
            self.schedule_cpe(self.new_service(state="confirmed")), "SN-VAN-1"
        )
        with self.assertRaisesRegex(ValidationError, "came out of stock as serial SN-VAN-1"):
            device.with_user(self.network).serial_number = "SN-OTHER"
        for field, value in (
            ("stock_state", "returned"),
            ("ownership", "sold"),
            ("lot_id", self.lot_wh.id),
        ):
            with self.assertRaises(AccessError, msg=field):
                device.with_user(self.network).write({field: value})

    def test_installers_reach_stock_only_through_their_orders(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"))
        picking = order.picking_id
        # no stock group: stock's own methods are refused by RPC
        with self.assertRaises(AccessError):
            picking.with_user(self.van_installer).button_validate()
        with self.assertRaises(AccessError):
            picking.with_user(self.installer2).read(["state"])
        # another installer's order cannot be completed (its delivery with it)
        with self.assertRaises(AccessError):
            self.complete_cpe(order, "SN-VAN-1", installer=self.installer2)
        self.assertEqual(picking.state, "assigned")

    def test_portal_sees_its_device_not_stock(self):
        service = self.new_service(state="confirmed")
        device = self.complete_cpe(self.schedule_cpe(service), "SN-VAN-1")
        portal = make_portal_user(self.env, "t_cpe_portal", self.subscriber)
        self.assertEqual(device.with_user(portal).serial_number, "SN-VAN-1")
        with self.assertRaises(AccessError):
            device.with_user(portal).read(["delivery_picking_id"])
        with self.assertRaises(AccessError):
            device.delivery_picking_id.with_user(portal).read(["name"])

    def test_a_cpe_model_is_tracked_by_serial(self):
        with self.assertRaisesRegex(ValidationError, "by serial number"):
            self.env["product.product"].create(
                {"name": "Untracked", "type": "consu", "is_storable": True, "is_wisp_cpe": True}
            )

    def test_completion_proposes_the_reserved_serial(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"))
        values = (
            self.env["wisp.installation.complete"]
            .with_user(self.van_installer)
            .with_context(default_order_id=order.id)
            .default_get(["order_id", "device_name", "serial_number"])
        )
        self.assertEqual(
            (values["device_name"], values["serial_number"]), ("Test hAP ax2", "SN-VAN-1")
        )

    def test_a_customer_owned_device_leaves_no_stock(self):
        order = self.schedule_cpe(self.new_service(state="confirmed"), ownership="customer_owned")
        self.assertFalse(order.picking_id)
