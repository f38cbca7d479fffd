"""RouterOS backend: provisioning a MikroTik router over its API (librouteros).

The router does PPPoE and hotspot AAA from its own tables; this adapter keeps
those tables equal to the suite's desired state. It talks to the API service
(``api-ssl``, port 8729, preferred; plain ``api``, 8728, on trusted links).

Layout on the router for one managed login ``L`` on plan ``P`` (PPPoE menus
first, hotspot menus in brackets):

* ``/ppp/profile`` (``/ip/hotspot/user/profile``): ``wisp-P`` with the plan's
  ``rate-limit``; for restricted logins also ``wisp-P-restricted``, the same
  rate plus ``address-list=wisp-restricted``.
* ``/ppp/secret`` (``/ip/hotspot/user``): ``name=L password=… profile=wisp-P``
  (``service=pppoe`` for secrets), ``remote-address`` (``address``) when the
  service has a static IP, ``remote-ipv6-prefix`` (PPPoE only) when it has a
  delegated IPv6 prefix, ``comment=wisp:<service comment>``.
* ``/ip/firewall/address-list``: ``list=wisp-restricted address=<static IP>
  comment=wisp:L``, only for a restricted service with a static IP.

A DHCP (IPoE) service is known by its CPE's MAC, which is its login ``M``
(``AA:BB:CC:DD:EE:FF``):

* ``/ip/dhcp-server/lease``: a static lease ``mac-address=M address=<IP>
  server=all rate-limit=<plan rate> comment=wisp:<service comment>``, plus
  ``address-lists=wisp-restricted`` while restricted (RouterOS puts the leased
  address in that list when the lease binds). There is no profile: the lease
  carries the rate itself, and RouterOS makes the dynamic simple queue from it.
  The static address-list entry above is added too (a DHCP service always has
  its address), so a restriction holds at once, not only from the next renewal.
  The DHCP server's own dynamic leases are neither managed nor conflicts.
  The service is online while its lease is ``bound``; a disconnect never removes
  the lease (it is the service's configuration, not a session).

Design choices:

* **Ownership marker**: a secret, hotspot user or static lease is managed when its comment
  starts with ``wisp:``; address-list entries when they are in
  ``wisp-restricted`` with a ``wisp:<login>`` comment; profiles whose name
  starts with ``wisp-`` belong to the suite (the name is the namespace; hotspot
  user profiles have no comment to carry a marker). Everything else is hand-made
  and never changed or removed. A desired login that already exists as a
  hand-made entry is a conflict: it is reported (non-transient
  :class:`BackendError`, raised after every other login has been applied, with
  that :class:`ApplyReport` as ``error.report``); an engineer adopts the entry
  by prefixing its comment with ``wisp:``.
* **Speed**: one profile per plan, named ``wisp-<plan name>``, carrying the
  plan's MikroTik ``rate-limit`` (burst included). RouterOS then creates a
  dynamic simple queue per session, named ``<pppoe-LOGIN>`` or
  ``<hotspot-LOGIN>``. A plan whose rate changes is updated in place.
* **Restricted** (suspended) services use the plan's restricted twin profile
  ``wisp-<plan>-restricted`` whose ``address-list=wisp-restricted`` makes the
  router put the client's (dynamic) address in that list on every connect; the
  router's firewall sends that list to the captive page. This is how MikroTik
  deployments do it, because PPPoE/hotspot addresses are usually dynamic and
  only the router knows them at connect time. When the service has a static
  address, a static address-list entry is added as well, so the restriction
  holds even for traffic that does not come through a session (e.g. a routed
  CPE); it is skipped when the list already holds that address (a hand-made
  entry, or the router's entry of a live session: RouterOS refuses a second
  one). The twin keeps the plan's rate: the walled garden, not the speed, is
  what restricts.
* **Session kick**: when a login's profile (speed or restriction) or its
  disabled flag changes, when the plan's profile is edited, when the login
  changes kind or is removed, its active session (``/ppp/active`` or
  ``/ip/hotspot/active``) is removed after the configuration is written, so the
  client reconnects into the new state at once.
* **Bulk reads**: ``apply`` reads each menu once (one ``print`` with a
  ``.proplist``; for a small ``logins`` set, one ``print`` with an OR query on
  the names), compares in memory and writes only differences. An unchanged
  router costs six prints and no write, whatever the number of services
  (``round_trips`` counts the API commands sent).
* Profiles are never removed: plans are shared and a leftover profile holds no
  subscriber data. A terminated service leaves no secret/user, no static
  address-list entry and no session (its dynamic queue and address go with it).
* **Usage** comes from the dynamic queues' ``bytes`` (``upload/download`` from
  the subscriber's side). RouterOS creates the queue at connect and drops it at
  disconnect, so the counters are per session: the caller stores deltas. A DHCP
  lease's queue is made when the lease binds and is found by its target, the
  lease's address (its name is not documented: see :func:`_lease_queues`).
* **Errors**: connection refused, timeouts and resets are transient; bad
  credentials, a rejected certificate (wrong CA, or no subjectAltName naming the
  router's address), an api-ssl without certificate (a refused handshake) and
  ``!trap`` answers are not. Messages name the router and the action, never a
  password, and librouteros's own DEBUG log of every API word is redacted (it logs
  ``=password=`` words verbatim otherwise).
* **TLS**: ``api-ssl`` needs a certificate on the router (``/ip service set
  api-ssl certificate=…``); RouterOS's certificate-less mode uses anonymous
  Diffie-Hellman, which modern OpenSSL refuses. Verify against the router's CA
  (``ca_file``/``ca_data``) or, on a lab router, ``verify_tls=False``.
* **Real-router output**: RouterOS 7.18+ answers an empty print with
  ``!empty`` (no rows), a hotspot user without static address prints
  ``address=0.0.0.0`` (not drift), and a password the API user may not see is
  absent from the row (not compared: see :meth:`RouterOSBackend.check_connection`).
* Words are sent as UTF-8 so comments with customer names survive.
"""

