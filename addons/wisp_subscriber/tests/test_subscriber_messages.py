from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.sms_twilio.tests.common import MockSmsTwilio
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import WispSubscriberCase

SMS_NUMBER = "+12202154155"  # a number sms_twilio's test gateway accepts


@tagged("post_install", "-at_install")
class TestSubscriberMessages(MockSmsTwilio, WispSubscriberCase):
    """Event messages: queued by the business transaction, sent once by the cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sms_twilio(cls.env.company)
        cls.Message = cls.env["wisp.message"]

    def messages(self, code, partner=None):
        return self.Message.search(
            [
                ("event_id.code", "=", code),
                ("partner_id", "=", (partner or self.subscriber).id),
            ]
        )

    def send_queued(self):
        # e-mails are only queued (Odoo's mail queue sends them): no SMTP to mock
        with self.mock_sms_twilio_gateway():
            self.Message._cron_send(commit=False)

    def test_suspension_is_told_once_by_email_and_logged_in_the_chatter(self):
        # a staff member following the subscriber is not sent the subscriber's messages
        self.subscriber.message_subscribe(partner_ids=self.support.partner_id.ids)
        service = self.new_service(state="active")
        service.action_suspend()
        self.new_service(state="suspended")  # a second service cut off the same day
        queued = self.messages("services_suspended")
        self.assertEqual(len(queued), 1, "one message per account and day")
        self.assertEqual((queued.channel, queued.state), ("email", "queued"))

        self.send_queued()
        self.assertEqual(queued.state, "sent")
        self.assertEqual(queued.attempts, 1)
        posted = queued.mail_message_id
        self.assertEqual(posted.model, "res.partner")
        self.assertEqual(posted.res_id, self.subscriber.id)
        self.assertIn(self.subscriber, posted.partner_ids)
        self.assertIn(service.display_name, str(posted.body))
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", posted.id)])
        self.assertEqual(len(mail), 1, "the e-mail goes through Odoo's mail queue")
        self.assertIn(self.subscriber, mail.recipient_ids)
        self.assertEqual(posted.notification_ids.res_partner_id, self.subscriber)

        # announced again: nothing new, nothing sent twice
        self.Message._queue(
            "services_suspended", self.subscriber, self.subscriber, key=queued.event_key
        )
        self.assertEqual(self.messages("services_suspended"), queued)

    def test_restored_access_is_its_own_event(self):
        service = self.new_service(state="suspended")
        service.action_reactivate()
        self.assertEqual(len(self.messages("access_restored")), 1)

    def test_switched_off_event_queues_nothing(self):
        event = self.env.ref("wisp_subscriber.message_event_services_suspended")
        event.with_user(self.manager).enabled = False
        self.assertIn(self.env.company, event.disabled_company_ids)
        self.new_service(state="suspended")
        self.assertFalse(self.messages("services_suspended"))
        # another company still gets it
        other = self.env["res.company"].create({"name": "Other WISP"})
        self.assertTrue(event.with_company(other).enabled)

    def test_switching_an_event_off_cancels_what_it_queued(self):
        event = self.env.ref("wisp_subscriber.message_event_services_suspended")
        self.new_service(state="suspended")
        queued = self.messages("services_suspended")
        self.assertEqual(queued.state, "queued")
        # a queued message of another company is not this switch's
        other = self.env["res.company"].create({"name": "Other WISP"})
        elsewhere = queued.copy({"company_id": other.id, "event_key": "elsewhere"})
        event.with_user(self.manager).enabled = False
        self.assertEqual(queued.state, "cancel")
        self.assertIn("switched off", queued.last_error)
        self.assertEqual(elsewhere.state, "queued")
        self.send_queued()
        self.assertFalse(queued.mail_message_id, "nothing was sent")

    def test_sms_subscriber_gets_an_sms_through_twilio(self):
        self.subscriber.write(
            {
                "phone": "(220) 215-4155",
                "country_id": self.env.ref("base.us").id,
                "wisp_message_channel": "sms",
            }
        )
        self.assertEqual(self.subscriber.wisp_sms_number, SMS_NUMBER)
        self.new_service(state="suspended")
        queued = self.messages("services_suspended")
        self.assertEqual(queued.channel, "sms")
        self.send_queued()
        self.assertEqual(queued.state, "sent")
        # handed to Twilio (its HTTP API mocked the way sms_twilio's tests do); other
        # addons may text the same subscriber about other events (an invoice)
        sent = [sms for sms in self._sms if "suspended" in sms["body"]]
        self.assertEqual([sms["number"] for sms in sent], [SMS_NUMBER])
        self.assertEqual(queued.mail_message_id.message_type, "sms")

    def test_both_channels(self):
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "both"})
        self.new_service(state="suspended")
        self.assertEqual(
            sorted(self.messages("services_suspended").mapped("channel")), ["email", "sms"]
        )

    def test_sms_needs_a_number_sms_can_reach(self):
        with self.assertRaisesRegex(ValidationError, "not a phone number SMS can reach"):
            self.subscriber.write({"phone": "12", "wisp_message_channel": "sms"})
        with self.assertRaisesRegex(ValidationError, "no number"):
            self.subscriber.write({"phone": False, "wisp_message_channel": "both"})

    def test_unreachable_subscriber_is_visible_not_silent(self):
        self.subscriber.email = False
        self.new_service(state="suspended")
        message = self.messages("services_suspended")
        self.assertEqual(message.state, "cancel")
        self.assertIn("no e-mail address or mobile number", message.last_error)

    def test_retried_without_an_address_is_not_marked_sent(self):
        self.subscriber.email = False
        self.new_service(state="suspended")
        message = self.messages("services_suspended")
        message.with_user(self.manager).action_retry()
        # due for the cron, whose clock is this test's transaction start
        message.next_attempt = fields.Datetime.now() - timedelta(hours=1)
        self.send_queued()
        self.assertEqual(message.state, "queued", "tried again, never said sent")
        self.assertIn("no address on this channel", message.last_error)
        self.assertFalse(message.mail_message_id)

    def test_failed_send_is_retried_and_does_not_stop_the_others(self):
        self.new_service(state="suspended")
        self.other_subscriber.email = "other@example.com"
        self.new_service(state="suspended", partner=self.other_subscriber)
        failing, ok = (
            self.messages("services_suspended"),
            self.messages("services_suspended", self.other_subscriber),
        )
        real_send = type(self.Message)._send

        def send(message):
            if message == failing:
                raise ConnectionError("mail server down")
            return real_send(message)

        with patch.object(type(self.Message), "_send", send):
            self.send_queued()
        self.assertEqual((failing.state, failing.attempts), ("queued", 1))
        self.assertIn("mail server down", failing.last_error)
        self.assertGreater(failing.next_attempt, failing.create_date)
        self.assertEqual(ok.state, "sent")
        # the next round, once due, sends it
        failing.sudo().next_attempt = failing.create_date
        self.send_queued()
        self.assertEqual((failing.state, failing.attempts), ("sent", 2))

    def test_installation_scheduled_and_rescheduled_and_done(self):
        service = self.new_service(state="confirmed")
        order = service.installation_order_ids
        order.write({"installer_id": self.installer.id, "scheduled_date": "2030-01-15 09:00:00"})
        order.action_schedule()
        self.assertEqual(len(self.messages("installation_scheduled")), 1)
        self.send_queued()
        body = str(self.messages("installation_scheduled").mail_message_id.body)
        self.assertIn(self.installer.name, body)
        # a new date is a new message, the same date again is not
        order.write({"scheduled_date": "2030-01-16 14:00:00"})
        order.write({"scheduled_date": "2030-01-16 14:00:00", "duration": 2.0})
        self.assertEqual(len(self.messages("installation_scheduled")), 2)
        self.mount_device(service)
        order.with_user(self.installer).action_done()
        self.assertEqual(len(self.messages("installation_done")), 1)

    def test_who_may_see_and_resend_messages(self):
        self.subscriber.email = False
        self.new_service(state="suspended")
        message = self.messages("services_suspended")
        self.assertEqual(message.with_user(self.support).state, "cancel")
        with self.assertRaises(AccessError):
            message.with_user(self.support).action_retry()
        with self.assertRaises(AccessError):
            message.with_user(self.installer).read(["state"])
        portal = self.env["res.users"].create(
            {
                "name": "Portal",
                "login": "t_msg_portal",
                "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(AccessError):
            message.with_user(portal).read(["state"])
        with self.assertRaises(AccessError):
            self.env.ref("wisp_subscriber.message_event_services_suspended").with_user(
                self.support
            ).enabled = False
        self.subscriber.email = "back@example.com"
        message.with_user(self.manager).action_retry()
        self.assertEqual(message.state, "queued")

    # ------------------------------------------------------------ prepaid passes

    def prepaid_service(self, ends_in, started_ago):
        service = self.new_service(state="active", plan=self.plan_prepaid)
        now = fields.Datetime.now()
        service.sudo().write({"pass_started": now - started_ago, "expiry_datetime": now + ends_in})
        return service

    def test_prepaid_expiring_is_told_once_per_end(self):
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "sms"})
        self.assertEqual(self.env.company.wisp_prepaid_notice_days, 3, "the default")
        week = self.prepaid_service(timedelta(days=2), timedelta(days=5))
        # a day pass is shorter than the notice: its buyer knows
        self.prepaid_service(timedelta(hours=20), timedelta(hours=4))
        far = self.prepaid_service(timedelta(days=5), timedelta(days=2))
        Service = self.env["wisp.service"]
        Service._cron_expire_and_resume()
        Service._cron_expire_and_resume()  # every 5 minutes: told once
        told = self.Message.search([("event_id.code", "=", "prepaid_expiring")])
        self.assertEqual((told.res_id, told.channel), (week.id, "sms"))
        self.send_queued()
        self.assertEqual(told.state, "sent", told.last_error)
        sent = [sms for sms in self._sms if week.display_name in sms["body"]]
        self.assertEqual([sms["number"] for sms in sent], [SMS_NUMBER])
        self.assertIn("ends on", sent[0]["body"])
        # a pass extended is a new end, told again when it nears
        week.sudo().expiry_datetime += timedelta(hours=1)
        Service._cron_expire_and_resume()
        self.assertEqual(
            self.Message.search_count(
                [("res_model", "=", "wisp.service"), ("res_id", "=", week.id)]
            ),
            2,
        )
        self.assertFalse(
            self.Message.search([("res_model", "=", "wisp.service"), ("res_id", "=", far.id)])
        )

    def test_prepaid_notice_switched_off_by_the_company_setting(self):
        self.env.company.wisp_prepaid_notice_days = 0
        self.prepaid_service(timedelta(days=2), timedelta(days=5))
        self.env["wisp.service"]._cron_expire_and_resume()
        self.assertFalse(self.messages("prepaid_expiring"))

    def test_prepaid_expired_is_one_message_not_two(self):
        service = self.prepaid_service(timedelta(minutes=-1), timedelta(days=7))
        self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(service.state, "suspended")
        expired = self.Message.search([("event_id.code", "=", "prepaid_expired")])
        self.assertEqual((expired.res_model, expired.res_id), ("wisp.service", service.id))
        self.assertFalse(self.messages("services_suspended"), "not the generic one as well")
        self.send_queued()
        self.assertIn("has ended", expired.mail_message_id.subject or "")
        # suspended again later (reactivated by hand, expired again): the same end, told once
        service.action_reactivate()
        service.action_suspend()
        self.assertEqual(self.Message.search([("event_id.code", "=", "prepaid_expired")]), expired)

    def test_prepaid_expired_switched_off(self):
        self.env.ref("wisp_subscriber.message_event_prepaid_expired").enabled = False
        service = self.prepaid_service(timedelta(minutes=-1), timedelta(days=7))
        self.env["wisp.service"]._cron_expire_and_resume()
        self.assertEqual(service.state, "suspended", "the suspension does not depend on it")
        self.assertFalse(
            self.Message.search([("res_model", "=", "wisp.service"), ("res_id", "=", service.id)])
        )

    # ------------------------------------------------------------ rules

    def test_service_messages_ignore_marketing_opt_outs(self):
        """Opt-outs (the mail and phone blacklists) are for campaigns: a subscriber
        is still told its service is cut off."""
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "both"})
        self.env["mail.blacklist"].sudo()._add(self.subscriber.email)
        self.env["phone.blacklist"].sudo().add(SMS_NUMBER)
        self.new_service(state="suspended")
        queued = self.messages("services_suspended")
        self.assertEqual(sorted(queued.mapped("channel")), ["email", "sms"])
        self.send_queued()
        self.assertEqual(queued.mapped("state"), ["sent", "sent"], queued.mapped("last_error"))
        self.assertTrue([sms for sms in self._sms if sms["number"] == SMS_NUMBER])

    def test_channels_narrowed_by_the_event(self):
        self.Message._queue(
            "services_suspended", self.subscriber, self.subscriber, key="x", channels=("sms",)
        )
        self.assertFalse(self.messages("services_suspended"), "e-mail only: nothing to text")
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "both"})
        self.Message._queue(
            "services_suspended", self.subscriber, self.subscriber, key="y", channels=("sms",)
        )
        self.assertEqual(self.messages("services_suspended").channel, "sms")

    def test_staff_read_only_their_companys_messages(self):
        other = self.env["res.company"].create({"name": "Other WISP"})
        theirs = self.env["res.partner"].create(
            {"name": "Their Subscriber", "email": "their@example.com", "company_id": other.id}
        )
        self.Message._queue("services_suspended", theirs, theirs, key="b")
        self.new_service(state="suspended")
        mine = self.messages("services_suspended")
        their_message = self.messages("services_suspended", theirs)
        self.assertEqual(their_message.company_id, other)
        for user in (self.support, self.billing, self.manager):
            found = self.Message.with_user(user).search(
                [("event_id.code", "=", "services_suspended")]
            )
            self.assertEqual(found, mine, user.login)
            with self.assertRaises(AccessError):
                their_message.with_user(user).read(["state"])
        # staff of both companies, working in the other one, read it
        self.manager.write({"company_ids": [(4, other.id)]})
        self.assertEqual(their_message.with_user(self.manager).with_company(other).state, "queued")

    def test_confidential_sms_refused_by_the_provider_is_not_marked_sent(self):
        """The provider refusing the text of an access code leaves it to be retried."""
        event = self.env.ref("wisp_subscriber.message_event_services_suspended")
        event.sudo().confidential = True
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "sms"})
        self.new_service(state="suspended")
        queued = self.messages("services_suspended")
        self.assertEqual(queued.channel, "sms")
        with self.mock_sms_twilio_gateway(error_type="wrong_number_format"):
            self.Message._cron_send(commit=False)
        self.assertEqual(queued.state, "queued", "tried again later")
        self.assertEqual(queued.attempts, 1)
        self.assertIn("sms_number_format", queued.last_error)
        self.assertFalse(queued.mail_message_id)

    def test_confidential_event_is_sent_without_a_trace_in_the_chatter(self):
        """An access code reaches its buyer only: not logged where staff read it."""
        event = self.env.ref("wisp_subscriber.message_event_services_suspended")
        event.sudo().confidential = True
        self.subscriber.write({"phone": SMS_NUMBER, "wisp_message_channel": "both"})
        self.new_service(state="suspended")
        queued = self.messages("services_suspended")
        self.send_queued()
        self.assertEqual(queued.mapped("state"), ["sent", "sent"], queued.mapped("last_error"))
        # other addons' messages (the invoice of the service) are logged as usual
        logged = self.subscriber.message_ids.filtered(
            lambda m: "suspended" in str(m.body) or "cut off" in str(m.body)
        )
        self.assertFalse(logged, "nothing logged")
        self.assertTrue([sms for sms in self._sms if "suspended" in sms["body"]])
        # the SMS itself (administrators' only) is deleted by Odoo's SMS garbage collector
        texts = self.env["sms.sms"].sudo().search([("body", "ilike", "suspended")])
        self.assertTrue(all(texts.mapped("to_delete")))
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [("recipient_ids", "in", self.subscriber.ids), ("subject", "ilike", "suspended")]
            )
        )
        self.assertEqual(len(mail), 1)
        self.assertTrue(mail.auto_delete, "deleted once sent")
