"""The captive page: where the router sends a restricted subscriber's browser.

How the visitor is identified
-----------------------------
1. Logged in: the services of the user's account.
2. Otherwise by the client address (``anonymous.client_ip``: the peer, or what our trusted
   reverse proxies forwarded), matched against the services' static IP and their CPE
   devices' IP. An address used by several accounts, whatever their status (a terminated
   service no longer uses its address), identifies nobody.

Only limited services are shown: restricted, suspended or paused, or active with their data
cap used up. Identified by address only, the page names the subscriber by first name and
masks the service references (the visitor could be anyone on that subscriber's LAN), and
shows what is needed to pay: the overdue invoices' numbers, due dates and amounts. Anyone
else gets a neutral page with a login link and the support contact: no subscriber data.

Paying: Odoo's payment form on one blocking invoice at a time, through our own transaction
route, which charges the invoice's residual amount (whatever the browser sends) and lands on
``/captive/status``. Both take a captive credential, not the invoice's access token (which
opens the invoice and its PDF, for good): a signed token naming the invoice, valid for
``CAPTIVE_TOKEN_LIFETIME`` from the same address and user only. An anonymous visitor is
offered no saved card, cannot save one, and the form carries no partner details.

Router side (MikroTik): see ``views/captive_templates.xml``.
"""

from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.wisp_billing.models.account_move import SETTLED_STATES
from odoo.addons.wisp_network.models.wisp_service import RESTRICTED_STATES
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import hash_sign, verify_hash_signed

from .anonymous import (
    check_transaction_kwargs,
    payer,
    payment_form_values,
    request_client_ip,
)

OPEN_JOB_STATES = ("pending", "running")
RESTORING_REFRESH_SECONDS = 5
CAPTIVE_SCOPE = "wisp_portal.captive"
# long enough to pay (3-D Secure included) and follow the restoration, short enough to be
# worthless once the visitor has left the subscriber's line
CAPTIVE_TOKEN_LIFETIME = timedelta(hours=1)


def _captive_scope(uid, address):
    return f"{CAPTIVE_SCOPE}:{uid}:{address}"


def captive_token(env, invoice_id, uid, address, expiration=CAPTIVE_TOKEN_LIFETIME):
    """The captive credential of invoice ``invoice_id`` for user ``uid`` at ``address``."""
    return hash_sign(env(su=True), _captive_scope(uid, address), [invoice_id], expiration)


def captive_token_invoice_id(env, token, uid, address):
    """The invoice id ``token`` was made for, if made for ``uid`` at ``address`` and still
    valid; else None."""
    try:
        values = verify_hash_signed(env(su=True), _captive_scope(uid, address), token or "")
    except ValueError:  # not a token at all (bad encoding, version, JSON)
        return None
    return values[0] if isinstance(values, list) and len(values) == 1 else None


def mask_reference(reference):
    """``SRV/2026/00042`` -> ``•••0042``: enough to recognise one's own service."""
    reference = reference or ""
    return "•••" + reference[-4:] if len(reference) > 4 else "•" * len(reference)


