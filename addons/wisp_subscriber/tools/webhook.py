"""Outgoing webhooks on the wire: how a delivery is signed and sent.

The one place the suite talks HTTP to a webhook receiver. ``sign`` is also what a
receiver runs to check a delivery (``docs/api.md`` shows it), so it must stay the
documented scheme: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the
subscription's secret.
"""

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

import requests

SIGNATURE_HEADER = "X-Wisp-Signature"
TIMESTAMP_HEADER = "X-Wisp-Timestamp"
EVENT_HEADER = "X-Wisp-Event"
DELIVERY_HEADER = "X-Wisp-Delivery"
DEFAULT_TIMEOUT = 10


class WebhookError(Exception):
    """A delivery that did not reach the receiver or that it refused.

    Its text is safe to store and show: it never holds the URL, the secret or the body.
    """


def sign(secret, timestamp, body):
    """The ``X-Wisp-Signature`` value of ``body`` (bytes) sent at ``timestamp`` (int)."""
    message = str(int(timestamp)).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def is_loopback_url(url):
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed_url(url):
    """Whether ``url`` may receive webhooks: HTTPS only, plain HTTP to the loopback
    (a receiver on the same machine, the tests)."""
    parts = urlsplit(url or "")
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_url(url))


def post(url, body, secret, timestamp, *, headers=None, timeout=DEFAULT_TIMEOUT):
    """POST ``body`` (JSON bytes) to ``url``, signed; return the HTTP status (2xx).

    Raise :class:`WebhookError` for anything else: no connection, a timeout, a
    redirect (not followed: the signature is for this URL), a non-2xx answer.
    """
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": "wisp-webhooks/1",
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        **(headers or {}),
    }
    try:
        response = requests.post(
            url, data=body, headers=all_headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise WebhookError(f"No answer within {timeout} s.") from exc
    except requests.ConnectionError as exc:
        # requests' own text names the URL: keep only the kind of failure
        raise WebhookError("Could not connect to the receiver.") from exc
    except requests.RequestException as exc:
        raise WebhookError(f"Request failed ({type(exc).__name__}).") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"The receiver answered HTTP {response.status_code}.")
    return response.status_code
