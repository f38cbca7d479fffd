from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WispSubscriberCase

MONDAY = date(2030, 1, 14)


@tagged("post_install", "-at_install")
class TestInstallerScheduling(WispSubscriberCase):
    """Proposals by installer availability and distance, and the office's calendar."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = "UTC"
        for user in (cls.support, cls.network, cls.manager):
            user.tz = "UTC"
        cls.site.write({"latitude": 39.80, "longitude": -89.64})
        cls.subscriber.write({"partner_latitude": 39.78, "partner_longitude": -89.65})
        # installer lives next to the address, installer2 20 km away
        cls.installer.partner_id.write({"partner_latitude": 39.781, "partner_longitude": -89.651})
        cls.installer2.partner_id.write({"partner_latitude": 39.96, "partner_longitude": -89.70})
        cls.ours = cls.installer | cls.installer2
        cls.far = cls.env["res.partner"].create(
            {"name": "Far Farm", "partner_latitude": 40.2, "partner_longitude": -89.9}
        )

    def order_for(self, partner=None, **vals):
        service = self.new_service(state="confirmed", partner=partner)
        order = service.installation_order_ids
        if vals:
            order.write(vals)
        return order

    def proposals(self, order, **kwargs):
        found = order._wisp_installer_proposals(first_day=MONDAY, **kwargs)
        return [p for p in found if p["installer"] in self.ours]

    def test_nearest_free_installer_first_each_day(self):
        order = self.order_for()
        found = self.proposals(order, days=2)
        self.assertEqual(
            [(p["installer"], p["start"]) for p in found],
            [
                (self.installer, datetime(2030, 1, 14, 8, 0)),
                (self.installer2, datetime(2030, 1, 14, 8, 0)),
                (self.installer, datetime(2030, 1, 15, 8, 0)),
                (self.installer2, datetime(2030, 1, 15, 8, 0)),
            ],
        )
        self.assertLess(found[0]["distance_km"], 0.2)
        self.assertGreater(found[1]["distance_km"], 15)

    def test_busy_installer_gets_the_gap_and_starts_from_the_last_job(self):
        # the near installer is at the far farm 8:00-12:00 on Monday
        self.order_for(
            partner=self.far,
            installer_id=self.installer.id,
            scheduled_date="2030-01-14 08:00:00",
            duration=4.0,
        )
        order = self.order_for()
        monday = self.proposals(order, days=1)
        by_installer = {p["installer"]: p for p in monday}
        self.assertEqual(by_installer[self.installer]["start"], datetime(2030, 1, 14, 12, 0))
        self.assertGreater(by_installer[self.installer]["distance_km"], 40, "from the farm")
        self.assertEqual(by_installer[self.installer2]["start"], datetime(2030, 1, 14, 8, 0))
        self.assertEqual(monday[0]["installer"], self.installer2, "nearer from where it is")

    def test_only_a_job_of_the_same_day_moves_the_start(self):
        order = self.order_for()
        # Sunday at the far farm: Monday starts from home
        self.order_for(
            partner=self.far,
            installer_id=self.installer.id,
            scheduled_date="2030-01-13 10:00:00",
        )
        monday = self.proposals(order, days=1)
        self.assertLess(monday[0]["distance_km"], 0.2)
        # an early job at the farm on Monday: the day starts from there
        self.order_for(
            partner=self.far,
            installer_id=self.installer.id,
            scheduled_date="2030-01-14 06:00:00",
            duration=1.0,
        )
        mine = [p for p in self.proposals(order, days=1) if p["installer"] == self.installer]
        self.assertEqual(mine[0]["start"], datetime(2030, 1, 14, 8, 0))
        self.assertGreater(mine[0]["distance_km"], 40)

    def test_full_day_and_weekend_are_skipped(self):
        self.order_for(
            partner=self.far,
            installer_id=self.installer.id,
            scheduled_date="2030-01-14 08:00:00",
            duration=8.0,
        )
        order = self.order_for(duration=2.0)
        found = self.proposals(order, days=1)
        self.assertEqual([p["installer"] for p in found], [self.installer2])
        two_days = self.proposals(order, days=2)  # Monday, then Tuesday
        self.assertEqual(two_days[-1]["start"].date(), date(2030, 1, 15))
        saturday = order._wisp_installer_proposals(first_day=date(2030, 1, 19), days=1)
        self.assertEqual({p["start"].date() for p in saturday}, {date(2030, 1, 21)})

    def test_a_cancelled_or_done_order_does_not_block(self):
        busy = self.order_for(
            partner=self.far,
            installer_id=self.installer.id,
            scheduled_date="2030-01-14 08:00:00",
            duration=8.0,
        )
        busy.action_cancel()
        found = self.proposals(self.order_for(), days=1)
        self.assertIn(self.installer, [p["installer"] for p in found])

    @freeze_time("2030-01-11 10:00:00")
    def test_choosing_a_proposal_schedules_the_order(self):
        order = self.order_for()
        action = order.with_user(self.support).action_propose_installers()
        proposals = (
            self.env["wisp.installation.proposal"].with_user(self.support).search(action["domain"])
        )
        self.assertEqual(proposals[0].rank, 1)
        mine = proposals.filtered(lambda p: p.installer_id == self.installer)[:1]
        self.assertEqual(mine.start, datetime(2030, 1, 14, 8, 0), "Monday after Friday")
        mine.action_choose()
        self.assertEqual(order.state, "scheduled")
        self.assertEqual(order.installer_id, self.installer)
        self.assertEqual(order.scheduled_date, datetime(2030, 1, 14, 8, 0))
        self.assertEqual(order.service_id.state, "installation")
        # a scheduled order is proposed again (rescheduling) and keeps its state
        action = order.with_user(self.network).action_propose_installers()
        other = (
            self.env["wisp.installation.proposal"]
            .with_user(self.network)
            .search(action["domain"] + [("installer_id", "=", self.installer2.id)], limit=1)
        )
        other.action_choose()
        self.assertEqual((order.state, order.installer_id), ("scheduled", self.installer2))

    def test_refusals(self):
        order = self.order_for()
        for user in (self.installer, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                order.with_user(user).action_propose_installers()
        order.with_user(self.support).action_propose_installers()
        proposal = self.env["wisp.installation.proposal"].search(
            [("order_id", "=", order.id)], limit=1
        )
        # the proposals are the planner's: another office user cannot apply them
        with self.assertRaises(AccessError):
            proposal.with_user(self.network).action_choose()
        with self.assertRaises(AccessError):
            proposal.with_user(self.installer).action_choose()
        order.action_cancel()
        with self.assertRaises(UserError):
            order.with_user(self.support).action_propose_installers()

    def test_calendar_drag_is_a_write_of_the_office(self):
        order = self.order_for(installer_id=self.installer.id, scheduled_date="2030-01-14 08:00:00")
        order.action_schedule()
        # what the calendar does when the manager drags the event
        order.with_user(self.manager).write({"scheduled_date": "2030-01-15 13:00:00"})
        self.assertEqual(order.scheduled_date, datetime(2030, 1, 15, 13, 0))
        with self.assertRaises(AccessError):
            order.with_user(self.installer2).write({"scheduled_date": "2030-01-16 13:00:00"})
        with self.assertRaises(AccessError):
            order.with_user(self.installer).write({"installer_id": self.installer2.id})
        calendar = self.env.ref("wisp_subscriber.wisp_installation_order_action_calendar")
        self.assertEqual(calendar.view_mode.split(",")[0], "calendar")
