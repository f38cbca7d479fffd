from odoo.addons.wisp_subscriber.tests.import_helpers import imported, run_import
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import D, WispBillingCase

OPENING = D(2024, 5, 15)
TEMPLATE = "\n".join(
    [
        "subscriber_ref,name,service_ref,plan,status,activation_date,balance,paid_until",
        "A,Ann Owes,SA,Home 31,active,2024-01-10,45.50,",
        "B,Bob Credit,SB,Home 31,active,2024-01-10,-20,2024-05-31",
        "C,Cy Even,SC,Home 31,suspended,2024-01-10,0,",
        "E,Eli Away,SE,Home 31,paused,2024-01-10,,",
    ]
)


@tagged("post_install", "-at_install")
class TestImportBilling(WispBillingCase):
    def imp_partner(self, ref, source="template"):
        return imported(self.env, "res.partner", source, ref)

    def imp_service(self, ref, source="template"):
        return imported(self.env, "wisp.service", source, ref)

    def opening_moves(self):
        return self.env["account.move"].search(
            [("move_type", "=", "entry"), ("ref", "like", "Opening balance (")]
        )

    def test_opening_balances_in_the_accounting(self):
        wizard, _action = run_import(self.env, TEMPLATE, opening_date=OPENING)
        self.assertEqual(wizard.state, "done", wizard.report)
        ann, bob, cy = self.imp_partner("A"), self.imp_partner("B"), self.imp_partner("C")
        # what the subscriber owes is its receivable; a credit is its wallet
        self.assertAlmostEqual(ann.credit, 45.50)
        self.assertAlmostEqual(bob.credit, -20.0)
        self.assertAlmostEqual(bob.wisp_wallet_balance, 20.0)
        self.assertAlmostEqual(cy.credit, 0.0)
        moves = self.opening_moves()
        self.assertEqual(len(moves), 1, "one opening entry per import, as Odoo's own")
        receivable = moves.line_ids.filtered("partner_id")
        self.assertEqual(receivable.partner_id, ann | bob, "no line for a zero balance")
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(set(moves.mapped("date")), {OPENING})
        self.assertEqual(moves.journal_id.type, "general")
        counterpart = moves.line_ids.filtered(
            lambda line: line.account_id == wizard.opening_account_id
        )
        self.assertEqual(
            wizard.opening_account_id, self.env.company.get_unaffected_earnings_account()
        )
        self.assertAlmostEqual(sum(counterpart.mapped("balance")), -25.50)
        # migrated, not sold: nothing invoiced, billing starts where the old system stopped
        for partner in (ann, bob, cy):
            self.assertFalse(self.invoices(partner))
        self.assertEqual(self.imp_service("SA").billed_until, D(2024, 5, 14))
        self.assertEqual(self.imp_service("SB").billed_until, D(2024, 5, 31))
        self.assertEqual(self.imp_service("SC").state, "suspended")
        # the old system billed and settled: no adjustment for months it already billed
        paused = self.imp_service("SE")
        self.assertEqual((paused.state, paused.billed_until), ("paused", D(2024, 5, 14)))
        imported_services = self.env["wisp.service"].search(
            [("partner_id.name", "in", ("Ann Owes", "Bob Credit", "Cy Even", "Eli Away"))]
        )
        self.assertFalse(imported_services.billing_adjustment_ids)
        self.assertIn("Opening balances: 2 created, 0 updated, 0 unchanged", wizard.report)
        # a later file with one more subscriber: its own entry, the others untouched
        wizard, _action = run_import(
            self.env, TEMPLATE + "\nD,Di New,SD,Home 31,active,2024-01-10,12,", opening_date=OPENING
        )
        self.assertIn("Opening balances: 1 created, 0 updated, 2 unchanged", wizard.report)
        self.assertEqual(len(self.opening_moves()), 2)
        self.assertAlmostEqual(self.imp_partner("D").credit, 12.0)
        self.assertAlmostEqual(ann.credit, 45.50)

    def test_reimport_posts_nothing_twice(self):
        run_import(self.env, TEMPLATE, opening_date=OPENING)
        moves = self.opening_moves()
        wizard, _action = run_import(self.env, TEMPLATE, opening_date=OPENING)
        self.assertEqual(wizard.state, "done", wizard.report)
        self.assertEqual(self.opening_moves(), moves)
        self.assertIn("Opening balances: 0 created, 0 updated, 2 unchanged", wizard.report)
        self.assertAlmostEqual(self.imp_partner("A").credit, 45.50)
        # another amount for a balance already posted is refused, nothing written
        wizard, _action = run_import(
            self.env, TEMPLATE.replace("45.50", "50"), opening_date=OPENING
        )
        self.assertEqual(wizard.state, "failed")
        self.assertIn(
            "Row 2, column balance: the opening balance of this subscriber", wizard.report
        )
        self.assertEqual(self.opening_moves(), moves)

    def test_reversed_balance_may_be_imported_again(self):
        """The refusal says "reverse that entry": once reversed, another amount posts."""
        run_import(self.env, TEMPLATE, opening_date=OPENING)
        moves = self.opening_moves()
        moves._reverse_moves(cancel=True)
        wizard, _action = run_import(
            self.env, TEMPLATE.replace("45.50", "50"), opening_date=OPENING
        )
        self.assertEqual(wizard.state, "done", wizard.report)
        self.assertIn("Opening balances: 2 created, 0 updated, 0 unchanged", wizard.report)
        self.assertAlmostEqual(self.imp_partner("A").credit, 50)
        # the subscriber's external id names the new balance: the same file posts nothing
        wizard, _action = run_import(
            self.env, TEMPLATE.replace("45.50", "50"), opening_date=OPENING
        )
        self.assertIn("Opening balances: 0 created, 0 updated, 2 unchanged", wizard.report)

    def test_reimported_termination_settles_nothing(self):
        run_import(self.env, TEMPLATE, opening_date=OPENING)
        wizard, _action = run_import(
            self.env,
            TEMPLATE.replace("SA,Home 31,active", "SA,Home 31,terminated"),
            opening_date=OPENING,
        )
        self.assertEqual(wizard.state, "done", wizard.report)
        service = self.imp_service("SA")
        self.assertEqual(service.state, "terminated")
        self.assertFalse(service.billing_adjustment_ids)
        self.assertFalse(self.invoices(self.imp_partner("A")))

    def test_dry_run_posts_nothing(self):
        wizard, _action = run_import(self.env, TEMPLATE, dry_run=True, opening_date=OPENING)
        self.assertEqual((wizard.state, wizard.error_count), ("checked", 0))
        self.assertFalse(self.opening_moves())
        self.assertFalse(self.imp_partner("A"))

    def test_bad_amount(self):
        wizard, _action = run_import(self.env, TEMPLATE.replace("45.50", "lots"))
        self.assertEqual(wizard.state, "failed")
        self.assertIn("Row 2, column balance: 'lots' is not an amount.", wizard.report)
        self.assertFalse(self.opening_moves())

    def test_splynx_balance_sign(self):
        text = "\n".join(
            [
                "Customer ID;Full name;Service ID;Plan;Status;Start date;Account balance",
                "101;Ada Debt;5001;Home 31;Active;2024-01-10;-25.50",
                "102;Alan Deposit;5002;Home 31;Active;2024-01-10;10",
            ]
        )
        wizard, _action = run_import(self.env, text, preset="splynx", opening_date=OPENING)
        self.assertEqual(wizard.state, "done", wizard.report)
        self.assertAlmostEqual(self.imp_partner("101", "splynx").credit, 25.50)
        self.assertAlmostEqual(self.imp_partner("102", "splynx").wisp_wallet_balance, 10.0)

    def test_billing_clerk_may_not_import(self):
        with self.assertRaises(AccessError):
            self.env["wisp.import"].with_user(self.billing_user).create({})
        wizard = self.env["wisp.import"].create({})
        with self.assertRaises(AccessError):
            wizard.with_user(self.billing_user).action_import()
