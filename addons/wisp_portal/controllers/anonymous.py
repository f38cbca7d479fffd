"""What the anonymous pages (captive, hotspot) believe about a visitor, and the payment form
they show.

Client address
--------------
:func:`client_ip` is the visitor's address: the TCP peer, unless the peer is one of our
reverse proxies, listed in the system parameter ``wisp_portal.trusted_proxies``
(comma-separated addresses or networks, e.g. ``127.0.0.1, 10.0.0.0/24``; empty, the
default: none). Then ``X-Forwarded-For`` is read from the right, one entry per trusted
proxy, and the first address not of a trusted proxy is the client. Odoo's ``proxy_mode``
(werkzeug's ProxyFix) instead believes the last ``X-Forwarded-For`` entry of any request
carrying ``X-Forwarded-Host``, whoever sends it: ``request.httprequest.remote_addr`` is
therefore never used here, only the peer address ProxyFix kept.

:func:`client_key` is what counts per client (redeem throttle, checkouts): the address, or
the /64 network of an IPv6 address (one subscriber line gets a /64 and may use any address
in it).

Payment form
------------
:func:`payment_form_values` renders ``payment.form`` for a document paid through one of our
transaction routes. Saved cards, "save my card" and the form's partner (payment providers
prefill their card form with its name, e-mail, phone and address) are for the logged-in
owner of the document only; :func:`check_transaction_kwargs` refuses the same to anyone
else on the transaction route.
"""

import ipaddress

from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.exceptions import ValidationError
from odoo.http import request

TRUSTED_PROXIES_PARAM = "wisp_portal.trusted_proxies"
IPV6_CLIENT_PREFIX = 64


def parse_address(raw):
    """``raw`` as an IP address (IPv4-mapped IPv6 unwrapped), or None."""
    try:
        address = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def trusted_proxies(env):
    """The networks of our reverse proxies (bad entries are ignored: trusted less, not more)."""
    param = env["ir.config_parameter"].sudo().get_param(TRUSTED_PROXIES_PARAM) or ""
    networks = []
    for entry in param.split(","):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def client_ip(env, environ):
    """The visitor's address (a string, as stored on services), or None when unknown."""
    # ProxyFix (Odoo's proxy_mode) keeps the real peer aside before overwriting REMOTE_ADDR
    peer = (environ.get("werkzeug.proxy_fix.orig") or {}).get("REMOTE_ADDR") or environ.get(
        "REMOTE_ADDR"
    )
    address = parse_address(peer)
    proxies = trusted_proxies(env)
    hops = [hop for hop in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    while address and hops and any(address in network for network in proxies):
        # our proxy appended the address it got the request from
        address = parse_address(hops.pop())
    return str(address) if address else None


def client_key(address):
    """What counts as one client: the address, or the /64 network of an IPv6 address."""
    parsed = parse_address(address)
    if not parsed:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)


def request_client_ip():
    return client_ip(request.env, request.httprequest.environ)


def request_client_key():
    return client_key(request_client_ip())


def mask_email(email):
    """``walk.in@example.com`` -> ``w•••@example.com``: recognisable by its owner only."""
    local, _at, domain = (email or "").partition("@")
    return f"{local[:1]}•••@{domain}" if domain else ""


def is_owner(partner):
    """Whether the logged-in user pays for ``partner``'s account (may use its saved cards)."""
    user = request.env.user
    return (
        not user._is_public()
        and user.partner_id.commercial_partner_id == partner.commercial_partner_id
    )


def payer(partner):
    """The partner of a transaction paying a document of ``partner``: the logged-in owner's
    own contact (whose saved cards it may use), else the document's partner."""
    return request.env.user.partner_id if is_owner(partner) else partner


def payment_form_values(
    partner, company, *, amount, currency, transaction_route, landing_route, access_token
):
    """The ``payment.form`` context for paying ``amount`` of a document of ``partner``:
    the one builder of every payment page of the portal (invoice, wallet top-up, access
    code, captive page), logged in or not."""
    owner = is_owner(partner)
    paying = payer(partner)
    availability_report = {}
    providers = (
        request.env["payment.provider"]
        .sudo()
        ._get_compatible_providers(
            company.id, paying.id, amount, currency_id=currency.id, report=availability_report
        )
    )
    return {
        "company_mismatch": not PaymentPortal._can_partner_pay_in_company(paying, company),
        "expected_company": company,
        "amount": amount,
        "currency": currency,
        "partner_id": paying.id if owner else False,
        "providers_sudo": providers,
        "payment_methods_sudo": request.env["payment.method"]
        .sudo()
        ._get_compatible_payment_methods(
            providers.ids, paying.id, currency_id=currency.id, report=availability_report
        ),
        "tokens_sudo": request.env["payment.token"]
        .sudo()
        ._get_available_tokens(providers.ids, paying.id)
        if owner
        else request.env["payment.token"],
        "availability_report": availability_report,
        # only the logged-in owner may save a card, where Odoo's form would offer it
        "show_tokenize_input_mapping": PaymentPortal._compute_show_tokenize_input_mapping(providers)
        if owner
        else dict.fromkeys(providers.ids, False),
        "transaction_route": transaction_route,
        "landing_route": landing_route,
        "access_token": access_token,
    }


def check_transaction_kwargs(partner, kwargs):
    """Refuse a saved card to anyone but the logged-in owner, and never save one for them."""
    if is_owner(partner):
        return
    if kwargs.get("flow") == "token" or kwargs.get("token_id"):
        raise ValidationError(request.env._("Log in to pay with a saved payment method."))
    kwargs["tokenization_requested"] = False
