from .common import WispSubscriberCase


class TestSubscriber(WispSubscriberCase):
    def test_code_assigned_once_on_first_service(self):
        self.assertFalse(self.subscriber.subscriber_code)
        self.new_service()
        code = self.subscriber.subscriber_code
        self.assertTrue(code.startswith("SUB"))
        self.new_service()
        self.assertEqual(self.subscriber.subscriber_code, code)

    def test_status_rollup_takes_the_most_pressing_state(self):
        first = self.new_service(state="active")
        self.assertEqual(self.subscriber.subscriber_state, "active")
        second = self.new_service(state="active")
        second.action_suspend()
        self.assertEqual(self.subscriber.subscriber_state, "suspended")
        second.action_terminate()
        self.assertEqual(self.subscriber.subscriber_state, "active")
        first.action_terminate()
        self.assertEqual(self.subscriber.subscriber_state, "terminated")

    def test_enterprise_sees_every_branch_service(self):
        company = self.env["res.partner"].create({"name": "MDU Corp", "is_company": True})
        branches = self.env["res.partner"].create(
            [
                {
                    "name": f"Branch {n}",
                    "parent_id": company.id,
                    "type": "other",
                    "street": f"{n} Main St",
                }
                for n in range(1, 6)
            ]
        )
        services = self.env["wisp.service"].create(
            [
                {"partner_id": company.id, "address_id": branch.id, "plan_id": self.plan.id}
                for branch in branches
            ]
        )
        # a contact person of the company ordering a service bills the company
        person = self.env["res.partner"].create(
            {"name": "Facility Manager", "parent_id": company.id}
        )
        services |= self.env["wisp.service"].create(
            {"partner_id": person.id, "plan_id": self.plan.id}
        )
        self.assertEqual(company.service_ids, services)
        self.assertEqual(company.service_count, 6)
        self.assertEqual(set(services.mapped("commercial_partner_id")), {company})
        self.assertEqual(services[:5].mapped("address_id"), branches)
        action = company.action_view_services()
        self.assertEqual(self.env["wisp.service"].search(action["domain"]), services)

    def test_address_defaults_to_subscriber_and_follows_partner_change(self):
        service = self.new_service()
        self.assertEqual(service.address_id, self.subscriber)
        service.partner_id = self.other_subscriber
        self.assertEqual(service.address_id, self.other_subscriber)

    def test_site_counts_live_services(self):
        self.new_service(state="active")
        self.new_service(state="terminated")
        self.assertEqual(self.site.service_count, 1)
