"""The RouterOS commands that prepare a router for the suite (a ``.rsc`` script).

Pure rendering from plain values: the router model gathers them. Secrets never
appear: the API password and the RADIUS shared secret are placeholders in
``<angle brackets>`` that the engineer replaces before ``/import``.
"""

import dataclasses
import ipaddress

from ..adapters.routeros import KINDS, RESTRICTED_LIST, profile_fields

API_GROUP = "wisp-api"
CERTIFICATE = "wisp-api-ssl"
WALLED_GARDEN_LIST = "wisp-walled-garden"
PROXY_PORT = 8080
# read/write: provisioning; api: the protocol; test: /ping for circuit tests;
# sensitive: reading passwords back, else every reconcile rewrites every secret.
API_POLICIES = "read,write,api,test,sensitive"
API_PASSWORD_PLACEHOLDER = "<API password>"  # noqa: S105 - a placeholder, not a secret
RADIUS_SECRET_PLACEHOLDER = "<RADIUS shared secret>"  # noqa: S105 - a placeholder


@dataclasses.dataclass(frozen=True)
class SetupData:
    router_name: str
    host: str
    api_port: int
    use_tls: bool
    api_user: str
    portal_host: str
    walled_garden: tuple  # host names / addresses a restricted subscriber may reach
    profiles: tuple  # (kind, SpeedProfile)
    radius_host: str = ""  # set for a FreeRADIUS router
    coa_port: int = 3799
    dhcp: bool = False  # the router serves DHCP/IPoE services


def _value(value):
    """A RouterOS value, quoted when it holds anything but plain characters."""
    text = str(value)
    if text and all(ch.isalnum() or ch in "-_.,:/!*" for ch in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def command(menu, verb, values, item=None, tolerate=False):
    """One line: ``/menu verb [item] field=value ...``; ``tolerate``: an entry that
    already exists (a re-run, or the suite created it) does not stop the import."""
    words = ["/" + menu.strip("/").replace("/", " "), verb]
    if item:
        words.append(item)
    words += [f"{field}={_value(value)}" for field, value in values.items() if value != ""]
    line = " ".join(words)
    return f":do {{ {line} }} on-error={{}}" if tolerate else line


def _san(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"DNS:{host}"
    return f"IP:{host}"


def render(data):
    """The ``.rsc`` text for ``data`` (a :class:`SetupData`)."""
    lines = [
        f"# WISP suite: setup of router {data.router_name} ({data.host}).",
        "# Replace every <...> placeholder, then: /import file-name=<this file>",
        "",
        "# API over TLS with a certificate valid for the address the suite connects to",
    ]
    lines += [
        command(
            "/certificate",
            "add",
            {
                "name": CERTIFICATE,
                "common-name": data.host,
                "subject-alt-name": _san(data.host),
                "key-usage": "digital-signature,key-encipherment,tls-server",
                "days-valid": 3650,
            },
            tolerate=True,
        ),
        f"/certificate sign {CERTIFICATE}",
        command(
            "/ip/service",
            "set",
            {"certificate": CERTIFICATE, "port": data.api_port or 8729, "disabled": "no"},
            item="api-ssl",
        ),
    ]
    if data.use_tls:
        lines.append(command("/ip/service", "set", {"disabled": "yes"}, item="api"))
    lines += [
        "",
        "# The API user of the suite: its group has only the policies the suite needs",
        command("/user/group", "add", {"name": API_GROUP, "policy": API_POLICIES}, tolerate=True),
        command(
            "/user",
            "add",
            {"name": data.api_user, "group": API_GROUP, "password": API_PASSWORD_PLACEHOLDER},
            tolerate=True,
        ),
        "",
        f"# Restricted subscribers ({RESTRICTED_LIST}) reach DNS and the walled garden only;",
        "# their plain HTTP goes to the router's proxy, which redirects to the portal's page",
    ]
    for host in data.walled_garden:
        lines.append(
            command(
                "/ip/firewall/address-list",
                "add",
                {"list": WALLED_GARDEN_LIST, "address": host, "comment": "wisp:walled-garden"},
                tolerate=True,
            )
        )
        lines.append(
            command("/ip/hotspot/walled-garden", "add", {"dst-host": host, "action": "allow"})
        )
    forward = {"chain": "forward", "src-address-list": RESTRICTED_LIST}
    lines += [
        command(
            "/ip/firewall/filter",
            "add",
            {**forward, "protocol": "udp", "dst-port": 53, "action": "accept"},
        ),
        command(
            "/ip/firewall/filter",
            "add",
            {**forward, "dst-address-list": WALLED_GARDEN_LIST, "action": "accept"},
        ),
        command(
            "/ip/firewall/filter",
            "add",
            {**forward, "action": "reject", "reject-with": "icmp-admin-prohibited"},
        ),
        command(
            "/ip/firewall/filter",
            "add",
            {
                "chain": "input",
                "protocol": "tcp",
                "dst-port": PROXY_PORT,
                "src-address-list": f"!{RESTRICTED_LIST}",
                "action": "drop",
            },
        ),
        command("/ip/proxy", "set", {"enabled": "yes", "port": PROXY_PORT}),
        command(
            "/ip/proxy/access",
            "add",
            {"action": "redirect", "action-data": f"{data.portal_host}/captive"},
        ),
        command(
            "/ip/firewall/nat",
            "add",
            {
                "chain": "dstnat",
                "src-address-list": RESTRICTED_LIST,
                "protocol": "tcp",
                "dst-port": 80,
                "dst-address-list": f"!{WALLED_GARDEN_LIST}",
                "action": "redirect",
                "to-ports": PROXY_PORT,
            },
        ),
    ]
    if data.radius_host:
        lines += [
            "",
            "# FreeRADIUS authenticates and accounts; it disconnects sessions (CoA)",
            command(
                "/radius",
                "add",
                {
                    "service": "ppp,hotspot,dhcp" if data.dhcp else "ppp,hotspot",
                    "address": data.radius_host,
                    "secret": RADIUS_SECRET_PLACEHOLDER,
                    "authentication-port": 1812,
                    "accounting-port": 1813,
                },
            ),
            command("/radius/incoming", "set", {"accept": "yes", "port": data.coa_port}),
            command(
                "/ppp/aaa",
                "set",
                {"use-radius": "yes", "accounting": "yes", "interim-update": "5m"},
            ),
            command(
                "/ip/hotspot/profile",
                "set",
                {"use-radius": "yes", "radius-interim-update": "5m"},
                item="[find]",
            ),
        ]
    if data.dhcp:
        lines += [
            "",
            "# DHCP/IPoE services: the CPE's MAC identifies the subscriber; set",
            "# address-pool=static-only on the subscribers' DHCP server so that only",
            "# provisioned CPEs get an address",
        ]
        if data.radius_host:
            lines += [
                "# FreeRADIUS answers each lease request (MAC authentication)",
                command("/ip/dhcp-server", "set", {"use-radius": "yes"}, item="[find]"),
            ]
    if data.profiles:
        lines += ["", "# Speed profiles of the plans served here (the suite keeps them up to date)"]
    for kind, profile in data.profiles:
        for restricted in (False, True):
            fields = profile_fields(kind, profile, restricted)
            lines.append(command(KINDS[kind].profiles, "add", fields, tolerate=True))
    return "\n".join(lines) + "\n"
