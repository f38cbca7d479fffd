from odoo.exceptions import AccessError, UserError

from .common import WispSubscriberCase, make_portal_user


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
        self.assertEqual(request.matching_partner_id, self.subscriber)
        request.action_use_matching_partner()  # staff confirm it is that subscriber's request
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

    def test_typed_email_never_attaches_to_an_existing_subscriber(self):
        """A visitor typing someone's e-mail (or a pattern) orders for themselves only."""
        for email in (
            "test.subscriber@example.com",
            "%@example.com",
            "TEST.SUBSCRIBER@example.com",
        ):
            with self.subTest(email=email):
                request = self._request(email=email)
                request.with_user(self.support).action_convert()
                self.assertNotEqual(request.partner_id, self.subscriber)
                self.assertFalse(request.partner_id.parent_id)
                self.assertEqual(request.partner_id.email, email)
        self.assertFalse(self.subscriber.child_ids)
        self.assertFalse(self.subscriber.service_ids)

    def test_matching_subscriber_is_only_suggested(self):
        exact = self._request(email=" Test.Subscriber@Example.com")
        self.assertEqual(exact.matching_partner_id, self.subscriber)
        for email in ("%@example.com", "test.subscriber@example.co", "_est.subscriber@example.com"):
            with self.subTest(email=email):
                self.assertFalse(self._request(email=email).matching_partner_id)
        # the suggestion is staff's to see, not the reseller's (a portal user) who typed it
        reseller = make_portal_user(self.env, "t_req_portal")
        self.assertNotIn("matching_partner_id", exact.with_user(reseller).fields_get())

    def test_request_of_a_logged_in_subscriber_joins_its_account(self):
        """The website sets the partner of a logged-in subscriber: no e-mail needed."""
        request = self._request(email=False, partner_id=self.subscriber.id)
        request.with_user(self.support).action_convert()
        self.assertEqual(request.service_id.partner_id, self.subscriber)

    def test_only_support_handles_requests(self):
        request = self._request()
        for user in (self.billing, self.network, self.installer):
            for method in ("action_convert", "action_reject", "action_use_matching_partner"):
                with self.subTest(user=user.login, method=method), self.assertRaises(AccessError):
                    getattr(request.with_user(user), method)()
        for vals in ({"state": "converted"}, {"service_id": self.new_service().id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                request.with_user(self.support).write(vals)
        request.with_user(self.support).action_reject(reason="Out of coverage")
        self.assertEqual(request.state, "rejected")
