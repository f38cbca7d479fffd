from odoo.exceptions import UserError

from .common import WispSubscriberCase


class TestConnectionRequest(WispSubscriberCase):
    def _request(self, **vals):
        return self.env["wisp.connection.request"].create(
            {
                "contact_name": "Paula Prospect",
                "email": "paula@example.org",
                "street": "9 Orchard Lane",
                "city": "Springfield",
                "plan_id": self.plan.id,
                "site_id": self.site.id,
                "source": "website",
                **vals,
            }
        )

    def test_convert_new_prospect(self):
        request = self._request()
        self.assertTrue(request.name.startswith("REQ/"))
        request.action_convert()
        partner, service = request.partner_id, request.service_id
        self.assertEqual(request.state, "converted")
        self.assertEqual((partner.name, partner.street), ("Paula Prospect", "9 Orchard Lane"))
        self.assertTrue(partner.subscriber_code)
        self.assertEqual(
            (service.state, service.address_id, service.plan_id), ("confirmed", partner, self.plan)
        )
        self.assertEqual(len(service.installation_order_ids), 1)
        with self.assertRaisesRegex(UserError, "already handled"):
            request.action_convert()

    def test_existing_subscriber_new_address_becomes_child_contact(self):
        request = self._request(email="TEST.subscriber@example.com ")
        request.action_convert()
        self.assertEqual(request.partner_id, self.subscriber)
        address = request.service_id.address_id
        self.assertEqual(
            (address.parent_id, address.type, address.street),
            (self.subscriber, "other", "9 Orchard Lane"),
        )

    def test_existing_subscriber_same_address_reused(self):
        request = self._request(
            partner_id=self.subscriber.id, street="1 test st ", city="Testville"
        )
        request.action_convert()
        self.assertEqual(request.service_id.address_id, self.subscriber)

    def test_reject(self):
        request = self._request()
        request.action_reject(reason="Out of coverage")
        self.assertEqual((request.state, request.reject_reason), ("rejected", "Out of coverage"))
        with self.assertRaisesRegex(UserError, "already handled"):
            request.action_convert()
