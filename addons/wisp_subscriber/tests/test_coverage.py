from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools.geo import distance_km
from .common import WispSubscriberCase


@tagged("post_install", "-at_install")
class TestCoverageCheck(WispSubscriberCase):
    """Connection requests: distance to the nearest site and duplicate warnings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site.write({"latitude": 45.0, "longitude": 10.0, "coverage_radius_km": 3.0})
        cls.far_site = cls.env["wisp.site"].create(
            {
                "name": "Far Tower",
                "code": "FT",
                "latitude": 46.0,
                "longitude": 11.0,
                "coverage_radius_km": 10.0,
            }
        )
        cls.subscriber.write({"phone": "+39 (347) 918-2736"})

    def request(self, **vals):
        return self.env["wisp.connection.request"].create(
            {"contact_name": "Prospect", "street": "77 Test Meadow", "city": "Testville", **vals}
        )

    def test_distance_to_the_nearest_site(self):
        request = self.request(latitude=45.01, longitude=10.0)
        expected = distance_km(45.01, 10.0, 45.0, 10.0)
        self.assertAlmostEqual(expected, 1.112, places=3)
        request = request.with_user(self.support)
        self.assertEqual(request.nearest_site_id, self.site)
        self.assertAlmostEqual(request.nearest_site_km, expected, places=2)
        self.assertEqual(request.coverage, "covered")

    def test_out_of_coverage_and_unknown(self):
        far = self.request(latitude=45.2, longitude=10.0)
        self.assertEqual(far.nearest_site_id, self.site)
        self.assertGreater(far.nearest_site_km, 20)
        self.assertEqual(far.coverage, "out")
        unplaced = self.request()
        self.assertEqual(unplaced.coverage, "unknown")
        self.assertFalse(unplaced.nearest_site_id)

    def test_conversion_takes_the_covering_site_and_the_position(self):
        request = self.request(latitude=45.01, longitude=10.0, email="new@example.com")
        request.with_user(self.support).action_convert()
        service = request.service_id
        self.assertEqual(service.site_id, self.site)
        self.assertAlmostEqual(service.address_id.partner_latitude, 45.01)
        self.assertAlmostEqual(service.address_id.partner_longitude, 10.0)
        # a site chosen by staff stays, and an uncovered address gets none
        chosen = self.request(latitude=45.01, longitude=10.0, site_id=self.far_site.id)
        chosen.action_convert()
        self.assertEqual(chosen.service_id.site_id, self.far_site)
        out = self.request(latitude=45.2, longitude=10.0, street="Route 9")
        out.action_convert()
        self.assertFalse(out.service_id.site_id)

    def test_duplicates_by_address_email_and_phone(self):
        self.subscriber.write({"street": "77 Test Meadow"})
        other = self.request(phone="347-918-2736", street="1 Elsewhere")
        request = self.request(
            email="Test.Subscriber@example.com", phone="(347) 918 2736", street="77 test meadow "
        )
        warning = request.with_user(self.support).duplicate_warning
        lines = warning.splitlines()
        self.assertEqual(len(lines), 3, warning)
        self.assertIn("Same address: Test Subscriber", lines[0])
        self.assertIn("Same e-mail: Test Subscriber", lines[1])
        self.assertIn("Same phone: Test Subscriber", lines[2])
        self.assertIn(other.name, lines[2])
        self.assertNotIn(other.name, lines[0])

    def test_the_requests_own_subscriber_is_no_duplicate(self):
        request = self.request(email="test.subscriber@example.com", partner_id=self.subscriber.id)
        self.assertFalse(request.duplicate_warning)
        # a handled request is no duplicate of a new one
        self.request(phone="333 604 1857", street="1 Elsewhere").action_reject("no")
        again = self.request(phone="+39 333 604 1857", street="2 Elsewhere")
        self.assertFalse(again.duplicate_warning)

    def test_short_numbers_are_not_compared(self):
        self.subscriber.phone = "112"
        self.assertFalse(self.request(phone="112", street="1 Elsewhere").duplicate_warning)

    def test_refused_outside_the_office(self):
        request = self.request(latitude=45.01, longitude=10.0)
        for user in (self.installer,):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                request.with_user(user).read(["coverage", "duplicate_warning"])
        # the billing clerk reads requests, not changes them
        with self.assertRaises(AccessError):
            request.with_user(self.billing).write({"latitude": 1.0})
