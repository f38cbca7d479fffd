from odoo.exceptions import ValidationError

from .common import WispSubscriberCase, make_plan


class TestPlan(WispSubscriberCase):
    def _plan(self, **vals):
        return make_plan(
            self.env, "Plan", 30.0, **{"download_kbps": 10000, "upload_kbps": 2000, **vals}
        )

    def test_valid_plan_is_a_service_product(self):
        plan = self._plan(
            burst_download_kbps=15000, data_cap_gb=100, fup_download_kbps=2000, fup_upload_kbps=500
        )
        self.assertEqual(plan.type, "service")
        self.assertEqual(plan.product_tmpl_id._billing_period_months(), 1)

    def test_negative_speed_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._plan(download_kbps=-1)

    def test_internet_plan_needs_speeds(self):
        with self.assertRaisesRegex(ValidationError, "needs a download and an upload"):
            self._plan(upload_kbps=0)

    def test_burst_below_base_refused(self):
        with self.assertRaisesRegex(ValidationError, "burst download speed is below"):
            self._plan(burst_download_kbps=5000)

    def test_data_cap_needs_fair_use_speed(self):
        with self.assertRaisesRegex(ValidationError, "needs a fair-use speed"):
            self._plan(data_cap_gb=50)

    def test_a_plan_charging_past_its_cap_needs_no_fair_use_speed(self):
        plan = self._plan(data_cap_gb=50, data_cap_policy="overage", overage_price_per_gb=2.0)
        self.assertIsNone(plan.product_tmpl_id._wisp_throttle_mb())
        with self.assertRaisesRegex(ValidationError, "needs a fair-use speed"):
            self._plan(
                data_cap_gb=50,
                data_cap_policy="overage_then_throttle",
                overage_price_per_gb=2.0,
                overage_max_gb=10,
            )

    def test_fair_use_above_plan_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot exceed"):
            self._plan(data_cap_gb=50, fup_download_kbps=20000, fup_upload_kbps=100)

    def test_prepaid_needs_duration(self):
        with self.assertRaisesRegex(
            ValidationError, "needs a duration above zero \\(in minutes, hours or days\\)"
        ):
            self._plan(is_prepaid=True)

    def test_plan_and_addon_exclusive(self):
        with self.assertRaisesRegex(ValidationError, "either a plan or an add-on"):
            self._plan(is_wisp_addon=True)

    def test_burst_threshold_is_a_percentage(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 100"):
            self._plan(burst_threshold_pct=150)

    def test_period_and_cap_read_as_staff_and_subscribers_expect(self):
        """A prepaid plan lasts days whatever its billing period says; a cap of 0 is none."""
        day_pass = self._plan(is_prepaid=True, prepaid_duration=1)
        month_pass = self._plan(is_prepaid=True, prepaid_duration=30)
        quarterly = self._plan(
            billing_period="quarterly", data_cap_gb=300, fup_download_kbps=1000, fup_upload_kbps=500
        )
        self.assertEqual(day_pass.billing_period, "monthly", "the default stays underneath")
        self.assertEqual(day_pass.wisp_period_label, "1 day")
        self.assertEqual(month_pass.wisp_period_label, "30 days")
        self.assertEqual(quarterly.wisp_period_label, "Quarterly")
        self.assertEqual(day_pass.wisp_data_cap_label, "Unlimited")
        self.assertEqual(quarterly.wisp_data_cap_label, "300 GB")
        # the plans list shows the labels, not the raw period and cap
        arch = self.env["product.template"].get_view(
            self.env.ref("wisp_subscriber.product_template_view_list_wisp_plan").id, "list"
        )["arch"]
        self.assertIn('name="wisp_period_label"', arch)
        self.assertIn('name="wisp_data_cap_label"', arch)
        self.assertNotIn('name="billing_period"', arch)
        self.assertNotIn('name="data_cap_gb"', arch)
