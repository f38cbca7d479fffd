"""An installer sees the subscribers, contacts, services and devices of its own
installation orders, and nobody else's phone or e-mail: by RPC search and read,
and through the web client's URLs (``/odoo/...`` loads its record by ``web_read``)."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import WispSubscriberCase


class InstallerScopeMixin:
    def _setup_two_orders(self):
        """``self.mine``: a service of self.subscriber installed by self.installer;
        ``self.theirs``: a service of another subscriber installed by installer2."""
        self.subscriber.write({"phone": "+1 555 0101"})
        self.contact = self.env["res.partner"].create(
            {"name": "Test Contact", "parent_id": self.subscriber.id, "type": "contact"}
        )
        self.stranger = self.env["res.partner"].create(
            {
                "name": "Stranger Subscriber",
                "phone": "+1 555 0199",
                "email": "stranger@example.com",
                "street": "9 Far Away",
            }
        )
        self.mine = self.new_service(state="installation")
        self.theirs = self.new_service(state="confirmed", partner=self.stranger)
        order = self.theirs.installation_order_ids
        order.write({"installer_id": self.installer2.id, "scheduled_date": "2030-01-16 09:00:00"})
        order.action_schedule()
        self.their_device = self.mount_device(self.theirs)


class TestInstallerScope(InstallerScopeMixin, WispSubscriberCase):
    def setUp(self):
        super().setUp()
        self._setup_two_orders()

    def test_installer_searches_and_reads_only_the_subscribers_of_own_orders(self):
        Partner = self.env["res.partner"].with_user(self.installer)
        found = Partner.search([("id", "in", (self.subscriber | self.contact | self.stranger).ids)])
        self.assertEqual(found, self.subscriber | self.contact)
        self.assertFalse(Partner.search([("phone", "like", "0199")]))
        self.assertFalse(Partner.name_search("Stranger"))
        self.assertFalse(Partner.search_read([("email", "=", "stranger@example.com")], ["email"]))
        for field in ("name", "phone", "email", "street"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.stranger.with_user(self.installer).read([field])
        # the subscriber of the own order, with its phone, through the order as well
        order = self.mine.installation_order_ids.with_user(self.installer)
        self.assertEqual(order.partner_id.phone, "+1 555 0101")
        self.assertEqual(order.phone, "+1 555 0101")
        # the other installer sees the other way round
        other = self.stranger.with_user(self.installer2)
        self.assertEqual(other.read(["phone"])[0]["phone"], "+1 555 0199")
        with self.assertRaises(AccessError):
            self.subscriber.with_user(self.installer2).read(["phone"])

    def test_installer_sees_colleagues_and_company(self):
        Partner = self.env["res.partner"].with_user(self.installer)
        colleagues = (self.support | self.installer2).partner_id | self.env.company.partner_id
        self.assertEqual(Partner.search([("id", "in", colleagues.ids)]), colleagues)
        self.assertTrue(self.support.with_user(self.installer).name)

    def test_installer_reads_only_services_and_devices_of_own_orders(self):
        Service = self.env["wisp.service"].with_user(self.installer)
        self.assertEqual(Service.search([]), self.mine)
        with self.assertRaises(AccessError):
            self.theirs.with_user(self.installer).read(["name"])
        Device = self.env["wisp.cpe.device"].with_user(self.installer)
        self.assertFalse(Device.search([("id", "=", self.their_device.id)]))
        with self.assertRaises(AccessError):
            self.their_device.with_user(self.installer).read(["serial_number", "mac_address"])

    def test_office_roles_still_read_every_subscriber(self):
        for user in (self.support, self.billing, self.network, self.manager):
            with self.subTest(user=user.login):
                self.assertEqual(
                    self.stranger.with_user(user).read(["phone"])[0]["phone"], "+1 555 0199"
                )
                self.assertEqual(
                    self.env["wisp.service"]
                    .with_user(user)
                    .search_count([("id", "in", (self.mine | self.theirs).ids)]),
                    2,
                )

    def test_street_and_map_link(self):
        order = self.mine.installation_order_ids.with_user(self.installer)
        self.assertEqual(order.street, "1 Test St, Testville")
        self.assertEqual(
            order.map_url, "https://www.openstreetmap.org/search?query=1+Test+St%2C+Testville"
        )
        self.subscriber.write({"partner_latitude": 50.85, "partner_longitude": 4.35})
        self.assertIn("mlat=50.85&mlon=4.35", order.map_url)

    def test_completion_records_the_device(self):
        order = self.mine.installation_order_ids
        Wizard = self.env["wisp.installation.complete"].with_user(self.installer)
        wizard = Wizard.with_context(default_order_id=order.id).create(
            {
                "device_name": "LiteBeam 5AC",
                "serial_number": "SN-ROOF-1",
                "mac_address": "aa-bb-cc-00-11-22",
                "report": "Aligned at -55 dBm",
            }
        )
        wizard.action_complete()
        self.assertEqual((order.state, self.mine.state), ("done", "active"))
        device = self.mine.device_ids
        self.assertEqual(
            (device.serial_number, device.mac_address), ("SN-ROOF-1", "AA:BB:CC:00:11:22")
        )
        self.assertEqual(order.report, "Aligned at -55 dBm")

    def test_completion_completes_a_device_registered_beforehand(self):
        # the office registered the radio from stock, by its serial number only
        stock = self.env["wisp.cpe.device"].create(
            {"service_id": self.mine.id, "name": "Radio", "serial_number": "SN-STOCK-7"}
        )
        order = self.mine.installation_order_ids
        self.env["wisp.installation.complete"].with_user(self.installer).create(
            {
                "order_id": order.id,
                "device_name": "LiteBeam 5AC",
                "serial_number": "SN-STOCK-7",
                "mac_address": "02:00:00:00:77:07",
            }
        ).action_complete()
        self.assertEqual(self.mine.device_ids, stock)
        self.assertEqual(
            (stock.name, stock.mac_address, order.state),
            ("LiteBeam 5AC", "02:00:00:00:77:07", "done"),
        )

    def test_completion_is_refused_on_other_orders_and_roles(self):
        theirs = self.theirs.installation_order_ids
        values = {"device_name": "X", "serial_number": "SN-X", "mac_address": "02:00:00:00:99:01"}
        wizard = (
            self.env["wisp.installation.complete"]
            .with_user(self.installer)
            .create({**values, "order_id": theirs.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_complete()
        with self.assertRaises(AccessError):
            self.env["wisp.installation.complete"].with_user(self.billing).create(
                {**values, "order_id": theirs.id}
            )
        self.assertEqual(theirs.state, "scheduled")
        self.assertEqual(len(self.theirs.device_ids), 1)

    def test_completion_without_a_device_is_refused(self):
        order = self.mine.installation_order_ids.with_user(self.installer)
        with self.assertRaisesRegex(UserError, "serial number and MAC"):
            order.action_done()
        self.assertEqual(order.state, "scheduled")


@tagged("post_install", "-at_install")
class TestInstallerScopeByUrl(InstallerScopeMixin, WispSubscriberCase, HttpCase):
    """What the web client loads for ``/odoo/<action>/<id>``, as the installer."""

    def setUp(self):
        super().setUp()
        self._setup_two_orders()
        self.authenticate(self.installer.login, self.installer.login)

    def _web_read(self, model, record, fields):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/web_read",
            {
                "model": model,
                "method": "web_read",
                "args": [record.ids],
                "kwargs": {"specification": {name: {} for name in fields}},
            },
        )

    def test_urls_of_own_order_open_and_others_are_refused(self):
        order = self.mine.installation_order_ids
        for path, model, record in (
            (f"/odoo/wisp.installation.order/{order.id}", "wisp.installation.order", order),
            (f"/odoo/wisp.service/{self.mine.id}", "wisp.service", self.mine),
            (f"/odoo/res.partner/{self.subscriber.id}", "res.partner", self.subscriber),
        ):
            with self.subTest(path=path):
                self.assertEqual(self.url_open(path).status_code, 200)
                self.assertEqual(
                    self._web_read(model, record, ["display_name"])[0]["id"], record.id
                )
        for path, model, record, fields in (
            (
                f"/odoo/res.partner/{self.stranger.id}",
                "res.partner",
                self.stranger,
                ["phone", "email"],
            ),
            (f"/odoo/wisp.service/{self.theirs.id}", "wisp.service", self.theirs, ["name"]),
            (
                f"/odoo/wisp.installation.order/{self.theirs.installation_order_ids.id}",
                "wisp.installation.order",
                self.theirs.installation_order_ids,
                ["phone"],
            ),
        ):
            with self.subTest(path=path), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._web_read(model, record, fields)
        # the subscriber list of the menu action holds the own order's people only
        rows = self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.partner/web_search_read",
            {
                "model": "res.partner",
                "method": "web_search_read",
                "args": [],
                "kwargs": {
                    "domain": [("subscriber_code", "!=", False)],
                    "specification": {"phone": {}, "email": {}},
                },
            },
        )["records"]
        self.assertEqual({row["id"] for row in rows}, set(self.subscriber.ids))
