from .common import WispNetworkCase


class TestReconcile(WispNetworkCase):
    """The periodic reconcile reads the router in bulk and repairs drift."""

    def test_manual_drift_is_repaired_and_reported(self):
        deleted, edited, kept = (self.new_service(state="active") for _i in range(3))
        self.run_jobs()
        # By hand on the router: a secret deleted, a speed edited, a leftover of
        # a service the suite no longer knows, and a hand-made secret.
        self.emu.delete("/ppp/secret", deleted.login)
        self.emu.edit("/ppp/secret", edited.login, password="changed-by-hand")  # noqa: S106 - test data
        self.emu.insert("/ppp/secret", name="leftover", password="x", comment="wisp:old")  # noqa: S106 - test data
        self.emu.insert("/ppp/secret", name="handmade", password="x", comment="engineer")  # noqa: S106 - test data

        self.env["wisp.router"]._cron_reconcile()
        job = self.Job.search([("kind", "=", "reconcile")])
        self.assertEqual(job.router_id, self.router)
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(
            (
                self.router.last_reconcile_created,
                self.router.last_reconcile_updated,
                self.router.last_reconcile_removed,
            ),
            (1, 1, 1),
        )
        self.assertTrue(self.secret(deleted))
        self.assertEqual(self.secret(edited)["password"], edited.sudo().network_password)
        self.assertIsNone(self.emu.row("/ppp/secret", "leftover"))
        self.assertTrue(self.emu.row("/ppp/secret", "handmade"), "hand-made entries stay")
        self.assertTrue(self.secret(kept))
        message = self.router.message_ids[:1]
        self.assertIn("leftover", message.body)
        self.assertNotIn(edited.sudo().network_password, message.body)

    def test_reconcile_of_an_unchanged_router_writes_nothing(self):
        for _i in range(3):
            self.new_service(state="active")
        self.new_service(state="suspended")
        self.run_jobs()
        messages = len(self.router.message_ids)
        self.emu.reset_stats()
        self.router.with_user(self.network).action_reconcile()
        self.run_jobs()
        self.assertEqual(self.emu.writes(), [])
        self.assertEqual(self.router.last_reconcile_updated, 0)
        self.assertEqual(len(self.router.message_ids), messages, "no chatter noise")

    def test_router_created_for_a_site_adopts_its_services(self):
        site = self.env["wisp.site"].create({"name": "New Tower", "code": "NEW"})
        service = self.new_service(state="active", site_id=site.id)
        self.assertFalse(service.router_id)
        router = self.router.copy({"name": "New NAS", "site_id": site.id, "password": "x"})
        self.assertEqual(service.router_id, router)
        self.assertEqual(self.Job.search([("router_id", "=", router.id)]).kind, "reconcile")

    def test_disconnect_claimed_with_a_reconcile_still_drops_the_session(self):
        service = self.new_service(state="active")
        self.run_jobs()
        self.emu.connect_session(service.login)
        disconnect = self.Job.create(
            {"router_id": self.router.id, "service_id": service.id, "kind": "disconnect"}
        )
        self.env["wisp.router"]._cron_reconcile()
        self.run_jobs()
        self.assertEqual(disconnect.state, "done")
        self.assertEqual(self.emu.sessions(), [], "the reconcile did not swallow the kick")
