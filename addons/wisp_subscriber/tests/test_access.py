from odoo.exceptions import AccessError

from .common import WispSubscriberCase, make_portal_user


class TestAccess(WispSubscriberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = make_portal_user(cls.env, "t_portal", cls.subscriber)

    def test_installer_sees_only_own_orders(self):
        mine = self.new_service(state="confirmed").installation_order_ids
        theirs = self.new_service(state="confirmed").installation_order_ids
        mine.installer_id = self.installer
        theirs.installer_id = self.installer2
        Order = self.env["wisp.installation.order"].with_user(self.installer)
        self.assertEqual(Order.search([]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.installer).read(["name"])
        with self.assertRaises(AccessError):
            theirs.with_user(self.installer).write({"report": "not mine"})

    def test_installer_completes_own_order(self):
        service = self.new_service(state="installation")
        order = service.installation_order_ids.with_user(self.installer)
        order.write({"report": "Aligned at -55 dBm"})
        self.mount_device(service)
        order.action_done()
        self.assertEqual(service.state, "active")
        with self.assertRaises(AccessError):
            service.with_user(self.installer).write({"ip_address": "10.0.0.9"})

    def test_support_cannot_edit_plan_prices(self):
        self.assertEqual(self.plan.with_user(self.support).list_price, 30.0)
        with self.assertRaises(AccessError):
            self.plan.with_user(self.support).write({"list_price": 1.0})
        with self.assertRaises(AccessError):
            self.plan.product_tmpl_id.with_user(self.support).write({"list_price": 1.0})
        self.plan.product_tmpl_id.with_user(self.manager).write({"list_price": 32.0})
        self.assertEqual(self.plan.list_price, 32.0)

    def test_support_cannot_cut_off_a_customer(self):
        service = self.new_service(state="active")
        for method in ("action_suspend", "action_restrict", "action_terminate", "action_pause"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(service.with_user(self.support), method)()
        self.assertEqual(service.state, "active")
        service.with_user(self.billing).action_suspend(reason="Overdue")
        service.with_user(self.network).action_reactivate()
        self.assertEqual(service.state, "active")

    def test_support_takes_orders(self):
        service = (
            self.env["wisp.service"]
            .with_user(self.support)
            .create(
                {
                    "partner_id": self.subscriber.id,
                    "plan_id": self.plan.id,
                }
            )
        )
        service.action_confirm()
        self.assertEqual(service.state, "confirmed")

    def test_network_password_hidden_from_support_and_billing(self):
        service = self.new_service(state="active")
        service.installation_order_ids.installer_id = self.installer
        for user in (self.support, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                service.with_user(user).read(["network_password"])
        for user in (self.network, self.installer, self.manager):
            self.assertTrue(service.with_user(user).network_password)
        fields_seen = self.env["wisp.service"].with_user(self.support).fields_get()
        self.assertNotIn("network_password", fields_seen)

    def test_portal_user_sees_only_own_services(self):
        own = self.new_service(state="active")
        device = self.env["wisp.cpe.device"].create(
            {"service_id": own.id, "name": "Radio", "mac_address": "00:11:22:33:44:55"}
        )
        other = self.new_service(state="active", partner=self.other_subscriber)
        other_device = self.env["wisp.cpe.device"].create(
            {"service_id": other.id, "name": "Radio", "mac_address": "00:11:22:33:44:56"}
        )
        Service = self.env["wisp.service"].with_user(self.portal_user)
        self.assertEqual(Service.search([]), own)
        with self.assertRaises(AccessError):
            other.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            other_device.with_user(self.portal_user).read(["name"])
        self.assertEqual(device.with_user(self.portal_user).name, "Radio")
        with self.assertRaises(AccessError):
            own.with_user(self.portal_user).write({"ip_address": "10.9.9.9"})
        with self.assertRaises(AccessError):
            own.with_user(self.portal_user).read(["network_password"])

    def test_billing_manages_installments_support_only_reads(self):
        service = self.new_service(state="active")
        values = {"service_id": service.id, "name": "Router", "amount": 5.0, "installment_count": 6}
        plan = self.env["wisp.service.installment"].with_user(self.billing).create(values)
        self.assertEqual(plan.with_user(self.support).amount, 5.0)
        with self.assertRaises(AccessError):
            plan.with_user(self.support).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["wisp.service.installment"].with_user(self.installer).search([])

    def test_installer_reads_only_the_passwords_of_own_open_orders(self):
        mine = self.new_service(state="confirmed")
        theirs = self.new_service(state="confirmed")
        unassigned = self.new_service(state="active")
        mine.installation_order_ids.installer_id = self.installer
        theirs.installation_order_ids.installer_id = self.installer2
        services = mine | theirs | unassigned
        Service = self.env["wisp.service"].with_user(self.installer)
        expected = {mine.id: mine.sudo().network_password}
        read = Service.browse(mine.ids).read(["network_password"])
        self.assertEqual({row["id"]: row["network_password"] for row in read}, expected)
        rows = Service.search_read([("id", "in", services.ids)], ["network_password"])
        self.assertEqual({row["id"]: row["network_password"] for row in rows}, expected)
        # the services of other orders are not even readable (record rule)
        for other in (theirs, unassigned):
            with self.assertRaises(AccessError):
                Service.browse(other.ids).read(["network_password"])
        # the password is no search criterion nor group key (no guessing it by prefix)
        with self.assertRaises(ValueError):
            Service.search([("network_password", "=like", "a%")])
        with self.assertRaises(ValueError):
            Service.formatted_read_group([], ["network_password"], ["__count"])
        # network engineers and managers read them all
        for user in (self.network, self.manager):
            rows = services.with_user(user).read(["network_password"])
            self.assertTrue(all(row["network_password"] for row in rows))
        # once the installation is done, the installer no longer needs it
        order = mine.installation_order_ids
        order.write({"scheduled_date": "2030-01-15 09:00:00"})
        order.action_schedule()
        self.mount_device(mine)
        order.with_user(self.installer).action_done()
        self.assertFalse(mine.with_user(self.installer).network_password)

    def test_installer_cannot_point_an_order_to_another_service(self):
        order = self.new_service(state="confirmed").installation_order_ids
        order.installer_id = self.installer
        other = self.new_service(state="confirmed")
        for vals in (
            {"service_id": other.id},
            {"installer_id": self.installer2.id},
            {"state": "done"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                order.with_user(self.installer).write(vals)
        self.assertFalse(other.with_user(self.installer).network_password)
        order.with_user(self.installer).write({"report": "Mast mounted, -58 dBm"})
        self.assertEqual(order.report, "Mast mounted, -58 dBm")

    def test_portal_cannot_read_staff_notes(self):
        service = self.new_service(state="active", note="<p>Owner is rude, call the tenant</p>")
        device = self.env["wisp.cpe.device"].create(
            {"service_id": service.id, "name": "Radio", "note": "Spare key under the mat"}
        )
        for records, fields in (
            (service, ["note", "installation_order_ids", "installation_count"]),
            (device, ["note"]),
        ):
            Model = records.with_user(self.portal_user)
            for field in fields:
                with self.subTest(model=records._name, field=field):
                    with self.assertRaises(AccessError):
                        Model.read([field])
                    with self.assertRaises(AccessError):
                        Model.search_read([], [field])
            with self.assertRaises(AccessError):
                Model.search([("note", "ilike", "key")])
            with self.assertRaises(AccessError):
                Model.formatted_read_group([], ["note"], ["__count"])
            self.assertNotIn("note", Model.fields_get())
        # what the subscriber does see of its own service
        self.assertEqual(
            service.with_user(self.portal_user).read(["name"])[0]["name"], service.name
        )


class TestRoleScope(WispSubscriberCase):
    """Each role calls the public methods of wisp_subscriber outside its scope: refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = make_portal_user(cls.env, "t_scope_portal", cls.subscriber)

    def test_portal_calls_no_action(self):
        service = self.new_service(state="confirmed")
        order = service.installation_order_ids
        calls = [
            (service, "action_confirm"),
            (service, "action_activate"),
            (service, "action_view_devices"),
            (service, "action_view_installation_orders"),
            (service, "action_regenerate_password"),
            (self.subscriber, "action_make_subscriber"),
            (self.subscriber, "action_view_services"),
            (self.site, "action_view_services"),
            (order, "action_done"),
            (order, "action_cancel"),
        ]
        # an id that does not exist is refused like another's record, not "missing"
        missing = service.browse(10**9)
        calls.append((missing, "action_view_devices"))
        calls.append((self.subscriber.browse(10**9), "action_view_services"))
        calls.append((self.site.browse(10**9), "action_view_services"))
        for records, method in calls:
            with self.subTest(model=records._name, method=method), self.assertRaises(AccessError):
                getattr(records.with_user(self.portal_user), method)()
        self.assertEqual((service.state, order.state), ("confirmed", "draft"))

    def test_installer_completes_only_its_own_orders_and_cancels_none(self):
        mine = self.new_service(state="installation").installation_order_ids  # self.installer's
        theirs = self.new_service(state="installation").installation_order_ids
        theirs.installer_id = self.installer2
        with self.assertRaises(AccessError):
            theirs.with_user(self.installer).action_done()
        for method in ("action_cancel", "action_schedule", "action_reset"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(mine.with_user(self.installer), method)()
        self.assertEqual((mine.state, theirs.state), ("scheduled", "scheduled"))
        self.mount_device(mine.service_id)
        mine.with_user(self.installer).action_done()
        self.assertEqual(mine.service_id.state, "active")

    def test_state_and_dates_only_through_the_life_cycle(self):
        service = self.new_service(state="active")
        forged = {"wisp_transition": "activate", "wisp_network_no_sync": True}
        for user in (self.support, self.billing, self.network):
            Service = service.with_user(user).with_context(**forged)
            for vals in (
                {"state": "terminated"},
                {"activation_date": "2020-01-01"},
                {"termination_date": "2020-01-01"},
                {"expiry_date": "2099-12-31"},
                {"state_reason": "Paid in cash"},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    Service.write(vals)
        with self.assertRaises(AccessError):
            self.env["wisp.service"].with_user(self.support).create(
                {"partner_id": self.subscriber.id, "plan_id": self.plan.id, "state": "active"}
            )
        self.assertEqual(service.state, "active")
        self.assertFalse(service.expiry_date)

    def test_plan_of_a_running_service_is_billing_business(self):
        order = self.new_service(state="confirmed")
        running = self.new_service(state="active")
        order.with_user(self.support).write({"plan_id": self.plan_prepaid.id})
        for user in (self.support, self.network):
            for vals in (
                {"plan_id": self.plan_prepaid.id},
                {"partner_id": self.other_subscriber.id},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    running.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            order.with_user(self.network).write({"plan_id": self.plan.id})
        running.with_user(self.billing).write({"plan_id": self.plan_prepaid.id})
        self.assertEqual(running.plan_id, self.plan_prepaid)

    def test_network_settings_of_a_running_service_are_network_business(self):
        running = self.new_service(state="active")
        for vals in ({"login": "hijacked"}, {"ip_address": "10.1.1.1"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                running.with_user(self.support).write(vals)
        running.with_user(self.network).write({"ip_address": "10.1.1.1"})
        self.assertEqual(running.ip_address, "10.1.1.1")

    def test_order_and_life_cycle_roles(self):
        service = self.new_service(state="draft")
        for user in (self.billing, self.network, self.installer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                service.with_user(user).action_confirm()
        service.with_user(self.support).action_confirm()
        order = service.installation_order_ids
        order.write({"installer_id": self.installer.id, "scheduled_date": "2030-01-15 09:00:00"})
        with self.assertRaises(AccessError):
            order.with_user(self.billing).action_schedule()
        order.with_user(self.network).action_schedule()
        self.assertEqual(service.state, "installation")
        for user in (self.billing, self.installer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                service.with_user(user).action_activate()
        with self.assertRaises(AccessError):
            service.with_user(self.support).action_regenerate_password()
        service.with_user(self.network).action_regenerate_password()
        # billing terminates a service whose installation order is still open
        service.with_user(self.billing).action_terminate(reason="Cancelled by phone")
        self.assertEqual((service.state, order.state), ("terminated", "cancelled"))

    def test_installers_register_devices_of_their_own_orders_only(self):
        mine = self.new_service(state="installation")  # installation order of self.installer
        theirs = self.new_service(state="active")
        Device = self.env["wisp.cpe.device"].with_user(self.installer)
        Device.create(
            {"service_id": mine.id, "name": "LiteBeam", "mac_address": "00:11:22:33:44:01"}
        )
        with self.assertRaises(AccessError):
            Device.create({"service_id": theirs.id, "name": "LiteBeam"})
        device = self.env["wisp.cpe.device"].create({"service_id": theirs.id, "name": "Radio"})
        with self.assertRaises(AccessError):
            device.with_user(self.installer).write({"name": "Mine now"})
        with self.assertRaises(AccessError):
            device.with_user(self.installer).read(["name"])
