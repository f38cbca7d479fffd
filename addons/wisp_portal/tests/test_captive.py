import re

from odoo import Command, fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CLIENT_IP, WispPortalCase


@tagged("post_install", "-at_install")
class TestCaptive(WispPortalCase):
    """The page the router sends restricted subscribers to, and paying there."""

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.today = fields.Date.context_today(self.env.user)

    def captive(self, url="/captive"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return response.text

    # ------------------------------------------------------------------ pages
    def test_identified_by_address(self):
        service, invoice = self.overdue_service(self.alice)
        page = self.captive()
        self.assertIn('data-state="limited"', page)
        self.assertIn('o_wisp_captive_name">Alice<', page)
        self.assertIn(f"Invoice {invoice.name} overdue", page, "the suspension's reason")
        self.assertIn(invoice.name, page)
        self.assertIn(fields.Date.to_string(invoice.invoice_date_due), page)
        self.assertRegex(
            page, r'o_wisp_captive_amount"[^>]*>[^<]*<span class="oe_currency_value">30\.00<'
        )
        # the payment form on that invoice, landing on the status page
        self.assertIn('id="o_payment_form"', page)
        self.assertIn(f'data-transaction-route="/captive/transaction/{invoice.id}"', page)
        self.assertIn(f"/captive/status?invoice_id={invoice.id}&amp;access_token=", page)
        # identified by address only: no full name, address, e-mail or reference
        self.assertIn("•••" + service.name[-4:], page)
        for private in ("Alice Portal", "Antenna Road", "alice@example.com", service.name):
            self.assertNotIn(private, page)
        self.assertNotIn(service.sudo().network_password, page)

    def test_identified_by_device_address(self):
        service, invoice = self.overdue_service(self.alice, ip_address=False)
        self.env["wisp.cpe.device"].create(
            {"name": "LiteBeam", "service_id": service.id, "ip_address": CLIENT_IP}
        )
        page = self.captive()
        self.assertIn(invoice.name, page)
        self.assertIn('id="o_payment_form"', page)

    def test_logged_in_subscriber(self):
        service = self.new_service(self.bob, self.plan_50, "active", ip_address="10.20.0.7")
        service.action_restrict(reason="Abuse report: open relay")
        capped = self.new_service(self.bob, self.plan_20, "active", ip_address="10.20.0.8")
        capped.sudo().cap_exceeded = True
        self.authenticate("bob", "bob")
        page = self.captive()
        self.assertIn('o_wisp_captive_name">Bob Portal<', page)
        self.assertIn(service.name, page)
        self.assertIn("Abuse report: open relay", page)
        self.assertIn(capped.name, page)
        self.assertIn("o_wisp_captive_cap", page)
        self.assertIn("100 GB", page)
        self.assertNotIn("o_payment_form", page, "nothing to pay")

    def test_unknown_address_gets_a_neutral_page(self):
        _service, invoice = self.overdue_service(self.bob, ip_address="10.20.0.9")
        page = self.captive()
        self.assertIn('data-state="unknown"', page)
        self.assertIn("o_wisp_captive_login", page)
        self.assertIn("/web/login?redirect=/captive", page)
        self.assertIn("o_wisp_captive_support", page)
        for private in ("Bob", invoice.name, "o_payment_form", "o_wisp_captive_amount"):
            self.assertNotIn(private, page)

    def test_address_shared_by_two_accounts_identifies_nobody(self):
        self.overdue_service(self.alice)
        _service, invoice = self.overdue_service(self.bob)
        page = self.captive()
        self.assertIn('data-state="unknown"', page)
        self.assertNotIn(invoice.name, page)

    def test_active_subscriber_is_not_limited(self):
        self.new_service(self.alice, ip_address=CLIENT_IP)
        self.assertIn('data-state="unknown"', self.captive())
        self.authenticate("alice", "alice")
        self.assertIn("o_wisp_captive_clear", self.captive())

    # ----------------------------------------------------------------- status
    def test_status_needs_the_invoice_token(self):
        _service, invoice = self.overdue_service(self.alice)
        token = invoice._portal_ensure_token()
        self.assertEqual(
            self.url_open(
                f"/captive/status?invoice_id={invoice.id}&access_token={token}"
            ).status_code,
            200,
        )
        with mute_logger("odoo.http"):
            for query in (
                f"invoice_id={invoice.id}&access_token=wrong",
                f"invoice_id={invoice.id}",
                f"invoice_id=999999&access_token={token}",
                f"invoice_id=abc&access_token={token}",
            ):
                self.assert_refused(self.url_open(f"/captive/status?{query}"), query)
            self.authenticate("alice", "alice")
            self.assert_refused(
                self.url_open(f"/captive/status?invoice_id={invoice.id}&access_token=wrong"),
                "a logged-in owner still needs the token",
            )

    def test_pay_on_the_captive_page_restores_access(self):
        service, invoice = self.overdue_service(self.alice)
        page = self.captive()
        landing = re.search(r'data-landing-route="([^"]+)"', page).group(1).replace("&amp;", "&")
        access_token = re.search(r'data-access-token="([^"]+)"', page).group(1)
        self.assertIn('data-status="unpaid"', self.captive(landing))
        self.assertIn('http-equiv="refresh"', self.captive(landing))

        # what the payment form does: create the transaction, pay, poll
        processing = self.pay_by_form(
            f"/captive/transaction/{invoice.id}", access_token, landing, invoice.amount_residual
        )
        self._provider_answers(self._get_tx(processing["reference"]), "done")
        self.make_jsonrpc_request("/payment/status/poll")
        self.env.invalidate_all()
        tx = self.env["payment.transaction"].search([("reference", "=", processing["reference"])])
        self.assertEqual((tx.state, tx.landing_route), ("done", landing))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(service.state, "active", "paying releases the service")

        page = self.captive(landing)
        self.assertIn('data-status="restoring"', page)
        self.assertIn("o_wisp_captive_restoring", page)
        self.assertIn('http-equiv="refresh"', page)
        self.assertTrue(self.router_secret(service)["profile"].endswith("-restricted"))

        self.run_jobs()
        self.assertFalse(self.router_secret(service)["profile"].endswith("-restricted"))
        self.assertIsNone(
            self.emu.row("/ip/firewall/address-list", comment=f"wisp:{service.login}")
        )
        page = self.captive(landing)
        self.assertIn('data-status="restored"', page)
        self.assertIn("o_wisp_captive_restored", page)
        self.assertNotIn('http-equiv="refresh"', page)
        self.assertIn('data-state="unknown"', self.captive(), "no longer limited")

    def test_paid_but_another_invoice_still_blocks(self):
        service, first = self.overdue_service(self.alice)
        second = self.overdue_invoice(service)
        # the dunning blocks active services only: link it as it would have
        second.sudo().wisp_blocked_service_ids = [Command.link(service.id)]
        page = self.captive()
        self.assertIn(first.name, page)
        self.assertIn(second.name, page)
        self.assertRegex(
            page, r'o_wisp_captive_amount"[^>]*>[^<]*<span class="oe_currency_value">60\.00<'
        )
        self.assertIn(f"/captive?invoice_id={second.id}", page, "pick the other one to pay")
        self.assertIn(
            f'data-transaction-route="/captive/transaction/{second.id}"',
            self.captive(f"/captive?invoice_id={second.id}"),
        )

        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=first.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertEqual(service.state, "suspended", "still blocked by the second invoice")
        token = first._portal_ensure_token()
        page = self.captive(f"/captive/status?invoice_id={first.id}&access_token={token}")
        self.assertIn('data-status="blocked"', page)
        self.assertNotIn(
            f'data-transaction-route="/captive/transaction/{first.id}"', self.captive()
        )

    def test_setup_script_walled_garden_holds_the_payment_provider(self):
        """The router's setup script lets restricted subscribers reach the provider's
        payment form from this page: its hosts join the walled garden once it is on."""
        engineer = new_test_user(
            self.env, login="t_portal_engineer", groups="wisp_subscriber.group_wisp_network"
        )
        self.assertNotIn("js.stripe.com", self.router.with_user(engineer)._setup_script())
        self._prepare_provider(
            "stripe",
            update_values={
                "stripe_secret_key": "sk_test_wisp",
                "stripe_publishable_key": "pk_test_wisp",
            },
        )
        script = self.router.with_user(engineer)._setup_script()
        self.assertIn("list=wisp-walled-garden address=js.stripe.com", script)
        self.assertIn("/ip hotspot walled-garden add dst-host=js.stripe.com action=allow", script)
        self.assertNotIn("sk_test_wisp", script)
