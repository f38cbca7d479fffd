import hashlib
import hmac
import itertools
import json
import socket
import time
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import _super_send
from odoo.tools import mute_logger

from ..models import wisp_webhook_delivery
from ..tools import webhook as transport
from .common import WispSubscriberCase
from .webhook_receiver import WebhookReceiver

SECRET = "s3cret-for-tests-only"  # noqa: S105


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackTimeouts:
    """Odoo's tests stretch every HTTP timeout to 10 s; the loopback receivers here
    keep the timeouts the tests set, so a slow receiver costs 1 s, not 10."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)


@tagged("post_install", "-at_install")
class TestWebhookTransport(LoopbackTimeouts, WispSubscriberCase):
    """The adapter alone: signing, sending, and errors that keep secrets out."""

    def test_signature_is_hmac_of_timestamp_and_body(self):
        body = b'{"id": "1"}'
        digest = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256)
        expected = f"sha256={digest.hexdigest()}"
        self.assertEqual(transport.sign(SECRET, 1700000000, body), expected)
        self.assertNotEqual(transport.sign(SECRET, 1700000001, body), expected)

    def test_post_sends_signed_body(self):
        with WebhookReceiver() as receiver:
            status = transport.post(receiver.url, b"{}", SECRET, 1700000000)
        self.assertEqual(status, 200)
        (_path, headers, body) = receiver.requests[0]
        self.assertEqual(body, b"{}")
        self.assertEqual(headers["X-Wisp-Timestamp"], "1700000000")
        self.assertEqual(headers["X-Wisp-Signature"], transport.sign(SECRET, 1700000000, b"{}"))
        self.assertNotIn(SECRET, json.dumps(headers))

    def test_errors_name_neither_url_nor_secret(self):
        with (
            WebhookReceiver(status=500) as receiver,
            self.assertRaises(transport.WebhookError) as refused,
        ):
            transport.post(receiver.url + "?token=abc", b"{}", SECRET, 1)
        self.assertEqual(str(refused.exception), "The receiver answered HTTP 500.")
        url = f"http://127.0.0.1:{free_port()}/x?token=abc"
        with self.assertRaises(transport.WebhookError) as unreachable:
            transport.post(url, b"{}", SECRET, 1)
        for error in (refused.exception, unreachable.exception):
            self.assertNotIn("token", str(error))
            self.assertNotIn(SECRET, str(error))
        with (
            WebhookReceiver(delay=2) as slow,
            self.assertRaisesRegex(transport.WebhookError, "No answer within 1 s"),
        ):
            transport.post(slow.url, b"{}", SECRET, 1, timeout=1)

    def test_only_https_or_loopback(self):
        self.assertTrue(transport.is_allowed_url("https://crm.example.com/hook"))
        self.assertTrue(transport.is_allowed_url("http://127.0.0.1:8000/hook"))
        self.assertTrue(transport.is_allowed_url("http://localhost/hook"))
        self.assertFalse(transport.is_allowed_url("http://crm.example.com/hook"))
        self.assertFalse(transport.is_allowed_url("ftp://crm.example.com/hook"))
        self.assertFalse(transport.is_allowed_url("https://"))


@tagged("post_install", "-at_install")
class TestWebhookDelivery(LoopbackTimeouts, WispSubscriberCase):
    """The outbox: queued by the business transaction, delivered after it by the cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Delivery = cls.env["wisp.webhook.delivery"]
        cls.event = cls.env.ref("wisp_subscriber.webhook_event_service_state")

    def new_webhook(self, url, **vals):
        return self.env["wisp.webhook"].create(
            {
                "name": "CRM",
                "url": url,
                "secret": SECRET,
                "event_ids": [Command.set(self.event.ids)],
                **vals,
            }
        )

    def deliver(self, deliveries=None):
        # rows queued in this very transaction: make them due (the database clock is
        # the transaction's start)
        (deliveries or self.Delivery.search([("state", "=", "queued")])).write(
            {"next_attempt": "2000-01-01 00:00:00"}
        )
        self.Delivery._cron_deliver(commit=False)

    def test_status_change_is_delivered_signed_after_commit(self):
        service = self.new_service(state="active")
        with WebhookReceiver() as receiver:
            webhook = self.new_webhook(receiver.url)
            service.action_suspend()
            delivery = webhook.delivery_ids
            self.assertEqual(len(delivery), 1)
            self.assertEqual(delivery.state, "queued")
            self.assertFalse(receiver.requests, "nothing leaves before the commit")
            # the cron is triggered by the commit of this transaction
            cron = self.env.ref("wisp_subscriber.ir_cron_wisp_webhook_deliver")
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.env.cr.precommit.run()
            self.assertGreater(
                self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
                len(triggers),
            )
            self.deliver()
        self.assertEqual(delivery.state, "sent")
        self.assertEqual(len(receiver.requests), 1)
        _path, headers, body = receiver.requests[0]
        # what a receiver does (docs/api.md): recompute the signature, compare
        timestamp = int(headers["X-Wisp-Timestamp"])
        self.assertLess(abs(time.time() - timestamp), 300)
        self.assertEqual(headers["X-Wisp-Signature"], transport.sign(SECRET, timestamp, body))
        self.assertNotEqual(headers["X-Wisp-Signature"], transport.sign("wrong", timestamp, body))
        self.assertEqual(headers["X-Wisp-Event"], "service.state_changed")
        payload = json.loads(body)
        self.assertEqual(payload["id"], delivery.event_uuid)
        self.assertEqual(payload["type"], "service.state_changed")
        self.assertTrue(payload["created_at"].endswith("Z"))
        self.assertEqual(
            payload["data"],
            {
                "service": service.name,
                "service_type": "internet",
                "plan": self.plan.display_name,
                "subscriber_code": self.subscriber.subscriber_code,
                "transition": "suspend",
                "previous_state": "active",
                "state": "suspended",
            },
        )
        self.assertNotIn("street", body.decode(), "no address leaves")

    def test_queued_whoever_changes_the_status(self):
        service = self.new_service(state="active")
        webhook = self.new_webhook("https://crm.example.com/hook")
        service.with_user(self.billing).action_suspend()
        service.with_user(self.network).action_reactivate()
        self.assertEqual(
            [
                json.loads(d.payload)["data"]["transition"]
                for d in webhook.delivery_ids.sorted("id")
            ],
            ["suspend", "reactivate"],
        )

    def test_nothing_queued_without_subscription(self):
        self.new_webhook("https://crm.example.com/hook", active=False)
        self.new_service(state="active").action_suspend()
        self.assertFalse(self.Delivery.search([]))

    def test_other_company_subscription_not_told(self):
        other = self.env["res.company"].create({"name": "Other WISP"})
        self.new_webhook("https://crm.example.com/hook", company_id=other.id)
        self.new_service(state="active").action_suspend()
        self.assertFalse(self.Delivery.search([]))

    def test_failing_receiver_is_retried_with_backoff_then_given_up(self):
        service = self.new_service(state="active")
        with WebhookReceiver(status=503) as receiver:
            webhook = self.new_webhook(receiver.url)
            service.action_suspend()
            delivery = webhook.delivery_ids
            waits = []
            with patch.object(wisp_webhook_delivery, "_logger") as logger:
                for attempt in range(1, wisp_webhook_delivery.MAX_ATTEMPTS + 1):
                    before = fields.Datetime.now()
                    self.deliver(delivery)
                    self.assertEqual(delivery.attempts, attempt)
                    waits.append((delivery.next_attempt - before).total_seconds())
        self.assertEqual(len(receiver.requests), wisp_webhook_delivery.MAX_ATTEMPTS)
        self.assertEqual(delivery.state, "failed", "given up after MAX_ATTEMPTS")
        self.assertEqual(delivery.last_error, "The receiver answered HTTP 503.")
        self.assertEqual(webhook.failed_count, 1)
        for shorter, longer in itertools.pairwise(waits):
            self.assertAlmostEqual(longer, 2 * shorter, delta=5, msg="exponential backoff")
        self.assertAlmostEqual(waits[0], wisp_webhook_delivery.RETRY_SECONDS, delta=5)
        logged = "\n".join(call.args[0] % call.args[1:] for call in logger.info.call_args_list)
        self.assertIn("failed: The receiver answered HTTP 503.", logged)
        self.assertNotIn(SECRET, logged)
        self.assertNotIn(receiver.url, logged)

        # the receiver is fixed: the manager sends it again
        with WebhookReceiver() as fixed:
            webhook.url = fixed.url
            delivery.with_user(self.manager).action_retry()
            self.assertEqual((delivery.state, delivery.attempts), ("queued", 0))
            self.deliver(delivery)
        self.assertEqual(delivery.state, "sent")
        self.assertFalse(delivery.last_error)

    @mute_logger(wisp_webhook_delivery.__name__)
    def test_slow_receiver_does_not_hold_up_the_others(self):
        services = self.new_service(state="active") | self.new_service(state="active")
        with WebhookReceiver(delay=3) as slow, WebhookReceiver() as fast:
            slow_hook = self.new_webhook(slow.url, timeout=1)
            fast_hook = self.new_webhook(fast.url, name="Fast")
            services[0].action_suspend()
            services[1].action_suspend()
            self.deliver()
        self.assertEqual(fast_hook.delivery_ids.mapped("state"), ["sent", "sent"])
        self.assertEqual(len(fast.requests), 2)
        first, second = slow_hook.delivery_ids.sorted("id")
        self.assertEqual(first.last_error, "No answer within 1 s.")
        # once timed out, the slow receiver is not waited for again in the same batch
        self.assertEqual(len(slow.requests), 1)
        self.assertIn("Not tried", second.last_error)
        self.assertEqual((first.state, second.state), ("queued", "queued"), "both retried later")

    def test_each_delivery_is_committed_before_the_next_is_sent(self):
        services = self.new_service(state="active") | self.new_service(state="active")
        with WebhookReceiver() as receiver:
            self.new_webhook(receiver.url)
            services.action_suspend()
            self.Delivery.search([("state", "=", "queued")]).write(
                {"next_attempt": "2000-01-01 00:00:00"}
            )
            steps = []
            real_post = transport.post

            def post(*args, **kwargs):
                steps.append("post")
                return real_post(*args, **kwargs)

            def commit_progress(cron, processed=0, **kwargs):
                steps.append(f"commit {processed}")
                return 60.0

            Cron = type(self.env["ir.cron"])
            with (
                patch.object(transport, "post", post),
                patch.object(Cron, "_commit_progress", commit_progress),
            ):
                self.Delivery._cron_deliver()
        # a rollback after a delivery (worker killed, conflict) never undoes one made
        self.assertEqual(steps, ["post", "commit 1", "post", "commit 1"])
        self.assertEqual(len(receiver.requests), 2)

    def test_unexpected_error_stays_on_its_row(self):
        service = self.new_service(state="active")
        with WebhookReceiver() as receiver:
            broken = self.new_webhook(receiver.url + "/broken", name="Broken")
            fine = self.new_webhook(receiver.url, name="Fine")
            service.action_suspend()
            real_post = transport.post

            def post(url, *args, **kwargs):
                if url.endswith("/broken"):
                    raise RuntimeError("boom")
                return real_post(url, *args, **kwargs)

            with (
                patch.object(transport, "post", post),
                mute_logger(wisp_webhook_delivery.__name__),
            ):
                self.deliver()
        self.assertEqual(fine.delivery_ids.state, "sent")
        self.assertEqual(broken.delivery_ids.state, "queued")
        self.assertEqual(
            broken.delivery_ids.last_error, "Unexpected error (RuntimeError): see the server log."
        )

    def test_url_must_be_https(self):
        with self.assertRaises(ValidationError):
            self.new_webhook("http://crm.example.com/hook")
        self.assertTrue(self.new_webhook("https://crm.example.com/hook"))

    def test_roles_other_than_manager_are_refused(self):
        service = self.new_service(state="active")
        webhook = self.new_webhook("https://crm.example.com/hook")
        service.action_suspend()
        delivery = webhook.delivery_ids
        for user in (self.support, self.billing, self.network, self.installer):
            with self.assertRaises(AccessError):
                webhook.with_user(user).read(["url"])
            with self.assertRaises(AccessError):
                delivery.with_user(user).read(["payload"])
            with self.assertRaises(AccessError):
                delivery.with_user(user).action_retry()
            with self.assertRaises(AccessError):
                webhook.with_user(user).action_new_secret()
            with self.assertRaises(AccessError):
                self.env["wisp.webhook"].with_user(user).create(
                    {"name": "Mine", "url": "https://evil.example.com", "event_ids": []}
                )
        # the manager manages them and reads the secret
        self.assertEqual(webhook.with_user(self.manager).secret, SECRET)
        webhook.with_user(self.manager).action_new_secret()
        self.assertNotEqual(webhook.secret, SECRET)