import contextlib
import dataclasses
import datetime
import logging
import re
import ssl
import threading
import weakref

import librouteros
from librouteros.api import Api
from librouteros.exceptions import LibRouterosError, MultiTrapError, TrapError

from .base import (
    ApplyReport,
    Backend,
    BackendError,
    PingResult,
    ServiceState,
    Session,
    SpeedProfile,
    Usage,
    check_dhcp_state,
)
from .rate_limit import parse_rate_limit

_logger = logging.getLogger(__name__)

MARKER = "wisp:"  # comment prefix of every managed secret, user and address entry
PROFILE_PREFIX = "wisp-"
RESTRICTED_SUFFIX = "-restricted"
RESTRICTED_LIST = "wisp-restricted"
ADDRESS_LIST_MENU = "/ip/firewall/address-list"
QUEUE_MENU = "/queue/simple"
DHCP_LEASE_MENU = "/ip/dhcp-server/lease"
# Up to this many logins are read with an OR query on their names; more, and a
# full print of the menu is cheaper than a query the router evaluates per entry.
QUERY_LIMIT = 100
# OpenSSL's reasons for a server that offers no cipher the client accepts: RouterOS's
# api-ssl without a certificate (anonymous Diffie-Hellman only).
HANDSHAKE_REFUSED = frozenset(
    {"SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE"}
)
# OpenSSL verify codes: X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH.
NAME_MISMATCH_CODES = frozenset({62, 64})


@dataclasses.dataclass(frozen=True)
class _Kind:
    """Where one kind of login lives on the router."""

    users: str
    profiles: str | None  # None: the entry carries its rate and address list itself
    active: str | None  # None: no session menu (DHCP: the bound lease is read instead)
    active_login: str  # the field naming the login in the active menu
    address_field: str  # the static address of a login
    prefix_field: str = ""  # the delegated IPv6 prefix of a login (PPPoE only)
    fixed: tuple = ()  # fields every managed login of this kind carries
    profile_comment: bool = False  # the profile menu has a comment field
    active_mac: str = "mac-address"  # the client's MAC in the active menu
    active_id: str = ".id"  # the field naming the session in the active menu
    active_counts: bool = False  # the active menu counts bytes-in / bytes-out itself
    key: str = "name"  # the field holding the login
    uptime_field: str = ""  # the login's total online-time limit, where the menu has one


KINDS = {
    "pppoe": _Kind(
        users="/ppp/secret",
        profiles="/ppp/profile",
        active="/ppp/active",
        active_login="name",
        address_field="remote-address",
        prefix_field="remote-ipv6-prefix",
        fixed=(("service", "pppoe"),),
        profile_comment=True,
        active_mac="caller-id",
        active_id="session-id",
    ),
    "hotspot": _Kind(
        users="/ip/hotspot/user",
        profiles="/ip/hotspot/user/profile",
        active="/ip/hotspot/active",
        active_login="user",
        address_field="address",
        uptime_field="limit-uptime",
        active_counts=True,
    ),
    # IPoE: a static lease per CPE MAC; server=all makes it valid on every DHCP
    # server of the router (the MAC, not the interface, identifies the subscriber).
    "dhcp": _Kind(
        users=DHCP_LEASE_MENU,
        profiles=None,
        active=None,
        active_login="",
        address_field="address",
        fixed=(("server", "all"),),
        key="mac-address",
    ),
}
PROFILE_FIELDS = (".id", "name", "rate-limit", "address-list", "comment")
ADDRESS_FIELDS = frozenset(kind.address_field for kind in KINDS.values())
UPTIME_FIELDS = frozenset(kind.uptime_field for kind in KINDS.values() if kind.uptime_field)
NO_ADDRESS = "0.0.0.0"  # noqa: S104 - a value RouterOS prints, not a bind
# Without this policy in its group, the API user is not shown passwords.
SENSITIVE_POLICY = "sensitive"
# Fields whose change must reach a running session (only a reconnect applies them).
KICK_FIELDS = frozenset({"profile", "disabled"})


class _TextApi(Api):
    """librouteros's Api, but every value stays the text the router sent.

    librouteros turns ``yes``/``true`` into bools and digit strings into ints;
    a password ``1234`` or a comment ``yes`` would come back as another type
    and look like drift forever.
    """

    def readSentence(self):  # librouteros names it so
        reply_word, words = self.protocol.readSentence()
        return reply_word, dict(_split_word(word) for word in words)


def _split_word(word):
    body = word[1:] if word.startswith("=") else word  # "=name=x", ".tag=x"
    key, _, value = body.partition("=")
    return key, value


class _RedactPasswords(logging.Filter):
    """librouteros logs every API word at DEBUG, passwords included.

    ``=password=`` words are cut, and so is any password a live backend knows
    (a router may echo a value in a trap message).
    """

    _SECRET = re.compile(r"(=(?:password|response)=).*")

    def __init__(self):
        super().__init__()
        self.backends = weakref.WeakSet()
        self.lock = threading.Lock()

    def filter(self, record):
        message = record.getMessage()
        original = message
        if "=password=" in message or "=response=" in message:
            message = self._SECRET.sub(r"\1***", message)
        with self.lock:
            backends = list(self.backends)
        for backend in backends:
            message = backend._scrub(message)
        if message != original:
            record.msg, record.args = message, ()
        return True


