import logging

from odoo.exceptions import AccessError

from .common import ROUTER_PASSWORD, WispNetworkCase


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class TestSecurity(WispNetworkCase):
    def test_credentials_only_for_network_engineers(self):
        for user in (self.support, self.billing, self.installer):
            router = self.router.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(router.read(["name"])[0]["name"], "Test NAS")
                self.assertNotIn("password", router.fields_get())
                for field in ("password", "username", "radius_dsn", "coa_secret"):
                    with self.assertRaises(AccessError):
                        router.read([field])
                with self.assertRaises(AccessError):
                    router.write({"host": "10.0.0.1"})
        self.assertEqual(self.router.with_user(self.network).password, ROUTER_PASSWORD)

    def test_support_cannot_read_credentials_through_the_service(self):
        service = self.new_service("active")
        with self.assertRaises(AccessError):
            service.with_user(self.support).router_id.password  # noqa: B018

    def test_credentials_never_reach_logs_jobs_or_chatter(self):
        capture = _Capture()
        loggers = [logging.getLogger(n) for n in ("librouteros", "odoo.addons.wisp_network")]
        levels = [logger.level for logger in loggers]
        root = logging.getLogger()
        root.addHandler(capture)
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        try:
            service = self.new_service("active", ip_address="10.9.0.9")
            self.run_jobs()  # every API word logged at DEBUG, login included
            self.router.with_user(self.network).action_check_connection()
            self.emu.set_refuse(True)
            service.with_user(self.billing).action_suspend()
            self.run_jobs()
            self.router.with_user(self.network).action_check_connection()
        finally:
            root.removeHandler(capture)
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
        self.assertTrue(capture.messages)
        network_password = service.sudo().network_password
        texts = [
            *capture.messages,
            *self.Job.search([]).mapped("last_error"),
            self.router.last_error or "",
            *self.env["mail.message"].search([]).mapped("body"),
            *self.env["mail.tracking.value"].search([]).mapped("old_value_char"),
            *self.env["mail.tracking.value"].search([]).mapped("new_value_char"),
        ]
        for text in texts:
            self.assertNotIn(ROUTER_PASSWORD, text or "")
            self.assertNotIn(network_password, text or "")

    def test_password_change_is_not_tracked(self):
        self.router.password = "another-secret-9"  # noqa: S105 - test data
        tracked = self.router.message_ids.tracking_value_ids.mapped("new_value_char")
        self.assertNotIn("another-secret-9", tracked)
