import base64
from datetime import date, datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WispSubscriberCase
from .import_helpers import fixture_text, imported, run_import

IMPORTED_MODELS = ("res.partner", "wisp.service", "wisp.cpe.device")


@tagged("post_install", "-at_install")
class TestImport(WispSubscriberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wisp.site"].search([("code", "=", "TT")]).write({"name": "Test Tower"})

    def manager_env(self):
        return self.env(user=self.manager)

    def service(self, source, ref):
        return imported(self.env, "wisp.service", source, ref)

    def partner(self, source, ref):
        return imported(self.env, "res.partner", source, ref)

    def counts(self):
        return {model: self.env[model].search_count([]) for model in IMPORTED_MODELS}

    def test_template_import(self):
        messages = self.env["wisp.message"].search_count([])
        wizard, _action = run_import(self.manager_env(), fixture_text("import_template.csv"))
        self.assertEqual(wizard.state, "done", wizard.report)
        ada = self.partner("template", "C1")
        self.assertEqual(
            (ada.name, ada.email, ada.city), ("Ada Byron", "ada@example.com", "Testville")
        )
        self.assertTrue(ada.subscriber_code)
        s1, s2 = self.service("template", "S1"), self.service("template", "S2")
        self.assertEqual((s1.state, s1.plan_id, s1.login), ("active", self.plan, "ada.byron"))
        self.assertEqual(s1.activation_date, date(2024, 3, 1))
        self.assertEqual(s1.ip_address, "10.9.0.1")
        self.assertEqual(s1.site_id, self.site)
        self.assertEqual(s1.sudo().network_secret, "Pw-ada-123")
        self.assertEqual((s2.service_type, s2.state, s2.partner_id), ("iptv", "active", ada))
        device = s1.device_ids
        self.assertEqual(
            (device.serial_number, device.mac_address), ("IMP-SN-1", "02:AA:00:00:00:01")
        )
        self.assertEqual(self.service("template", "S3").state, "suspended")
        grace = self.service("template", "S4")
        self.assertEqual((grace.state, grace.termination_date), ("terminated", date(2024, 12, 31)))
        prepaid = self.service("template", "S5")
        self.assertEqual((prepaid.state, prepaid.expiry_date), ("active", date(2030, 6, 30)))
        self.assertTrue(
            self.partner("template", "C5"), "a row without a service brings its subscriber"
        )
        self.assertFalse(self.partner("template", "C5").service_ids)
        # migrated, not sold: no installation order, nobody told about a past suspension
        self.assertFalse((s1 | s2 | grace | prepaid).installation_order_ids)
        self.assertEqual(self.env["wisp.message"].search_count([]), messages)
        self.assertIn("Services: 5 created, 0 updated, 0 unchanged", wizard.report)

    def test_presets_map_sample_files(self):
        wizard, _action = run_import(
            self.manager_env(), fixture_text("import_splynx.csv"), preset="splynx"
        )
        self.assertEqual(wizard.state, "done", wizard.report)
        ada = self.service("splynx", "5001")
        self.assertEqual(
            (ada.partner_id.name, ada.login, ada.state), ("Ada Byron", "ada.byron", "active")
        )
        self.assertEqual(ada.device_ids.mac_address, "02:AA:00:00:00:11")
        self.assertEqual(self.service("splynx", "5002").state, "suspended")  # Blocked
        self.assertEqual(self.service("splynx", "5003").state, "terminated")  # Disabled
        self.assertEqual(self.service("splynx", "5003").plan_id, self.plan_iptv)

        wizard, _action = run_import(
            self.manager_env(), fixture_text("import_uisp.csv"), preset="uisp"
        )
        self.assertEqual(wizard.state, "done", wizard.report)
        byron = self.service("uisp", "70")
        self.assertEqual((byron.partner_id.name, byron.state), ("Ada Byron", "active"))
        self.assertEqual(byron.activation_date, date(2024, 3, 1))
        self.assertEqual(byron.device_ids.serial_number, "UISP-SN-1")
        enigma = self.service("uisp", "80")
        self.assertEqual(
            (enigma.partner_id.name, enigma.partner_id.is_company), ("Enigma Ltd", True)
        )
        self.assertEqual(enigma.state, "suspended")
        self.assertEqual(self.service("uisp", "90").state, "confirmed")  # Prepared

    def test_dry_run_writes_nothing(self):
        before = self.counts()
        wizard, _action = run_import(
            self.manager_env(), fixture_text("import_template.csv"), dry_run=True
        )
        self.assertEqual((wizard.state, wizard.row_count, wizard.error_count), ("checked", 6, 0))
        self.assertIn("6 rows checked: no error", wizard.report)
        self.assertEqual(self.counts(), before)
        self.assertFalse(self.service("template", "S1"))

    def test_bad_input_is_reported_per_row_and_nothing_written(self):
        self.new_service(login="taken.login")
        text = "\n".join(
            [
                "subscriber_ref,name,service_ref,plan,status,login,cpe_mac,activation_date",
                "A,Ann,S1,Test Home 20,active,ann.one,02:00:00:00:99:01,2024-01-01",
                "B,Bob,S2,No Such Plan,active,bob.two,,",
                "C,Cid,S3,Test Home 20,active,ann.one,,",
                "D,Dan,S4,Test Home 20,active,dan.four,zz:zz,",
                "E,Eve,S5,Test Home 20,active,eve.five,,31/12/2024",
                "F,Fay,S6,Test Home 20",
                "G,Gil,S7,Test Home 20,sleeping,gil.seven,,",
                "H,Hal,S8,Test Home 20,active,taken.login,,",
                "I,,S9,Test Home 20,active,,,",
                "J,Jo,S1,Test Home 20,active,jo.ten,,",
                "K,Kim,S11,Test Home 20,active,Bad Login!,,",
            ]
        )
        before = self.counts()
        wizard, _action = run_import(self.manager_env(), text)
        self.assertEqual(wizard.state, "failed")
        report = wizard.report
        for expected in (
            "Row 3, column plan: unknown plan 'No Such Plan'.",
            "Row 4, column login: duplicate login 'ann.one' (also on row 2).",
            "Row 5, column cpe_mac: 'zz:zz' is not a MAC address.",
            "Row 6, column activation_date: '31/12/2024' is not a date (YYYY-MM-DD).",
            "Row 7, column -: malformed row: 4 fields where the header has 8.",
            "Row 8, column status: unknown status 'sleeping'",
            "Row 9, column login: taken.login is already used by",
            "Row 10, column name: the subscriber has no name.",
            "Row 11, column service_ref: duplicate service_ref 'S1' (also on row 2).",
            "Row 12, column login: login 'Bad Login!' is not valid",
        ):
            self.assertIn(expected, report)
        self.assertEqual(wizard.error_count, 10)
        self.assertNotIn("Row 2,", report)
        self.assertEqual(self.counts(), before, "a file with a bad row writes nothing")

    def test_rows_that_do_not_fit_together(self):
        text = "\n".join(
            [
                "subscriber_ref,name,service_ref,plan,status,cpe_mac,expiry_date",
                "A,Ann,S1,Test Home 20,active,,",
                "A,Anne,S2,Test Home 20,active,,",
                "B,Bob,,,,02:00:00:00:99:02,",
                "C,Cid,S3,Test Prepaid 7d,active,,",
                "D,Dan,S4,Test Prepaid 7d,active,,2030-01-31",
            ]
        )
        wizard, _action = run_import(self.manager_env(), text, dry_run=True)
        self.assertEqual(wizard.error_count, 3, wizard.report)
        for expected in (
            "Row 3, column name: subscriber A has another name on row 2.",
            "Row 4, column cpe_mac: a service column needs a service reference.",
            "Row 5, column expiry_date: an active prepaid service needs the end of its paid time.",
        ):
            self.assertIn(expected, wizard.report)

    def test_missing_required_column(self):
        with self.assertRaisesRegex(UserError, "no column subscriber_ref"):
            run_import(self.manager_env(), "name,plan\nAnn,Test Home 20\n")

    def test_reimport_changes_nothing(self):
        text = fixture_text("import_template.csv")
        run_import(self.manager_env(), text)
        before = self.counts()
        # make the first import's writes old, so that any new write would show
        old = "2001-01-01 00:00:00"
        records = {
            model: self.env[model].browse(
                self.env["ir.model.data"]
                .search([("module", "=", "wisp_import"), ("model", "=", model)])
                .mapped("res_id")
            )
            for model in IMPORTED_MODELS
        }
        self.env.flush_all()
        for model, recs in records.items():
            self.env.cr.execute(
                f'UPDATE "{self.env[model]._table}" SET write_date = %s WHERE id = ANY(%s)',  # noqa: S608
                [old, recs.ids],
            )
        self.env.invalidate_all()
        wizard, _action = run_import(self.manager_env(), text)
        self.assertEqual(wizard.state, "done", wizard.report)
        self.assertIn("Subscribers: 0 created, 0 updated, 5 unchanged", wizard.report)
        self.assertIn("Services: 0 created, 0 updated, 5 unchanged", wizard.report)
        self.assertIn("CPE devices: 0 created, 0 updated, 1 unchanged", wizard.report)
        self.assertEqual(self.counts(), before)
        for model, recs in records.items():
            self.assertEqual(set(recs.mapped("write_date")), {datetime(2001, 1, 1)}, model)

    def test_reimport_applies_changes(self):
        text = fixture_text("import_template.csv")
        run_import(self.manager_env(), text)
        changed = text.replace("ada@example.com", "ada@lovelace.example").replace(
            "S3,Test Home 20,suspended", "S3,Test Home 20,active"
        )
        wizard, _action = run_import(self.manager_env(), changed)
        self.assertEqual(self.partner("template", "C1").email, "ada@lovelace.example")
        self.assertEqual(self.service("template", "S3").state, "active")  # reactivated
        self.assertIn("Subscribers: 0 created, 1 updated, 4 unchanged", wizard.report)
        self.assertIn("Services: 0 created, 1 updated, 4 unchanged", wizard.report)
        # a terminated service cannot come back: reported, nothing written
        back = text.replace("S4,Test Home 20,terminated", "S4,Test Home 20,active")
        wizard, _action = run_import(self.manager_env(), back)
        self.assertEqual(wizard.state, "failed")
        self.assertIn("is Terminated: it cannot become Active", wizard.report)

    def test_template_download(self):
        wizard = self.env["wisp.import"].with_user(self.manager).create({})
        action = wizard.action_download_template()
        self.assertIn("field=template_file", action["url"])
        header = base64.b64decode(wizard.template_file).decode().splitlines()[0]
        self.assertTrue(header.startswith("subscriber_ref,name,"))
        self.assertIn("cpe_mac", header)

    def test_refused_to_other_roles(self):
        text = fixture_text("import_template.csv")
        wizard = (
            self.env["wisp.import"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(text.encode())})
        )
        for user in (self.installer, self.support, self.billing, self.network):
            with self.assertRaises(AccessError):
                self.env["wisp.import"].with_user(user).create({})
            for method in ("action_check", "action_import", "action_download_template"):
                with self.assertRaises(AccessError):
                    getattr(wizard.with_user(user), method)()
        self.assertFalse(self.service("template", "S1"))