def _redactor():
    """The one filter on librouteros's logger (shared by every backend)."""
    library_logger = logging.getLogger("librouteros")
    for existing in library_logger.filters:
        if type(existing).__name__ == "_RedactPasswords":
            return existing
    redactor = _RedactPasswords()
    library_logger.addFilter(redactor)
    return redactor


class _Conflict(Exception):
    """A desired login collides with a hand-made router entry."""


# ----------------------------------------------------------------- text helpers


def _is_on(value):
    return str(value).lower() in ("yes", "true")


def _normal(field, value):
    """Compare values as RouterOS means them (``yes``/``true`` are the same, and a
    hotspot user without a static address prints ``address=0.0.0.0``)."""
    if field == "disabled":
        return _is_on(value)
    if field in ADDRESS_FIELDS and value == NO_ADDRESS:
        return ""
    if field in UPTIME_FIELDS:
        # "1d" and "24h" are the same limit; "0s" or nothing is none
        return uptime_seconds(value) or ""
    return value or ""


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|w|d|h|m|s)")
_UNIT_MS = {
    "w": 604800000,
    "d": 86400000,
    "h": 3600000,
    "m": 60000,
    "s": 1000,
    "ms": 1,
    "us": 0.001,
}


def parse_ms(text):
    """RouterOS durations in milliseconds: ``3ms`` (v6), ``3ms250us`` (v7), ``1s5ms``."""
    text = (text or "").strip().lstrip("<")
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total = sum(float(number) * _UNIT_MS[unit] for number, unit in _DURATION.findall(text))
    return round(total, 3)


