from pathlib import Path

from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_plan

FAKE_LEAFLET = Path(__file__).parent / "fixtures" / "fake_leaflet.js"


@tagged("post_install", "-at_install")
class TestMapTour(HttpCase):
    """The map and the subscriber header in the browser, as a network engineer."""

    leaflet = None  # what the test browser gets for unpkg.com's leaflet.js: 404 by default

    def fetch_proxy(self, url):
        if self.leaflet and url.endswith("/leaflet.js"):
            return self.make_fetch_proxy_response(self.leaflet)
        if self.leaflet and url.endswith("/leaflet.css"):
            return self.make_fetch_proxy_response("")
        return super().fetch_proxy(url)

    def tour_data(self):
        site = self.env["wisp.site"].create(
            {
                "name": "Tour Tower",
                "code": "TOUR",
                "latitude": 39.79,
                "longitude": -89.64,
                "coverage_radius_km": 4.0,
            }
        )
        subscriber = self.env["res.partner"].create(
            {
                "name": "Tour Subscriber",
                "street": "5 Tour Road",
                "partner_latitude": 39.80,
                "partner_longitude": -89.65,
            }
        )
        plan = make_plan(self.env, "Tour Plan", 0.0, download_kbps=10000, upload_kbps=2000)
        services = self.env["wisp.service"].create(
            [
                {"partner_id": subscriber.id, "plan_id": plan.id, "site_id": site.id}
                for _i in range(2)
            ]
        )
        services.action_confirm()
        services.action_activate()
        services[0].action_suspend(reason="Unpaid")
        new_test_user(
            self.env,
            login="tour_network",
            password="tour_network",  # noqa: S106 - test user
            groups="base.group_user,wisp_subscriber.group_wisp_network",
        )
        return services

    def test_map_drawn_with_leaflet(self):
        self.tour_data()
        self.leaflet = FAKE_LEAFLET.read_text()
        self.start_tour(
            "/odoo/action-wisp_subscriber.wisp_map_action",
            "wisp_subscriber_map_leaflet",
            login="tour_network",
        )

    def test_map_list_then_header_reactivate(self):
        services = self.tour_data()
        self.start_tour(
            "/odoo/action-wisp_subscriber.wisp_map_action",
            "wisp_subscriber_map_header",
            login="tour_network",
        )
        self.assertEqual(services.mapped("state"), ["active", "active"])
        bodies = services[0].message_ids.mapped("body")
        self.assertTrue(any("Paid at the counter" in body for body in bodies), bodies)


@tagged("post_install", "-at_install")
class TestInstallerProposalTour(HttpCase):
    """The support agent schedules an installation from the proposals."""

    def test_propose_and_choose(self):
        support = new_test_user(
            self.env,
            login="tour_support",
            password="tour_support",  # noqa: S106 - test user
            groups="base.group_user,wisp_subscriber.group_wisp_support",
            tz="UTC",
        )
        near, far = (
            new_test_user(
                self.env,
                login=f"tour_installer_{name}",
                name=f"Tour Installer {name.title()}",
                groups="wisp_subscriber.group_wisp_installer",
            )
            for name in ("near", "far")
        )
        near.partner_id.write({"partner_latitude": 39.801, "partner_longitude": -89.651})
        far.partner_id.write({"partner_latitude": 40.5, "partner_longitude": -89.0})
        subscriber = self.env["res.partner"].create(
            {"name": "Tour Home", "partner_latitude": 39.80, "partner_longitude": -89.65}
        )
        plan = make_plan(self.env, "Tour Plan", 0.0, download_kbps=10000, upload_kbps=2000)
        service = self.env["wisp.service"].create({"partner_id": subscriber.id, "plan_id": plan.id})
        service.action_confirm()
        order = service.installation_order_ids
        # the demo installers have no position: ours are ranked by distance before them
        self.start_tour(
            f"/odoo/action-wisp_subscriber.wisp_installation_order_action/{order.id}",
            "wisp_subscriber_installer_proposals",
            login=support.login,
        )
        self.assertEqual((order.state, order.installer_id), ("scheduled", near))
        self.assertEqual(service.state, "installation")
