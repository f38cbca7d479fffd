"""The captive page: where the router sends a restricted subscriber's browser.

How the visitor is identified
-----------------------------
1. Logged in: the services of the user's account.
2. Otherwise by the client address (``request.httprequest.remote_addr``;
   behind a reverse proxy, run Odoo with ``--proxy-mode`` and have the proxy
   set ``X-Forwarded-For`` and ``X-Forwarded-Host`` so that Odoo's ProxyFix
   puts the client's address there), matched against the services' static IP
   and their CPE devices' IP. An address shared by several accounts identifies
   nobody.

Only limited services are shown: restricted, suspended or paused, or active
with their data cap used up. Identified by address only, the page names the
subscriber by first name and masks the service references (the visitor
could be anyone on that subscriber's LAN), and shows what is needed to pay:
the overdue invoices' numbers, due dates and amounts. Anyone else gets a
neutral page with a login link and the support contact: no subscriber data.

Paying: Odoo's payment form on one blocking invoice at a time (the invoice
transaction route with the invoice's access token, as on the invoice's portal
page), landing on ``/captive/status``, which checks the token and tells when
the services are active again and their router jobs are done.

Router side (MikroTik): see ``views/captive_templates.xml``.
"""

import ipaddress

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.wisp_billing.models.account_move import SETTLED_STATES
from odoo.addons.wisp_network.models.wisp_service import RESTRICTED_STATES
from odoo.http import request
from odoo.tools import consteq

OPEN_JOB_STATES = ("pending", "running")
RESTORING_REFRESH_SECONDS = 5


def client_address(raw):
    """The client's address as stored on services (IPv4-mapped IPv6 unwrapped)."""
    try:
        address = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def mask_reference(reference):
    """``SRV/2026/00042`` -> ``•••0042``: enough to recognise one's own service."""
    reference = reference or ""
    return "•••" + reference[-4:] if len(reference) > 4 else "•" * len(reference)


class WispCaptivePortal(PortalAccount):
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
        address = client_address(request.httprequest.remote_addr)
        if not address:
            return Service, True
        services = Service.search(
            ["|", ("ip_address", "=", address), ("device_ids.ip_address", "=", address), *limited]
        )
        if len(services.commercial_partner_id) != 1:
            return Service, True
        return services, True

    def _wisp_captive_payment_values(self, invoice):
        """Odoo's payment form values for ``invoice`` (sudo), landing on the status page."""
        if not invoice._has_to_be_paid():
            return {"payment_error": invoice._get_online_payment_error()}
        access_token = invoice._portal_ensure_token()
        values = self._get_common_page_view_values(
            invoices_data={
                "partner": invoice.partner_id,
                "company": invoice.company_id,
                "total_amount": invoice.amount_total,
                "currency": invoice.currency_id,
                "amount_residual": invoice.amount_residual,
                "landing_route": (
                    f"/captive/status?invoice_id={invoice.id}&access_token={access_token}"
                ),
                "transaction_route": f"/invoice/transaction/{invoice.id}",
            },
            access_token=access_token,
        )
        values["amount"] = invoice.amount_residual
        return values

    @http.route(
        "/captive/status", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def wisp_captive_status(self, invoice_id=None, access_token=None, **kwargs):
        """Where the payment lands. The invoice's token is always required (even
        logged in): the page tells about the services that invoice bills."""
        invoice = (
            request.env["account.move"].sudo().browse(int(invoice_id)).exists()
            if invoice_id and invoice_id.isdigit()
            else None
        )
        if (
            not invoice
            or not invoice.access_token
            or not access_token
            or not consteq(invoice.access_token, access_token)
        ):
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