def uptime_seconds(text):
    """A RouterOS duration (``1w2d3h4m5s``, ``01:00:00``, bare seconds) in whole seconds."""
    text = (text or "").strip()
    if re.fullmatch(r"\d+:\d{2}:\d{2}", text):
        hours, minutes, seconds = (int(part) for part in text.split(":"))
        return hours * 3600 + minutes * 60 + seconds
    if re.fullmatch(r"\d+", text):
        return int(text)
    return int((parse_ms(text) or 0) // 1000)


def ros_duration(seconds):
    """Seconds as RouterOS writes a duration: ``1w2d3h4m5s``, ``0s``."""
    seconds = int(seconds)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        value, seconds = divmod(seconds, size)
        if value:
            parts.append(f"{value}{unit}")
    return "".join(parts) or "0s"


def profile_name(state):
    """The router profile of a service: ``wisp-<plan>`` or its restricted twin."""
    if KINDS[state.kind].profiles is None:
        return ""
    name = PROFILE_PREFIX + state.profile.name
    return name + RESTRICTED_SUFFIX if state.restricted else name


def profile_fields(kind, profile, restricted):
    """The router profile of speed ``profile`` for ``kind`` logins, restricted or not."""
    name = PROFILE_PREFIX + profile.name
    fields = {
        "name": name + RESTRICTED_SUFFIX if restricted else name,
        "rate-limit": profile.rate_limit,
        "address-list": RESTRICTED_LIST if restricted else "",
    }
    if KINDS[kind].profile_comment:
        fields["comment"] = f"{MARKER}{profile.name}"
    return fields


def _user_read_fields(spec):
    """What ``apply`` reads of the entries of one kind."""
    if spec.profiles is None:  # a lease carries its own rate and address list
        own = ("rate-limit", "address-lists", "dynamic")
    else:
        own = ("password", "profile")
    fixed = (f for f, _ in spec.fixed)
    prefix = (spec.prefix_field,) if spec.prefix_field else ()
    uptime = (spec.uptime_field,) if spec.uptime_field else ()
    return (
        ".id",
        spec.key,
        *own,
        spec.address_field,
        *prefix,
        "comment",
        "disabled",
        *fixed,
        *uptime,
    )


def _name_query(field, names):
    """Query words selecting entries whose ``field`` is one of ``names`` (OR)."""
    names = sorted(names)
    return [f"?={field}={name}" for name in names] + ["?#|"] * (len(names) - 1)


def _lease_state(kind, login, row):
    """The ServiceState a managed DHCP lease holds (its plan's name is not on the router)."""
    rate = row.get("rate-limit", "")
    try:
        profile = parse_rate_limit(rate) if rate else SpeedProfile("", 0, 0)
    except ValueError:
        profile = SpeedProfile(rate, 0, 0)  # hand-edited: apply rewrites it
    return ServiceState(
        login=login,
        password="",
        kind=kind,
        profile=profile,
        restricted=RESTRICTED_LIST in row.get("address-lists", "").split(","),
        remote_address=_normal("address", row.get("address", "")),
        comment=row["comment"][len(MARKER) :],
        mac=login,
    )


def _lease_address(lease):
    """The address a bound lease handed out (``active-address``; else its static one)."""
    return _normal("address", lease.get("active-address") or lease.get("address", ""))


def _queue_bytes(row):
    """``(upload, download)`` of a simple queue (``bytes`` is upload/download)."""
    up, _, down = row.get("bytes", "0/0").partition("/")
    return int(up or 0), int(down or 0)


def _lease_queues(queues, leases):
    """``{MAC: queue row}``: the dynamic queue of each bound lease of ``leases``.

    RouterOS documents that a lease's ``rate-limit`` makes "a dynamic simple queue
    for the address of the lease", but not its name: its examples print
    ``dhcp-ds<MAC>`` in one version and ``dhcp-ds<HOST-NAME/MAC>`` in another, and
    the host name is whatever the client sends. So the queue is found by what is
    documented: dynamic, targeting the lease's address (``ADDRESS/32``, followed by
    the client's IPv6 prefix when a DHCPv6 binding shares it). The suite gives an
    address to one service only, and PPP/hotspot queues are named after their login.
    """
    by_target = {f"{_lease_address(lease)}/32": mac for mac, lease in leases.items()}
    found = {}
    for row in queues:
        name = row.get("name", "")
        if not _is_on(row.get("dynamic")) or name.startswith(("<pppoe-", "<hotspot-")):
            continue
        for target in row.get("target", "").split(","):
            mac = by_target.get(target.strip())
            if mac and mac not in found:
                found[mac] = row
    return found


# ---------------------------------------------------------------------- backend


@dataclasses.dataclass
class _Actual:
    """What the router holds, as read in bulk."""

    profiles: dict  # kind -> {profile name: row}, wisp- profiles only
    users: dict  # kind -> {login: row}, managed and hand-made (in scope)
    blocked: dict  # login -> [managed wisp-restricted address-list rows]
    listed: set  # addresses already in wisp-restricted through other entries


class RouterOSBackend(Backend):
    """Provision one MikroTik router through its API.

    :param host: router address
    :param port: API port; default 8729 with TLS, 8728 without
    :param username: API user (group with read, write, api, test, sensitive
        policies; without ``sensitive`` RouterOS hides passwords from it,
        which :meth:`check_connection` reports)
    :param password: its password (never logged)
    :param use_tls: use ``api-ssl``
    :param timeout: seconds for connecting and for every answer
    :param verify_tls: check the router's certificate and host name
    :param ca_file: CA bundle (path) to verify the router's certificate with
    :param ca_data: the same as PEM text (as stored on the router record)
    """

    kicks_on_apply = True  # a changed login's session is removed after its write

    def __init__(
        self,
        host,
        *,
        port=None,
        username="admin",
        password="",
        use_tls=True,
        timeout=10.0,
        verify_tls=True,
        ca_file=None,
        ca_data=None,
    ):
        self.host = host
        self.use_tls = use_tls
        self.port = port or (8729 if use_tls else 8728)
        self.username = username
        self._password = password
        self.timeout = timeout
        self.verify_tls = verify_tls
        self.ca_file = ca_file
        self.ca_data = ca_data
        self.round_trips = 0  # API commands sent (login included), for tests and benchmarks
        self._api = None
        self._apply_passwords = set()
        redactor = _redactor()
        with redactor.lock:
            redactor.backends.add(self)

    def __repr__(self):
        scheme = "api-ssl" if self.use_tls else "api"
        return f"<RouterOSBackend {scheme}://{self.username}@{self.host}:{self.port}>"

    # ----------------------------------------------------------- connection

    def _ssl_wrapper(self):
        if not self.use_tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file, cadata=self.ca_data)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE

        def wrap(sock):
            # librouteros does not close the plain socket when the handshake
            # fails; a worker retrying for hours would leak a descriptor each time.
            try:
                return context.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise

        return wrap

    def _connection(self):
        """The logged-in API, connecting on first use (lazily)."""
        if self._api is not None:
            return self._api
        self.round_trips += 1
        try:
            self._api = librouteros.connect(
                self.host,
                self.username,
                self._password,
                port=self.port,
                timeout=self.timeout,
                ssl_wrapper=self._ssl_wrapper(),
                subclass=_TextApi,
                encoding="utf-8",
            )
        except (TrapError, MultiTrapError) as exc:
            # RouterOS answers a bad login with a trap ("invalid user name or
            # password"): retrying cannot help until someone fixes the record.
            raise self._error(f"login as {self.username!r} refused: {exc}", False) from None
        except ssl.SSLCertVerificationError as exc:
            raise self._error(self._certificate_advice(exc), False) from None
        except ssl.SSLError as exc:
            if exc.reason in HANDSHAKE_REFUSED:
                # Deterministic: no retry makes the router offer a certificate.
                raise self._error(
                    f"TLS handshake refused ({exc.reason}): the router's api-ssl service "
                    "has no certificate, so RouterOS offers only anonymous Diffie-Hellman, "
                    "which TLS clients refuse. On the router, create or import a "
                    "certificate and set it: /ip service set api-ssl certificate=<name>",
                    False,
                ) from None
            raise self._io_error(exc, "connect") from exc
        except (OSError, LibRouterosError) as exc:
            raise self._io_error(exc, "connect") from exc
        return self._api

    def _certificate_advice(self, exc):
        if exc.verify_code in NAME_MISMATCH_CODES:
            return (
                f"TLS certificate does not name {self.host} ({exc.verify_message}); the "
                f"router's certificate needs a subjectAltName for the address the suite "
                f"connects to (IP:{self.host} for an address, DNS:<name> for a host "
                "name; a common name alone is not checked): reissue it on the router "
                f"with subject-alt-name=IP:{self.host}, or connect by a name it carries"
            )
        return (
            f"TLS certificate rejected ({exc.verify_message}); give the router record the "
            "CA that signed the router's certificate, or disable verification on a lab router"
        )

    def close(self):
        api, self._api = self._api, None
        if api is not None:
            with contextlib.suppress(Exception):
                api.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _secrets(self):
        return {self._password, *self._apply_passwords}

    def _error(self, message, transient, report=None):
        message = self._scrub(f"router {self.host}:{self.port}: {message}")
        _logger.warning("%s", message)
        return BackendError(message, transient=transient, report=report)

    def _io_error(self, exc, action):
        if isinstance(exc, TimeoutError):
            detail = f"no answer within {self.timeout:g}s"
        elif isinstance(exc, ConnectionRefusedError):
            detail = "connection refused (router down or API service disabled?)"
        elif isinstance(exc, ssl.SSLError):
            detail = f"TLS failure: {exc.reason or exc}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        return self._error(f"{action} failed: {detail}", True)

    @contextlib.contextmanager
    def _session(self, action):
        """Map every failure inside the block to a BackendError.

        A trap leaves the connection usable (the reply was read to ``!done``);
        any I/O error may leave half a reply in the socket, so the connection is
        dropped and the next call reconnects.
        """
        try:
            yield self._connection()
        except BackendError:
            raise
        except (TrapError, MultiTrapError) as exc:
            raise self._error(f"{action} refused by the router: {exc}", False) from None
        except (OSError, LibRouterosError) as exc:
            self.close()
            raise self._io_error(exc, action) from exc

    # ------------------------------------------------------------ API words

    def _run(self, api, command, *words):
        self.round_trips += 1
        return list(api.rawCmd(command, *words))

    def _print(self, api, menu, fields, query=()):
        return self._run(api, f"{menu}/print", "=.proplist=" + ",".join(fields), *query)

    def _add(self, api, menu, values):
        words = [f"={key}={value}" for key, value in values.items() if value != ""]
        rows = self._run(api, f"{menu}/add", *words)
        return rows[0].get("ret", "") if rows else ""

    def _set(self, api, menu, entry_id, values):
        words = [f"={key}={value}" for key, value in values.items()]
        self._run(api, f"{menu}/set", f"=.id={entry_id}", *words)

    def _unset(self, api, menu, entry_id, field):
        self._run(api, f"{menu}/unset", f"=.id={entry_id}", f"=value-name={field}")

    def _remove(self, api, menu, ids):
        self._run(api, f"{menu}/remove", "=.id=" + ",".join(ids))

    # ----------------------------------------------------------------- read

    def _read(self, api, scope):
        """Read every menu once; ``scope`` (a set) limits the logins read."""
        queried = scope is not None and len(scope) <= QUERY_LIMIT
        actual = _Actual(profiles={}, users={}, blocked={}, listed=set())
        for kind, spec in KINDS.items():
            actual.profiles[kind] = {}
            if spec.profiles is not None:
                fields = PROFILE_FIELDS if spec.profile_comment else PROFILE_FIELDS[:-1]
                actual.profiles[kind] = {
                    row["name"]: row
                    for row in self._print(api, spec.profiles, fields)
                    if row.get("name", "").startswith(PROFILE_PREFIX)
                }
            actual.users[kind] = {
                row[spec.key]: row
                for row in self._print(
                    api,
                    spec.users,
                    _user_read_fields(spec),
                    _name_query(spec.key, scope) if queried else (),
                )
                # The DHCP server's own (dynamic) leases come and go with clients:
                # neither ours nor a hand-made static lease in the way.
                if not _is_on(row.get("dynamic")) and (scope is None or row.get(spec.key) in scope)
            }
            if spec.profiles is not None and any(
                "password" not in row for row in actual.users[kind].values()
            ):
                _logger.warning(
                    "router %s: %s", self.host, self._sensitive_missing(f"reading {spec.users}")
                )
        for row in self._print(
            api,
            ADDRESS_LIST_MENU,
            (".id", "list", "address", "comment", "disabled", "dynamic"),
            (f"?=list={RESTRICTED_LIST}",),
        ):
            comment = row.get("comment", "")
            if _is_on(row.get("dynamic")) or not comment.startswith(MARKER):
                # The router's own per-session entries and hand-made ones: not
                # ours, but RouterOS refuses a second entry for their address.
                actual.listed.add(row.get("address"))
                continue
            login = comment[len(MARKER) :]
            if scope is None or login in scope:
                actual.blocked.setdefault(login, []).append(row)
        return actual

    def read_state(self):
        with self._session("read state") as api:
            actual = self._read(api, None)
        state = {}
        for kind, spec in KINDS.items():
            for login, row in actual.users[kind].items():
                if not row.get("comment", "").startswith(MARKER):
                    continue
                if spec.profiles is None:
                    state[login] = _lease_state(kind, login, row)
                    continue
                router_profile = row.get("profile", "")
                profile_row = actual.profiles[kind].get(router_profile, {})
                restricted = profile_row.get("address-list") == RESTRICTED_LIST
                plan = router_profile.removeprefix(PROFILE_PREFIX)
                if restricted:
                    plan = plan.removesuffix(RESTRICTED_SUFFIX)
                try:
                    profile = parse_rate_limit(profile_row.get("rate-limit", ""), plan)
                except ValueError:
                    # A hand-edited profile: report it as no limit, apply rewrites it.
                    profile = SpeedProfile(plan, 0, 0)
                state[login] = ServiceState(
                    login=login,
                    password=row.get("password", ""),
                    kind=kind,
                    profile=profile,
                    restricted=restricted,
                    remote_address=_normal(spec.address_field, row.get(spec.address_field, "")),
                    comment=row["comment"][len(MARKER) :],
                    ipv6_prefix=row.get(spec.prefix_field, "") if spec.prefix_field else "",
                    uptime_limit_s=(
                        uptime_seconds(row.get(spec.uptime_field)) if spec.uptime_field else 0
                    ),
                )
        return state

    # ---------------------------------------------------------------- apply

    def _desired(self, desired, scope):
        wanted = {}
        for state in desired:
            if scope is not None and state.login not in scope:
                continue
            if state.kind not in KINDS:
                raise BackendError(
                    f"unknown service kind {state.kind!r} for {state.login!r}", transient=False
                )
            if state.login in wanted:
                raise BackendError(f"login {state.login!r} is desired twice", transient=False)
            if state.uptime_limit_s and not KINDS[state.kind].uptime_field:
                raise BackendError(
                    f"login {state.login!r}: RouterOS {state.kind} logins have no total "
                    "online-time limit (time passes are hotspot logins)",
                    transient=False,
                )
            if KINDS[state.kind].profiles is None:
                check_dhcp_state(state)
            wanted[state.login] = state
        return wanted

    def _profiles(self, wanted):
        """{(kind, router profile name): fields} the desired services need."""
        profiles = {}
        for state in wanted.values():
            if KINDS[state.kind].profiles is None:
                continue
            fields = profile_fields(state.kind, state.profile, state.restricted)
            previous = profiles.setdefault((state.kind, fields["name"]), fields)
            if previous != fields:
                raise BackendError(
                    f"plan {state.profile.name!r} is given two different speeds", transient=False
                )
        return profiles

    @staticmethod
    def _user_fields(state):
        spec = KINDS[state.kind]
        if spec.profiles is None:
            return {
                spec.key: state.mac,
                **dict(spec.fixed),
                spec.address_field: state.remote_address,
                "rate-limit": state.profile.rate_limit,
                "address-lists": RESTRICTED_LIST if state.restricted else "",
                "comment": MARKER + state.comment,
                "disabled": "no",
            }
        fields = {
            "name": state.login,
            "password": state.password,
            **dict(spec.fixed),
            "profile": profile_name(state),
            spec.address_field: state.remote_address,
            **({spec.prefix_field: state.ipv6_prefix} if spec.prefix_field else {}),
            "comment": MARKER + state.comment,
            "disabled": "no",
        }
        if spec.uptime_field:
            limit = state.uptime_limit_s
            fields[spec.uptime_field] = ros_duration(limit) if limit > 0 else ""
        return fields

    def _ensure(self, api, menu, want, have, owned, *, key="name"):
        """Make the entry ``have`` (or a new one) hold ``want``; returns the changed fields.

        A duplicate-name trap on add means someone created the entry since we
        read (a concurrent job, an engineer): re-read it, and update it if it is
        ours; otherwise it is a conflict.
        """
        if have is None:
            try:
                self._add(api, menu, want)
                return set(want)
            except TrapError as exc:
                if "already" not in str(exc):
                    raise
                rows = self._print(api, menu, (".id", *want), (f"?={key}={want[key]}",))
                if not rows:
                    raise
                have = rows[0]
                if not owned(have):
                    raise _Conflict(f"{menu} {want[key]!r} exists but is not managed") from None
        # A property the router hides from this API user (a password without the
        # "sensitive" policy) is absent from the row: it cannot be compared.
        hidden = {"password"} - set(have)
        changed = {
            f
            for f, v in want.items()
            if f not in hidden and _normal(f, have.get(f, "")) != _normal(f, v)
        }
        values = {f: want[f] for f in changed if want[f] != ""}
        if values:
            self._set(api, menu, have[".id"], values)
        for field in sorted(changed - set(values)):
            self._unset(api, menu, have[".id"], field)  # RouterOS clears a value with unset
        return changed

    def _sync_profiles(self, api, wanted, actual):
        """Create/repair the profiles in use; returns those whose limits changed."""
        edited = set()
        for (kind, name), fields in sorted(self._profiles(wanted).items()):
            have = actual.profiles[kind].get(name)
            changed = self._ensure(api, KINDS[kind].profiles, fields, have, lambda row: True)
            if have is not None and changed & {"rate-limit", "address-list"}:
                edited.add((kind, name))
            if changed:
                _logger.info(
                    "router %s: %s profile %s", self.host, "updated" if have else "created", name
                )
        return edited

    def _sync_login(self, api, login, state, actual, edited):
        """Bring one login to ``state`` (None: remove it). Returns (wrote, existed, kick)."""
        wrote = existed = kick = False
        for kind, spec in KINDS.items():
            have = actual.users[kind].get(login)
            wanted_here = state is not None and state.kind == kind
            if have is not None and not have.get("comment", "").startswith(MARKER):
                if wanted_here:
                    raise _Conflict(f"{spec.users} {login!r} exists but is not managed")
                continue  # hand-made, in the other menu: not ours
            existed = existed or have is not None
            if not wanted_here:
                if have is not None:
                    self._remove(api, spec.users, [have[".id"]])
                    wrote = kick = True
                continue
            changed = self._ensure(
                api,
                spec.users,
                self._user_fields(state),
                have,
                lambda row: row.get("comment", "").startswith(MARKER),
                key=spec.key,
            )
            wrote = wrote or bool(changed)
            if have is not None and changed & KICK_FIELDS:
                kick = True
            if (kind, profile_name(state)) in edited:
                wrote = kick = True  # its plan's limits were rewritten for it
        wrote |= self._sync_blocked(api, login, state, actual)
        existed = existed or bool(actual.blocked.get(login))
        return wrote, existed, kick

    def _sync_blocked(self, api, login, state, actual):
        """Static wisp-restricted entries of a restricted service with a static IP."""
        want = set()
        if state is not None and state.restricted and state.remote_address:
            want.add(state.remote_address)
        extra = []
        for row in actual.blocked.get(login, []):
            if row.get("address") in want and not _is_on(row.get("disabled")):
                want.discard(row["address"])  # present and effective: keep (once)
            else:
                extra.append(row[".id"])
        if extra:
            self._remove(api, ADDRESS_LIST_MENU, extra)
        added = False
        # An address the list already holds (hand-made, or the router's entry
        # for a live session) is restricted already; a static twin would trap.
        for address in sorted(want - actual.listed):
            entry = {"list": RESTRICTED_LIST, "address": address, "comment": MARKER + login}
            try:
                self._add(api, ADDRESS_LIST_MENU, entry)
                added = True
            except TrapError as exc:
                if "already" not in str(exc):
                    raise
                # A session connected since we read: the router listed it itself.
        return bool(extra or added)

    def apply(self, desired, logins=None):
        scope = set(logins) if logins is not None else None
        wanted = self._desired(desired, scope)
        report = ApplyReport()
        if scope is not None and not scope:
            return report
        self._apply_passwords = {state.password for state in wanted.values()}
        conflicts, kicks = [], set()
        try:
            with self._session("apply") as api:
                actual = self._read(api, scope)
                edited = self._sync_profiles(api, wanted, actual)
                managed = {
                    login
                    for users in actual.users.values()
                    for login, row in users.items()
                    if row.get("comment", "").startswith(MARKER)
                } | set(actual.blocked)
                for login in sorted(set(wanted) | managed):
                    state = wanted.get(login)
                    try:
                        wrote, existed, kick = self._sync_login(api, login, state, actual, edited)
                    except _Conflict as exc:
                        conflicts.append(str(exc))
                        continue
                    if kick:
                        kicks.add(login)
                    if not wrote:
                        continue
                    outcome = (
                        report.removed
                        if state is None
                        else report.updated
                        if existed
                        else report.created
                    )
                    outcome.append(login)
                    _logger.info(
                        "router %s: %s %s",
                        self.host,
                        "removed" if state is None else "updated" if existed else "created",
                        login,
                    )
                if kicks:
                    self._kick(api, kicks)
            if conflicts:
                raise self._error(
                    "hand-made entries block these logins (prefix their comment with "
                    f"{MARKER!r} to let the suite manage them): " + "; ".join(conflicts),
                    False,
                    report=report,  # what was applied for the other logins
                )
            return report
        finally:
            self._apply_passwords = set()

    # ------------------------------------------------------------- sessions

    def _kick(self, api, logins):
        """Remove the active sessions of ``logins``; returns how many were dropped."""
        dropped = 0
        for spec in KINDS.values():
            if spec.active is None:
                continue
            query = _name_query(spec.active_login, logins) if len(logins) <= QUERY_LIMIT else ()
            ids = [
                row[".id"]
                for row in self._print(api, spec.active, (".id", spec.active_login), query)
                if row.get(spec.active_login) in logins
            ]
            if not ids:
                continue
            try:
                self._remove(api, spec.active, ids)
            except TrapError:
                # A session ended between print and remove ("no such item"):
                # drop the others one by one.
                for entry_id in ids:
                    with contextlib.suppress(TrapError):
                        self._remove(api, spec.active, [entry_id])
            dropped += len(ids)
            _logger.info(
                "router %s: disconnected %s session(s) of %s",
                self.host,
                len(ids),
                ", ".join(sorted(logins)) if len(logins) <= 10 else f"{len(logins)} logins",
            )
        return dropped

    def disconnect(self, login):
        with self._session(f"disconnect {login!r}") as api:
            return self._kick(api, {login}) > 0

    def read_sessions(self, logins=None):
        """Open sessions from each kind's active menu and the bound leases (one print
        per menu, plus one of the queues).

        Hotspot entries count their own ``bytes-in``/``bytes-out`` (in: from the
        subscriber); a PPP active entry has no counters, so they come from its
        dynamic queue ``<pppoe-LOGIN>`` (``bytes`` is upload/download). A DHCP
        service is online while its managed static lease is ``bound`` (see
        :meth:`_bound_leases`); its bytes come from the dynamic queue RouterOS
        makes from the lease's ``rate-limit``, found by its target, the lease's
        address (:func:`_lease_queues`). The router does not keep when a lease was
        first bound (``last-seen`` is the time since the client last asked,
        ``expires-after`` the time left until the lease runs out: both move with
        every renewal), so a DHCP session's ``started`` is None: the caller counts
        it from the first read that found the lease bound.
        """
        scope = set(logins) if logins is not None else None
        if scope is not None and not scope:
            return []
        small = scope is not None and len(scope) <= QUERY_LIMIT
        found = []  # (kind, login, row)
        with self._session("read sessions") as api:
            for kind, spec in KINDS.items():
                if spec.active is None:  # DHCP: no session menu, bound leases below
                    continue
                fields = {".id", spec.active_id, spec.active_login, "address", "uptime"}
                fields.add(spec.active_mac)
                if spec.active_counts:
                    fields |= {"bytes-in", "bytes-out"}
                query = _name_query(spec.active_login, scope) if small else ()
                for row in self._print(api, spec.active, sorted(fields), query):
                    login = row.get(spec.active_login, "")
                    if login and (scope is None or login in scope):
                        found.append((kind, login, row))
            leases = self._bound_leases(api, scope)
            queues = {f"<{k}-{login}>" for k, login, _row in found if not KINDS[k].active_counts}
            targets = {_lease_address(row) for row in leases.values()}
            rows = self._print_queues(api, queues, targets) if queues or targets else []
        counters = {row["name"]: _queue_bytes(row) for row in rows if row.get("name", "") in queues}
        lease_queues = _lease_queues(rows, leases)
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        sessions = []
        for kind, login, row in found:
            spec = KINDS[kind]
            if spec.active_counts:
                upload, download = int(row.get("bytes-in") or 0), int(row.get("bytes-out") or 0)
            else:
                upload, download = counters.get(f"<{kind}-{login}>", (0, 0))
            sessions.append(
                Session(
                    login=login,
                    session_id=row.get(spec.active_id) or row.get(".id", ""),
                    kind=kind,
                    nas=self.host,
                    address=_normal("address", row.get("address", "")),
                    mac=row.get(spec.active_mac, ""),
                    started=now - datetime.timedelta(milliseconds=parse_ms(row.get("uptime")) or 0),
                    download_bytes=download,
                    upload_bytes=upload,
                )
            )
        for mac, lease in sorted(leases.items()):
            queue = lease_queues.get(mac, {})
            upload, download = _queue_bytes(queue) if queue else (0, 0)
            sessions.append(
                Session(
                    login=mac,
                    # the queue is made at each binding: a new id per session; the
                    # lease's own id outlives its sessions
                    session_id=queue.get(".id") or lease.get(".id", ""),
                    kind="dhcp",
                    nas=self.host,
                    address=_lease_address(lease),
                    mac=lease.get("active-mac-address") or mac,
                    started=None,
                    download_bytes=download,
                    upload_bytes=upload,
                )
            )
        return sessions

    def _bound_leases(self, api, scope):
        """``{MAC: lease row}`` of the managed static leases that are ``bound`` now.

        A static lease stays in the menu whether its CPE is there or not: RouterOS
        prints ``status=waiting`` for an unused one and ``bound`` once the client
        has accepted the address (offered, busy... are not online). Dynamic and
        hand-made leases are not the suite's services.
        """
        spec = KINDS["dhcp"]
        small = scope is not None and len(scope) <= QUERY_LIMIT
        query = _name_query(spec.key, scope) if small else ("?status=bound",)
        fields = (".id", spec.key, "address", "active-address", "active-mac-address")
        leases = {}
        for row in self._print(api, spec.users, (*fields, "status", "comment", "dynamic"), query):
            mac = row.get(spec.key, "")
            if (
                row.get("status") == "bound"
                and row.get("comment", "").startswith(MARKER)
                and not _is_on(row.get("dynamic"))
                and (scope is None or mac in scope)
            ):
                leases[mac] = row
        return leases

    def _print_queues(self, api, names, targets):
        """The simple queues named ``names`` or targeting ``targets`` (addresses)."""
        fields = (".id", "name", "target", "bytes", "dynamic")
        if len(names) + len(targets) > QUERY_LIMIT:
            return self._print(api, QUEUE_MENU, fields)
        words = [f"?=name={name}" for name in sorted(names)]
        words += [f"?=target={address}/32" for address in sorted(targets)]
        return self._print(api, QUEUE_MENU, fields, [*words, *["?#|"] * (len(words) - 1)])

    # ----------------------------------------------------------- operations

    def ping(self, address, count=5):
        with self._session(f"ping {address}") as api:
            rows = self._run(api, "/ping", f"=address={address}", f"=count={int(count)}")
        times, sent, received = [], 0, 0
        for row in rows:
            sent = max(sent, int(row.get("sent") or 0))
            received = max(received, int(row.get("received") or 0))
            if row.get("time") and not row.get("status"):
                times.append(parse_ms(row["time"]))
        if not times and received and rows:
            # No per-packet times: fall back on the router's summary.
            last = rows[-1]
            times = [parse_ms(last.get(f)) or 0.0 for f in ("min-rtt", "avg-rtt", "max-rtt")]
        if not times:
            return PingResult(
                sent=sent or int(count), received=0, min_ms=0.0, avg_ms=0.0, max_ms=0.0
            )
        return PingResult(
            sent=sent or int(count),
            received=received,
            min_ms=min(times),
            avg_ms=round(sum(times) / len(times), 3),
            max_ms=max(times),
        )

    def read_usage(self):
        """Counters of the dynamic queues: ``<pppoe-LOGIN>``, ``<hotspot-LOGIN>`` and
        the queues of the bound managed DHCP leases (by target, see
        :func:`_lease_queues`), counted for the lease's MAC."""
        with self._session("read usage") as api:
            rows = self._print(api, QUEUE_MENU, (".id", "name", "target", "bytes", "dynamic"))
            leases = self._bound_leases(api, None)
        totals = {}
        counted = [
            (match.group(1), row)
            for row in rows
            if (match := re.fullmatch(r"<(?:pppoe|hotspot)-(.+)>", row.get("name", "")))
        ]
        counted += list(_lease_queues(rows, leases).items())
        for login, row in counted:
            up, down = _queue_bytes(row)
            prev_up, prev_down = totals.get(login, (0, 0))
            totals[login] = (prev_up + up, prev_down + down)
        return [
            Usage(login=login, download_bytes=down, upload_bytes=up)
            for login, (up, down) in sorted(totals.items())
        ]

    def _sensitive_missing(self, where, group="<group>"):
        return (
            f"{where}: the API user {self.username!r} is not shown passwords (its group "
            f"lacks the {SENSITIVE_POLICY!r} policy), so changed passwords cannot be seen "
            f"or repaired; add it on the router: /user group set {group} "
            f"policy=<current policies>,{SENSITIVE_POLICY}"
        )

    def check_connection(self):
        """Log in, read ``/system/resource`` and check the API user's rights.

        Returns the resource row. Raises a permanent :class:`BackendError` when
        the user's group lacks the ``sensitive`` policy: RouterOS then hides
        every password, and provisioning could neither see nor repair one.
        """
        resource = self.system_resource()
        with self._session("read the API user's group") as api:
            users = self._print(api, "/user", ("name", "group"), (f"?=name={self.username}",))
            group = users[0].get("group", "") if users else ""
            groups = self._print(api, "/user/group", ("name", "policy"), (f"?=name={group}",))
        # A user or group the API cannot see proves nothing: only a group read
        # without the policy is reported.
        if groups and SENSITIVE_POLICY not in groups[0].get("policy", "").split(","):
            raise self._error(self._sensitive_missing("connection check", group), False)
        return resource

    def system_resource(self):
        """``/system/resource`` (version, uptime, board...): a cheap reachability check."""
        with self._session("read system resource") as api:
            rows = self._run(api, "/system/resource/print")
        return rows[0] if rows else {}
