from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import WispSubscriberCase


@tagged("post_install", "-at_install")
class TestSubscriberHeader(WispSubscriberCase):
    """The subscriber form's status roll-up and its suspend / reactivate / pause actions."""

    def wizard(self, user, transition, partner=None, services=None, **vals):
        Wizard = self.env["wisp.service.state.change"].with_user(user)
        context = {"default_transition": transition}
        if partner:
            context["default_partner_id"] = partner.id
        if services:
            context["default_service_ids"] = services.ids
        form = Form(Wizard.with_context(**context))
        for name, value in vals.items():
            setattr(form, name, value)
        return form.save()

    def test_status_roll_up(self):
        self.new_service(state="active")
        self.new_service(state="active", service_type="iptv", plan=self.plan_iptv)
        self.new_service(state="suspended")
        self.new_service(state="terminated")
        partner = self.subscriber.with_user(self.support)
        self.assertEqual(partner.subscriber_state, "suspended")
        self.assertEqual(partner.wisp_service_summary, "1 Suspended · 2 Active · 1 Terminated")
        self.assertEqual(
            (partner.wisp_has_active, partner.wisp_has_blocked, partner.wisp_has_paused),
            (True, True, False),
        )
        # a branch contact shows its account's services
        branch = self.env["res.partner"].create({"name": "B", "parent_id": self.subscriber.id})
        self.assertEqual(branch.wisp_service_summary, partner.wisp_service_summary)

    def test_suspend_with_a_reason_from_the_header(self):
        active = self.new_service(state="active")
        tv = self.new_service(state="active", service_type="iptv", plan=self.plan_iptv)
        self.new_service(state="paused")
        wizard = self.wizard(self.billing, "suspend", partner=self.subscriber, reason="Fraud check")
        self.assertEqual(wizard.service_ids, active | tv, "the services it applies to")
        wizard.action_apply()
        self.assertEqual(set((active | tv).mapped("state")), {"suspended"})
        self.assertEqual(active.state_reason, "Fraud check")

    def test_reactivate_keeps_the_reason_in_the_chatter(self):
        service = self.new_service(state="suspended")
        self.wizard(
            self.network, "reactivate", services=service, reason="Paid at the counter"
        ).action_apply()
        self.assertEqual(service.state, "active")
        self.assertFalse(service.state_reason)
        self.assertIn("Paid at the counter", service.message_ids[0].body)

    def test_pause_with_an_end_date_resumes_by_itself(self):
        with freeze_time("2030-03-01"):
            service = self.new_service(state="active")
            self.wizard(
                self.billing,
                "pause",
                partner=self.subscriber,
                reason="Travelling",
                pause_until=date(2030, 3, 20),
            ).action_apply()
            self.assertEqual(
                (service.state, service.pause_until, service.state_reason),
                ("paused", date(2030, 3, 20), "Travelling"),
            )
        with freeze_time("2030-03-19"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "paused")
        with freeze_time("2030-03-20"):
            self.env["wisp.service"]._cron_expire_and_resume()
            self.assertEqual(service.state, "active")
            self.assertFalse(service.pause_until)

    def test_reason_and_end_date_are_required(self):
        service = self.new_service(state="active")
        Wizard = self.env["wisp.service.state.change"].with_user(self.billing)
        no_reason = Wizard.create(
            {"transition": "suspend", "service_ids": [Command.set(service.ids)]}
        )
        with self.assertRaises(UserError):
            no_reason.action_apply()
        no_end = Wizard.create(
            {"transition": "pause", "service_ids": [Command.set(service.ids)], "reason": "x"}
        )
        with self.assertRaises(UserError):
            no_end.action_apply()
        self.assertEqual(service.state, "active")

    def test_refusals(self):
        service = self.new_service(state="active")
        for user in (self.support, self.installer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["wisp.service.state.change"].with_user(user).create(
                    {
                        "transition": "suspend",
                        "service_ids": [Command.set(service.ids)],
                        "reason": "x",
                    }
                )
        # another clerk's wizard cannot be applied
        wizard = (
            self.env["wisp.service.state.change"]
            .with_user(self.billing)
            .create(
                {"transition": "suspend", "service_ids": [Command.set(service.ids)], "reason": "x"}
            )
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.network).action_apply()
        self.assertEqual(service.state, "active")