class WispCaptivePortal(PaymentPortal):
    @http.route(
        "/captive", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def wisp_captive(self, invoice_id=None, **kwargs):
        services, by_address = self._wisp_captive_services()
        values = {
            "services": services,
            "by_address": by_address,
            "support": request.website.company_id,
            "restricted_states": RESTRICTED_STATES,
            "state_labels": dict(services._fields["state"]._description_selection(request.env)),
        }
        if services:
            account = services.commercial_partner_id
            invoices = services.blocking_invoice_ids.filtered(
                lambda m: m.state == "posted" and m.payment_state not in SETTLED_STATES
            ).sorted(lambda m: (m.invoice_date_due, m.id))
            selected = invoices.filtered(lambda m: str(m.id) == invoice_id)[:1] or invoices[:1]
            values.update(
                # by address: the first name only, the visitor may be anyone on that line
                account_name=(
                    next(iter((account.name or "").split()), "") if by_address else account.name
                ),
                invoices=invoices,
                amount_due=sum(invoices.mapped("amount_residual")),
                currency=invoices.currency_id[:1] or request.website.company_id.currency_id,
                selected=selected,
                service_ref=(lambda s: mask_reference(s.name))
                if by_address
                else (lambda s: s.name),
            )
            if selected:
                values.update(self._wisp_captive_payment_values(selected))
        return request.render("wisp_portal.captive_page", values)

    def _wisp_captive_services(self):
        """(limited services of the visitor, identified by address?) in sudo."""
        Service = request.env["wisp.service"].sudo()
        limited = [
            "|",
            ("state", "in", RESTRICTED_STATES),
            "&",
            ("state", "=", "active"),
            ("cap_exceeded", "=", True),
        ]
        user = request.env.user
        if not user._is_public():
            account = user.commercial_partner_id
            return Service.search([("commercial_partner_id", "=", account.id), *limited]), False
        address = request_client_ip()
        if not address:
            return Service, True
        # every account using the address, whatever its status, not only the limited ones
        users = Service.search(
            [
                "|",
                ("ip_address", "=", address),
                ("device_ids.ip_address", "=", address),
                ("state", "!=", "terminated"),
            ]
        )
        if len(users.commercial_partner_id) != 1:
            return Service, True
        return users.filtered_domain(limited), True

    def _wisp_captive_payment_values(self, invoice):
        """The payment form of ``invoice`` (sudo) on the captive credential, for its residual
        amount, landing on the status page."""
        if not invoice._has_to_be_paid():
            return {"payment_error": invoice._get_online_payment_error()}
        token = captive_token(request.env, invoice.id, request.env.uid, request_client_ip())
        return payment_form_values(
            partner=invoice.partner_id,
            company=invoice.company_id,
            amount=invoice.amount_residual,
            currency=invoice.currency_id,
            transaction_route=f"/captive/transaction/{invoice.id}",
            landing_route=self._wisp_captive_landing_route(invoice, token),
            access_token=token,
        )

    def _wisp_captive_landing_route(self, invoice, token):
        return f"/captive/status?invoice_id={invoice.id}&access_token={token}"

    def _wisp_captive_invoice(self, invoice_id, token):
        """The invoice (sudo) ``token`` is a captive credential of, for this visitor."""
        token_invoice_id = captive_token_invoice_id(
            request.env, token, request.env.uid, request_client_ip()
        )
        if not invoice_id or token_invoice_id != invoice_id:
            return request.env["account.move"]
        return request.env["account.move"].sudo().browse(invoice_id).exists()

    @http.route("/captive/transaction/<int:invoice_id>", type="jsonrpc", auth="public")
    def wisp_captive_transaction(self, invoice_id, access_token=None, **kwargs):
        """Create the card transaction paying the invoice of a captive credential; return its
        processing values. Amount, partner and landing page are the server's, not the
        browser's; a saved card only for its logged-in owner."""
        invoice = self._wisp_captive_invoice(invoice_id, access_token)
        if not invoice:
            raise ValidationError(request.env._("The access token is invalid."))
        if not invoice._has_to_be_paid():
            raise ValidationError(invoice._get_online_payment_error())
        self._validate_transaction_kwargs(kwargs)
        check_transaction_kwargs(invoice.partner_id, kwargs)
        kwargs.update(
            is_validation=False,
            amount=invoice.amount_residual,
            currency_id=invoice.currency_id.id,
            partner_id=payer(invoice.partner_id).id,
            landing_route=self._wisp_captive_landing_route(invoice, access_token),
        )
        tx_sudo = self._create_transaction(
            custom_create_values={"invoice_ids": [Command.set(invoice.ids)]}, **kwargs
        )
        return tx_sudo._get_processing_values()

    @http.route(
        "/captive/status", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def wisp_captive_status(self, invoice_id=None, access_token=None, **kwargs):
        """Where the payment lands, on the captive credential the payment was made with, or
        the invoice's own access token (which opens the invoice itself anyway). A token is
        always required (even logged in): the page tells about the services that invoice
        bills."""
        invoice_id = self._cast_as_int(invoice_id)
        invoice = self._wisp_captive_invoice(invoice_id, access_token)
        if not invoice and invoice_id:
            invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
            if not (
                invoice.access_token
                and access_token
                and consteq(invoice.access_token, access_token)
            ):
                invoice = None
        if not invoice:
            raise NotFound()
        status = self._wisp_captive_status(invoice)
        values = {
            "invoice": invoice,
            "status": status,
            "support": request.website.company_id,
            "refresh": RESTORING_REFRESH_SECONDS if status in ("unpaid", "restoring") else 0,
        }
        return request.render("wisp_portal.captive_status_page", values)

    def _wisp_captive_status(self, invoice):
        """unpaid | blocked (another reason still limits access) | restoring
        (router jobs running) | failed (a job gave up: support is on it) | restored."""
        if invoice.payment_state not in SETTLED_STATES:
            return "unpaid"
        services = invoice.invoice_line_ids.wisp_service_id.filtered(
            lambda s: s.state != "terminated"
        )
        if services.filtered(lambda s: s.state in RESTRICTED_STATES):
            return "blocked"
        jobs = services.network_job_ids
        if jobs.filtered(lambda j: j.state in OPEN_JOB_STATES):
            return "restoring"
        # an old failure repaired since does not count: only each service's last job
        if any(service.network_job_ids[:1].state == "failed" for service in services):
            return "failed"
        return "restored"
