"""FreeRADIUS backend: provisioning into FreeRADIUS's standard SQL schema.

The router (NAS) does PPPoE/hotspot AAA against FreeRADIUS, and FreeRADIUS's
``sql`` module reads the stock tables (``radcheck``, ``radreply``,
``radusergroup``, ``radgroupreply``, ``radacct``). This adapter writes those
tables with psycopg2; it never talks to radiusd itself (except RFC 5176
Disconnect-Requests, which go to the NAS).

Layout of one managed login ``L`` (what a WISP's FreeRADIUS holds):

===============  ===========================================================
radcheck         ``L  Cleartext-Password  :=  <password>``,
                 ``L  Packet-Src-IP-Address  ==  <NAS address>`` (the NAS
                 scope; ``Packet-Src-IPv6-Address`` for an IPv6 NAS) and for
                 a time pass ``L  Max-All-Session  :=  <seconds>``
radreply         ``L  Mikrotik-Rate-Limit  :=  <plan rate>`` (always),
                 ``L  Framed-IP-Address  :=  <ip>`` (static address only),
                 ``L  Delegated-IPv6-Prefix  :=  <prefix>`` (IPv6 prefix only),
                 ``L  Fall-Through  :=  No`` (not restricted, see below) and
                 ``L  Session-Timeout  :=  <seconds>`` (time pass only)
radusergroup     ``L  wisp-pppoe``, ``wisp-hotspot`` or ``wisp-dhcp`` (priority 10):
                 the ownership marker, it also records the kind of login;
                 plus ``L  wisp-restricted`` (priority 0) while restricted
radgroupreply    ``wisp-restricted  Mikrotik-Address-List  :=  wisp-restricted``
                 ``wisp-restricted  Mikrotik-Rate-Limit  :=  <restricted rate>``
===============  ===========================================================

A DHCP (IPoE) login ``L`` is the CPE's MAC (``AA:BB:CC:DD:EE:FF``: RouterOS's DHCP
server with ``use-radius=yes`` sends it as ``User-Name`` with an empty password).
Instead of a password its radcheck rows are ``L Auth-Type := Accept`` and
``L Service-Type !* Framed-User`` (the request must come without Service-Type, as
the DHCP server's do and PPP's never do), next to the NAS scope; its replies the
same rate and ``Framed-IP-Address`` (the lease's address, required), restricted
through the same group.

Design choices:

* **The rate limit lives per user** in ``radreply``, not in a plan group: a
  service's speed changes on its own (fair-use throttling when its cap is
  crossed, burst, a plan change) and ``apply(logins=...)`` must change only
  the logins it is given, which shared plan rows could not honour.
* **Restricted** (suspended) logins keep their plan rows and get one extra
  ``radusergroup`` row. FreeRADIUS's sql module reads the user's replies first,
  then the groups in ascending ``priority``, and stops after the first group
  that has reply rows (no ``Fall-Through``). ``wisp-restricted`` comes first
  (priority 0), so its ``:=`` replaces the per-user rate and no later group
  adds anything: the Access-Accept carries the low restricted rate and
  ``Mikrotik-Address-List = wisp-restricted``, which the router's firewall
  sends to the captive page. Suspension and reactivation are one row each.
* **Two SELECTs per accepted login**: ``Fall-Through = No`` among a user's
  replies makes the sql module skip the group queries (membership, then each
  group's check and reply rows). A login that is not restricted has nothing to
  take from its groups, unless an operator hung rows on its kind group
  (``wisp-pppoe``/``wisp-hotspot``): then it gets no ``Fall-Through`` row. A
  restricted login has none either, so ``wisp-restricted`` applies. With the
  shipped queries (which list only groups holding rows) radiusd runs 2 SELECTs
  for an active login and 5 for a restricted one. After hanging rows on a kind
  group, reconcile the routers (the hourly reconcile does it too).
* **Ownership**: a login is managed when it has a ``radusergroup`` row whose
  group name starts with ``wisp-``; that group namespace belongs to the suite.
  For a managed login the suite owns the attributes above; other rows an
  operator adds to a managed login (``Simultaneous-Use``, a hand group) are
  kept while the service lives and deleted with it, so a terminated login
  leaves nothing behind and is rejected. Logins without a ``wisp-`` group are
  hand-made and never touched. In ``radgroupreply`` only the two
  ``wisp-restricted`` attributes above are managed; groups ``wisp-pppoe`` and
  ``wisp-hotspot`` hold no suite rows, so operators may hang pool or session
  attributes on them (restricted logins do not get those, see above).
* A desired login that exists only as hand-made rows is adopted: its
  password row is replaced and the marker added (reported as created).
* **Many NAS share one database**: a backend is built for one NAS
  (:class:`RadiusNas`) and a login belongs to one NAS, recorded by the check
  item ``Packet-Src-IP-Address == <NAS address>``. FreeRADIUS's sql module
  compares it at authorization: from any other client the user's check items
  fail, so its password and replies are not loaded and the request is
  rejected. The packet's source address is what radiusd matched to the
  client and its secret; ``NAS-IP-Address`` would be a value the NAS states
  about itself, which another NAS holding its own secret could copy. A per-NAS
  group would not do: a failing group check only skips the group, the user's
  own password still authenticates. A full reconcile owns the managed logins
  scoped to its NAS plus unscoped ones (left by the single-NAS layout, where a
  schema held one router); a desired login held by another NAS moves to this
  one (a service moved between routers), and a login of another NAS is never
  removed. ``apply(logins=...)`` reads only those logins' rows.
* The ``nas`` table lists the clients radiusd reads at start
  (``read_clients = yes``): :meth:`RadiusBackend.apply_clients` writes the
  complete set of one server's NAS (rows whose ``description`` starts with
  ``wisp-managed``) and removes the logins of a NAS no longer in it.
* **Vendors**: what the Access-Accept carries differs per NAS vendor; a
  :class:`NasVendor` in ``VENDORS`` says it (rate attribute and format, the
  restricted group and its attributes, ``nas.type``). MikroTik is the one
  vendor so far; another one is one more entry there.
* ``read_state`` returns what the NAS will enforce: the profile is parsed back
  from ``Mikrotik-Rate-Limit`` and named after that string (the plan's own name
  is not stored in RADIUS), ``comment`` is empty. ``apply`` compares rows, not
  profile names.
* **Time passes** (``uptime_limit_s``): ``Max-All-Session`` is the login's total
  online time; the ``wisp_uptime_counter`` sqlcounter shipped in
  ``deploy/freeradius/`` sums ``radacct.acctsessiontime`` of the login, rejects
  it once the sum reaches the limit and otherwise lowers ``Session-Timeout`` to
  the rest, so a login that comes back after part of its time gets only what is
  left. ``Session-Timeout`` in ``radreply`` caps a session even where the counter
  is not configured. ``first_logins`` reads the earliest ``acctstarttime`` since
  a given moment (the pass's first login).
* ``read_usage`` returns per-login totals: ``acctinputoctets`` are octets the NAS
  received from the subscriber (upload), ``acctoutputoctets`` the octets it
  sent to them (download); FreeRADIUS's PostgreSQL queries already fold the
  Gigawords counters into these 64-bit columns. With
  ``deploy/freeradius/wisp-accounting.sql`` loaded, a trigger folds every
  accounting write into ``wisp_usage`` and ``read_usage_since(cursor)`` reads
  only the totals changed since the previous read (a purge of old radacct
  rows leaves the totals alone); without it, every read sums all of radacct.
* Every apply runs in one transaction under a PostgreSQL advisory lock, so two
  sync jobs for the same database never interleave. ``read_state`` is four
  statements and ``apply`` five reads plus at most a dozen batched writes,
  whatever the number of services (``round_trips`` counts them); the reads of
  ``apply(logins=...)`` touch only those logins' rows (username indexes).
* When ``apply`` creates or repairs the ``wisp-restricted`` group rows, the
  report's ``updated`` holds ``"wisp-restricted"`` (a group, not a login).
* ``disconnect_many`` sends one RFC 5176 Disconnect-Request (User-Name,
  Acct-Session-Id, Framed-IP-Address) per open ``radacct`` session of the
  logins, to the NAS holding the session (``nasipaddress``) on ``coa_port``,
  signed with that NAS's secret (the ``nas`` table, else the secrets the suite
  knows), to every NAS at once (:mod:`.coa`). Per login: True on a
  Disconnect-ACK; False without an open session or when the NAS answers NAK;
  no answer is a transient :class:`BackendError`, a NAS without a known secret
  a permanent one. ``disconnect`` is the same for one login.
* ``ping`` is delegated to ``ping_via`` (the router's API adapter): RADIUS
  cannot ping. ``check_connection`` reads the managed tables for no login (a
  few index look-ups) and then checks ``ping_via``'s connection, if any.

Passwords, the DSN's password and the NAS shared secrets never appear in
exceptions or logs.
"""

import collections
import contextlib
import dataclasses
import datetime
import functools
import io
import ipaddress
import logging
import re

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from . import coa
from .base import (
    ApplyReport,
    Backend,
    BackendError,
    BackendUnsupported,
    ServiceState,
    Session,
    SpeedProfile,
    Usage,
    check_dhcp_state,
)
from .rate_limit import parse_rate_limit

_logger = logging.getLogger(__name__)

GROUP_PREFIX = "wisp-"
KIND_GROUPS = {"pppoe": "wisp-pppoe", "hotspot": "wisp-hotspot", "dhcp": "wisp-dhcp"}
KIND_PRIORITY = 10
RESTRICTED_PRIORITY = 0

PASSWORD_ATTR = "Cleartext-Password"  # noqa: S105 - an attribute name
ADDRESS_ATTR = "Framed-IP-Address"
PREFIX_ATTR = "Delegated-IPv6-Prefix"  # RFC 4818: the prefix for the CPE's LAN (DHCPv6-PD)
FALL_THROUGH_ATTR = "Fall-Through"
UPTIME_CHECK_ATTR = "Max-All-Session"  # check_name of the wisp_uptime_counter sqlcounter
SESSION_TIMEOUT_ATTR = "Session-Timeout"
# The NAS scope of a login: compared by radiusd with the request's source address.
NAS_ATTRS = {4: "Packet-Src-IP-Address", 6: "Packet-Src-IPv6-Address"}
NAS_OP = "=="
# nas rows the suite writes; other rows of the table are hand-made and kept.
NAS_MARK = "wisp-managed"


@dataclasses.dataclass(frozen=True)
class NasVendor:
    """What an Access-Accept carries for one NAS vendor.

    ``rate_attr`` holds ``format_rate(profile)``, parsed back by ``parse_rate``;
    restricted logins join ``restricted_group``, whose replies are
    ``restricted_replies(rate)``; ``nas_type`` is the ``nas.type`` (checkrad's
    name of the vendor).
    """

    nas_type: str
    rate_attr: str
    format_rate: object
    parse_rate: object
    restricted_group: str
    restricted_replies: object


VENDORS = {
    "mikrotik": NasVendor(
        nas_type="mikrotik",
        rate_attr="Mikrotik-Rate-Limit",
        format_rate=lambda profile: profile.rate_limit,
        parse_rate=parse_rate_limit,
        restricted_group="wisp-restricted",
        restricted_replies=lambda rate: {
            "Mikrotik-Address-List": (":=", "wisp-restricted"),
            "Mikrotik-Rate-Limit": (":=", rate),
        },
    ),
}
AUTH_TYPE_ATTR = "Auth-Type"
SERVICE_TYPE_ATTR = "Service-Type"
# The radcheck rows a login's kind owns besides the NAS scope. A DHCP login (the
# CPE's MAC) has no password: RouterOS's DHCP server sends an empty one. The MAC is
# accepted as it is, but only in a request without Service-Type, which the DHCP
# server never sends and PPP always does (Framed-User): the MAC typed into a PPPoE
# dialer gets nothing. (``!*`` ignores its value, which must still parse.)
KIND_CHECKS = {"dhcp": {AUTH_TYPE_ATTR: (":=", "Accept"), SERVICE_TYPE_ATTR: ("!*", "Framed-User")}}
CHECK_ATTRS = (
    PASSWORD_ATTR,
    AUTH_TYPE_ATTR,
    SERVICE_TYPE_ATTR,
    *NAS_ATTRS.values(),
    UPTIME_CHECK_ATTR,
)
REPLY_ATTRS = (
    *sorted({v.rate_attr for v in VENDORS.values()}),
    ADDRESS_ATTR,
    PREFIX_ATTR,
    FALL_THROUGH_ATTR,
    SESSION_TIMEOUT_ATTR,
)
RESTRICTED_GROUPS = tuple(sorted({v.restricted_group for v in VENDORS.values()}))


@dataclasses.dataclass(frozen=True)
class RadiusNas:
    """One RADIUS client (router) of the database: its ``nas`` row and login scope.

    :param address: the address the NAS sends its requests from (``nasname``)
    :param secret: its RADIUS shared secret
    :param shortname: a short name (radiusd's logs name the client by it)
    :param vendor: a key of ``VENDORS``
    :param description: free text kept in ``nas.description`` (e.g. the site)
    """

    address: str
    secret: str
    shortname: str = ""
    vendor: str = "mikrotik"
    description: str = ""

    def __repr__(self):  # the secret stays out of reprs (logs, tracebacks)
        return f"RadiusNas({self.address!r}, vendor={self.vendor!r})"

    def validated(self):
        """The NAS with its address normalised; :class:`BackendError` when unusable."""
        try:
            address = ipaddress.ip_address((self.address or "").strip())
        except ValueError:
            raise BackendError(
                f"NAS {self.shortname or '?'}: its address must be an IP address "
                "(the one it sends RADIUS requests from)",
                transient=False,
            ) from None
        if self.vendor not in VENDORS:
            raise BackendError(
                f"NAS {self.shortname or address}: unknown vendor {self.vendor!r}", transient=False
            )
        if not self.secret:
            raise BackendError(
                f"NAS {self.shortname or address}: no RADIUS shared secret", transient=False
            )
        return dataclasses.replace(self, address=str(address))

    @functools.cached_property
    def check_attr(self):
        """The check item scoping a login to this NAS (read once per login)."""
        return NAS_ATTRS[ipaddress.ip_address(self.address).version]


# pg_advisory_xact_lock key shared by every writer of one database.
_LOCK_KEY = 0x57495350  # "WISP"
# a usage cursor: a PostgreSQL snapshot as text
SNAPSHOT_RE = re.compile(r"^(\d+):(\d+):([\d,]*)$")
_PAGE = 1000

# The attributes a Disconnect-Request and its answer use (RFC 2865/2866/5176).
RADIUS_DICTIONARY = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Reply-Message 18 string
ATTRIBUTE Proxy-State 33 octets
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Event-Timestamp 55 date
ATTRIBUTE Message-Authenticator 80 octets
ATTRIBUTE Error-Cause 101 integer
VALUE Error-Cause Session-Context-Not-Found 503
"""


class RadiusBackend(Backend):
    """Provision one FreeRADIUS SQL database (PostgreSQL).

    :param dsn: libpq connection string of the RADIUS database
    :param schema: schema holding the FreeRADIUS tables (default: search_path)
    :param nas: the :class:`RadiusNas` whose logins ``read_state`` and ``apply``
        handle (required by them); its address's sessions are signed with its secret
    :param nas_host: the router's own address: its sessions are signed with ``secret``
    :param secret: the router's RADIUS shared secret (for Disconnect-Requests)
    :param nas_secrets: ``{address: secret}`` of other NAS sharing this database
        (the ``nas`` table, when it has the address, comes first)
    :param coa_port: the NAS's dynamic-authorization port (RFC 5176: 3799)
    :param timeout: seconds to wait for a NAS's answer, ``retries`` sends each
    :param kick_window: Disconnect-Requests outstanding per NAS once it answered
    :param ping_via: a backend able to ping from the router (e.g. the
        router's RouterOS API adapter); RADIUS itself cannot ping
    :param restricted_rate: the rate given to restricted logins
    """

    def __init__(
        self,
        dsn,
        *,
        schema=None,
        nas=None,
        nas_host=None,
        secret=None,
        coa_port=3799,
        nas_secrets=None,
        ping_via=None,
        restricted_rate="256k/256k",
        timeout=3.0,
        retries=2,
        kick_window=16,
        connect_timeout=5,
    ):
        self._dsn = dsn
        self.schema = schema
        self.nas = nas
        self.nas_host = nas_host
        self._known_secrets = dict(nas_secrets or {})
        if nas_host and secret:
            self._known_secrets[nas_host] = secret
        self.coa_port = coa_port
        self.ping_via = ping_via
        self.restricted_rate = restricted_rate
        self.timeout = timeout
        self.retries = retries
        self.kick_window = kick_window
        self.connect_timeout = connect_timeout
        self.round_trips = 0  # SQL statements sent, for benchmarks and tests
        self._conn = None
        self._dictionary = None
        self._scrub_words = set()
        self._apply_passwords = set()
        if nas is not None and nas.address and nas.secret:
            self._known_secrets.setdefault(nas.address, nas.secret)
        self._scrub_words.update(filter(None, self._known_secrets.values()))
        try:
            dsn_password = psycopg2.extensions.parse_dsn(dsn).get("password")
            self._dsn_malformed = False
        except psycopg2.Error:
            # libpq's message quotes the string around the fault: maybe the password
            dsn_password, self._dsn_malformed = None, True
        if dsn_password:
            self._scrub_words.add(dsn_password)

    def __repr__(self):
        nas = self.nas.address if self.nas else "-"
        return f"<RadiusBackend schema={self.schema or '-'} nas={nas}>"

    # ------------------------------------------------------------------ db

    def _connect(self):
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._conn = None
        if self._dsn_malformed:
            raise BackendError(
                "RADIUS database connect failed: malformed connection string", transient=False
            )
        try:
            conn = psycopg2.connect(
                self._dsn,
                connect_timeout=self.connect_timeout,
                application_name="wisp_network radius",
            )
        except psycopg2.Error as exc:
            raise self._db_error(exc, "connect") from None
        try:
            if self.schema:
                with conn.cursor() as cur:
                    cur.execute(
                        sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
                    )
                conn.commit()
        except psycopg2.Error as exc:
            conn.close()
            raise self._db_error(exc, "connect") from None
        self._conn = conn
        return conn

    def _drop_connection(self):
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    @contextlib.contextmanager
    def _transaction(self, what):
        """One transaction: commit at the end, roll back on any error."""
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                yield cur
            conn.commit()
        except psycopg2.Error as exc:
            self._rollback(exc)
            raise self._db_error(exc, what) from None
        except BaseException as exc:
            self._rollback(exc)
            raise

    def _rollback(self, exc):
        if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            self._drop_connection()
            return
        try:
            self._conn.rollback()
        except Exception:  # the connection is gone: start afresh
            self._drop_connection()

    def _secrets(self):
        return self._scrub_words | self._apply_passwords

    def _db_error(self, exc, what):
        transient = isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError))
        detail = (str(exc).strip().splitlines() or [""])[0]
        code = f" [{exc.pgcode}]" if getattr(exc, "pgcode", None) else ""
        message = self._scrub(
            f"RADIUS database {what} failed: {type(exc).__name__}{code}: {detail}"
        )
        _logger.warning("%s", message)
        return BackendError(message, transient=transient)

    def _execute(self, cur, query, params=None):
        self.round_trips += 1
        cur.execute(query, params)

    def _execute_values(self, cur, query, rows, template=None):
        rows = list(rows)
        if not rows:
            return
        self.round_trips += -(-len(rows) // _PAGE)
        psycopg2.extras.execute_values(cur, query, rows, template=template, page_size=_PAGE)

    def close(self):
        self._drop_connection()

    # ---------------------------------------------------------- bulk read

    def _scoped_nas(self):
        """This backend's NAS, checked; read_state and apply need one."""
        if self.nas is None:
            raise BackendError("RADIUS provisioning needs the NAS it serves", transient=False)
        return self.nas.validated()

    def _read_rows(self, cur, nas, logins=None, desired=()):
        """Read the managed rows in scope: four statements, whatever the size.

        The scope is ``logins`` when given (only their rows are read), else
        every managed login of ``nas`` or without a NAS scope, plus ``desired``
        wherever they are. Returns ``(groups, checks, replies, group_replies,
        filled)``: the first three map a login to ``{name: [(id, op, value), ...]}``
        (groups: ``{group: [(id, priority)]}``), ``group_replies`` maps a
        restricted group to ``{attribute: rows}``, ``filled`` is the set of kind
        groups holding rows (an operator's).
        """
        if logins is not None:
            scope = sql.SQL("username = ANY(%s)")
            params = [sorted(logins)]
        else:
            scope = sql.SQL(
                "(username = ANY(%s) OR username IN (SELECT username FROM radcheck "
                "WHERE attribute = %s AND value = %s) OR NOT EXISTS (SELECT 1 FROM radcheck c "
                "WHERE c.username = radusergroup.username AND c.attribute = ANY(%s)))"
            )
            params = [sorted(desired), nas.check_attr, nas.address, list(NAS_ATTRS.values())]
        groups = {}
        self._execute(
            cur,
            sql.SQL(
                "SELECT id, username, groupname, priority FROM radusergroup "
                "WHERE groupname LIKE %s AND {} ORDER BY id"
            ).format(scope),
            [GROUP_PREFIX + "%", *params],
        )
        for row_id, login, group, priority in cur.fetchall():
            groups.setdefault(login, {}).setdefault(group, []).append((row_id, priority))
        wanted = sorted(set(logins) if logins is not None else set(groups) | set(desired))
        tables = []
        for table, attrs in (("radcheck", CHECK_ATTRS), ("radreply", REPLY_ATTRS)):
            rows = {}
            self._execute(
                cur,
                _q(
                    "SELECT id, username, attribute, op, value FROM {} "
                    "WHERE username = ANY(%s) AND attribute = ANY(%s) ORDER BY id",
                    table,
                ),
                (wanted, list(attrs)),
            )
            for row_id, login, attribute, op, value in cur.fetchall():
                rows.setdefault(login, {}).setdefault(attribute, []).append((row_id, op, value))
            tables.append(rows)
        vendor = VENDORS[nas.vendor]
        kinds = list(KIND_GROUPS.values())
        self._execute(
            cur,
            "SELECT id, groupname, attribute, op, value FROM radgroupreply "
            "WHERE groupname = %s AND attribute = ANY(%s) UNION ALL "
            "SELECT DISTINCT NULL::integer, groupname, NULL, NULL, NULL FROM ("
            "SELECT groupname FROM radgroupreply WHERE groupname = ANY(%s) UNION ALL "
            "SELECT groupname FROM radgroupcheck WHERE groupname = ANY(%s)) AS kind "
            "ORDER BY 1",
            (vendor.restricted_group, list(vendor.restricted_replies("")), kinds, kinds),
        )
        group_replies, filled = {}, set()
        for row_id, group, attribute, op, value in cur.fetchall():
            if row_id is None:
                filled.add(group)
                continue
            group_replies.setdefault(group, {}).setdefault(attribute, []).append(
                (row_id, op, value)
            )
        return groups, tables[0], tables[1], group_replies, filled

    def read_state(self):
        nas = self._scoped_nas()
        vendor = VENDORS[nas.vendor]
        with self._transaction("read") as cur:
            groups, checks, replies, _group_replies, _filled = self._read_rows(cur, nas)
        state = {}
        for login, member in groups.items():
            kind = next((k for k, g in KIND_GROUPS.items() if g in member), "")
            password = _first_value(checks.get(login, {}).get(PASSWORD_ATTR))
            rate = _first_value(replies.get(login, {}).get(vendor.rate_attr))
            address = _first_value(replies.get(login, {}).get(ADDRESS_ATTR)) or ""
            prefix = _first_value(replies.get(login, {}).get(PREFIX_ATTR)) or ""
            uptime = _first_value(checks.get(login, {}).get(UPTIME_CHECK_ATTR)) or "0"
            try:
                profile = vendor.parse_rate(rate) if rate else SpeedProfile("", 0, 0)
            except ValueError:
                profile = SpeedProfile(rate, 0, 0)
            state[login] = ServiceState(
                login=login,
                password="" if kind == "dhcp" else password or "",
                kind=kind,
                profile=profile,
                restricted=any(group in member for group in RESTRICTED_GROUPS),
                remote_address=address,
                ipv6_prefix=prefix,
                uptime_limit_s=int(uptime) if uptime.isdigit() else 0,
                mac=login if kind == "dhcp" else "",
            )
        return state

    # -------------------------------------------------------------- apply

    def _desired_rows(self, service, nas, filled):
        """The rows one ServiceState must have on ``nas``: (checks, replies, groups).

        ``filled``: the kind groups that hold rows (their logins read groups)."""
        vendor = VENDORS[nas.vendor]
        checks = {
            **(KIND_CHECKS.get(service.kind) or {PASSWORD_ATTR: (":=", service.password)}),
            nas.check_attr: (NAS_OP, nas.address),
        }
        replies = {vendor.rate_attr: (":=", vendor.format_rate(service.profile))}
        if service.remote_address:
            replies[ADDRESS_ATTR] = (":=", service.remote_address)
        if service.ipv6_prefix:
            replies[PREFIX_ATTR] = (":=", service.ipv6_prefix)
        if service.uptime_limit_s:
            checks[UPTIME_CHECK_ATTR] = (":=", str(service.uptime_limit_s))
            replies[SESSION_TIMEOUT_ATTR] = (":=", str(service.uptime_limit_s))
        if not service.restricted and KIND_GROUPS[service.kind] not in filled:
            replies[FALL_THROUGH_ATTR] = (":=", "No")  # no group has anything for it
        groups = {KIND_GROUPS[service.kind]: KIND_PRIORITY}
        if service.restricted:
            groups[vendor.restricted_group] = RESTRICTED_PRIORITY
        return checks, replies, groups

    def _validate(self, desired):
        by_login = {}
        for service in desired:
            if not service.login or service.login != service.login.strip():
                raise BackendError(f"invalid login {service.login!r}", transient=False)
            if service.login in by_login:
                raise BackendError(f"login {service.login} is desired twice", transient=False)
            if service.kind not in KIND_GROUPS:
                raise BackendError(
                    f"login {service.login}: unknown kind {service.kind!r}", transient=False
                )
            if service.kind == "dhcp":
                check_dhcp_state(service)
            elif not service.password:
                raise BackendError(f"login {service.login} has no password", transient=False)
            if not isinstance(service.uptime_limit_s, int) or service.uptime_limit_s < 0:
                raise BackendError(
                    f"login {service.login}: invalid online-time limit "
                    f"{service.uptime_limit_s!r} (whole seconds, 0 for none)",
                    transient=False,
                )
            _check_value(service, service.remote_address, ipaddress.IPv4Address, "address")
            _check_value(service, service.ipv6_prefix, ipaddress.IPv6Network, "IPv6 prefix")
            by_login[service.login] = service
        return by_login

    def apply(self, desired, logins=None):
        nas = self._scoped_nas()
        vendor = VENDORS[nas.vendor]
        desired = list(desired)
        if logins is not None:
            logins = set(logins)
            desired = [s for s in desired if s.login in logins]
        desired = self._validate(desired)
        report = ApplyReport()
        # a database error could quote a value: keep this apply's passwords out
        self._apply_passwords = {s.password for s in desired.values()}
        try:
            with self._transaction("apply") as cur:
                self._execute(cur, "SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                groups, checks, replies, group_replies, filled = self._read_rows(
                    cur, nas, logins, desired
                )
                scope = set(groups) if logins is None else logins
                plan = _WritePlan()
                for login in sorted(scope | set(desired)):
                    service = desired.get(login)
                    if service is None:
                        # another NAS's login stays, even when named in ``logins``
                        if login in groups and _owned_by(nas, checks.get(login, {})):
                            plan.remove_logins.append(login)
                            report.removed.append(login)
                        continue
                    wanted = self._desired_rows(service, nas, filled)
                    want_checks, want_replies, want_groups = wanted
                    changed = plan.diff_attrs(
                        "radcheck",
                        login,
                        _own_checks(service.kind, checks.get(login, {})),
                        want_checks,
                    )
                    changed |= plan.diff_attrs(
                        "radreply", login, replies.get(login, {}), want_replies
                    )
                    changed |= plan.diff_groups(login, groups.get(login, {}), want_groups)
                    if login not in groups:
                        report.created.append(login)
                    elif changed:
                        report.updated.append(login)
                if plan.diff_attrs(
                    "radgroupreply",
                    vendor.restricted_group,
                    group_replies.get(vendor.restricted_group, {}),
                    vendor.restricted_replies(self.restricted_rate),
                ):
                    report.updated.append(vendor.restricted_group)
                plan.write(self, cur)
        finally:
            self._apply_passwords = set()
        if report.changed:
            _logger.info(
                "RADIUS apply for NAS %s: %d created, %d updated, %d removed",
                nas.address,
                len(report.created),
                len(report.updated),
                len(report.removed),
            )
        return report

    # ---------------------------------------------------------- clients

    def apply_clients(self, nases, keep=()):
        """Make the suite's rows of the ``nas`` table exactly ``nases``.

        ``nases`` is every NAS of this database, but those whose address is in
        ``keep`` (NAS that cannot be written now: their rows stay as they are).
        A hand-made row with the address of one of them is taken over; managed
        rows of other addresses are deleted with the managed logins scoped to
        them. radiusd reads the table when it starts: a changed report means it
        must be restarted. Returns an :class:`ApplyReport` of NAS addresses.
        """
        keep = set(keep)
        wanted = {}
        for given in nases:
            nas = given.validated()
            if nas.address in wanted:
                raise BackendError(f"two NAS share the address {nas.address}", transient=False)
            wanted[nas.address] = nas
        report = ApplyReport()
        self._apply_passwords = {nas.secret for nas in wanted.values()}
        try:
            with self._transaction("apply clients") as cur:
                self._execute(cur, "SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                self._execute(
                    cur,
                    "SELECT id, nasname, shortname, type, secret, description FROM nas "
                    "WHERE description LIKE %s OR nasname = ANY(%s) ORDER BY id",
                    (NAS_MARK + "%", list(wanted)),
                )
                actual = {}
                for row in cur.fetchall():
                    if row[1] not in keep:
                        actual.setdefault(row[1], []).append(row)
                deletes, updates, inserts = [], [], []
                for address in sorted(set(actual) | set(wanted)):
                    rows = actual.get(address, [])
                    nas = wanted.get(address)
                    if nas is None:
                        deletes.extend(row[0] for row in rows)
                        report.removed.append(address)
                        continue
                    want = (
                        (nas.shortname or address)[:32],
                        VENDORS[nas.vendor].nas_type,
                        nas.secret,
                        f"{NAS_MARK}: {nas.description}".strip(": ")[:200],
                    )
                    if not rows:
                        inserts.append((address, *want))
                        report.created.append(address)
                        continue
                    deletes.extend(row[0] for row in rows[1:])
                    if tuple(rows[0][2:]) != want or rows[1:]:
                        updates.append((rows[0][0], *want))
                        report.updated.append(address)
                if report.removed:
                    self._remove_nas_logins(cur, report.removed)
                if deletes:
                    self._execute(cur, "DELETE FROM nas WHERE id = ANY(%s)", (deletes,))
                self._execute_values(
                    cur,
                    "UPDATE nas AS t SET shortname = v.shortname, type = v.type, "
                    "secret = v.secret, description = v.description "
                    "FROM (VALUES %s) AS v(id, shortname, type, secret, description) "
                    "WHERE t.id = v.id",
                    updates,
                    template="(%s::integer, %s, %s, %s, %s)",
                )
                self._execute_values(
                    cur,
                    "INSERT INTO nas (nasname, shortname, type, secret, description) VALUES %s",
                    inserts,
                )
        finally:
            self._apply_passwords = set()
        if report.changed:
            _logger.info(
                "RADIUS clients: %d created, %d updated, %d removed (radiusd reads them at start)",
                len(report.created),
                len(report.updated),
                len(report.removed),
            )
        return report

    def _remove_nas_logins(self, cur, addresses):
        """Delete the managed logins scoped to NAS that left the database."""
        self._execute(
            cur,
            "SELECT DISTINCT c.username FROM radcheck c JOIN radusergroup g "
            "ON g.username = c.username AND g.groupname LIKE %s "
            "WHERE c.attribute = ANY(%s) AND c.value = ANY(%s)",
            (GROUP_PREFIX + "%", list(NAS_ATTRS.values()), list(addresses)),
        )
        logins = [row[0] for row in cur.fetchall()]
        if logins:
            plan = _WritePlan()
            plan.remove_logins = logins
            plan.write(self, cur)

    # -------------------------------------------------------- disconnect

    def _open_sessions(self, cur, logins):
        """``[(login, session id, framed ip, nas ip)]`` of the logins' open sessions."""
        self._execute(
            cur,
            "SELECT username, acctsessionid, host(framedipaddress), host(nasipaddress) "
            "FROM radacct WHERE username = ANY(%s) AND acctstoptime IS NULL "
            "ORDER BY username, acctstarttime DESC NULLS LAST, radacctid DESC",
            (sorted(logins),),
        )
        return cur.fetchall()

    def _nas_secrets(self, cur, addresses):
        """``{address: secret}`` for the NAS addresses that have one.

        FreeRADIUS's ``nas`` table (clients from SQL: ``nasname`` is an address or a
        network) comes first: it is the secret the NAS authenticates with. Then the
        secrets the suite knows (``nas_secrets``, the router's own ``secret``).
        """
        found = {}
        self._execute(cur, "SELECT to_regclass('nas') IS NOT NULL")
        if addresses and cur.fetchone()[0]:
            self._execute(cur, "SELECT nasname, secret FROM nas ORDER BY id")
            networks = []
            for nasname, secret in cur.fetchall():
                try:  # a host name (radiusd resolves it at start) cannot be matched here
                    networks.append((ipaddress.ip_network(nasname.strip(), strict=False), secret))
                except ValueError:
                    continue
            for address in addresses:
                ip = ipaddress.ip_address(address)
                # the most specific entry wins (an address before its network)
                matches = [(net.prefixlen, secret) for net, secret in networks if ip in net]
                if matches:
                    found[address] = max(matches, key=lambda match: match[0])[1]
        for address in addresses:
            if address not in found and self._known_secrets.get(address):
                found[address] = self._known_secrets[address]
        return found

    def disconnect(self, login):
        outcome = self.disconnect_many([login])[login]
        if isinstance(outcome, BackendError):
            raise outcome
        return outcome

    def disconnect_many(self, logins, deadline=None):
        """Disconnect-Requests for every open session of ``logins``, all NAS at once.

        Each request goes to the NAS holding the session (``radacct.nasipaddress``)
        signed with that NAS's secret (see :meth:`_nas_secrets`). A NAS that does not
        answer is given up after ``retries`` sends of ``timeout`` seconds, and the
        rest of its requests fail at once (see :mod:`.coa`).
        """
        logins = sorted(set(logins))
        with self._transaction("read sessions") as cur:
            sessions = self._open_sessions(cur, logins)
            secrets = self._nas_secrets(cur, {nas for *_rest, nas in sessions if nas})
        requests, unknown = [], {}
        for login, session_id, framed_ip, nas in sessions:
            if nas not in secrets:
                unknown.setdefault(login, nas)
                continue
            attributes = {"User_Name": login, "Acct_Session_Id": session_id}
            if framed_ip:
                attributes["Framed_IP_Address"] = framed_ip
            requests.append(
                coa.Disconnect(
                    key=(login, session_id, nas),
                    nas=nas,
                    secret=secrets[nas].encode(),
                    attributes=attributes,
                )
            )
        outcomes = {}
        if requests:
            if self._dictionary is None:
                import pyrad.dictionary

                self._dictionary = pyrad.dictionary.Dictionary(io.StringIO(RADIUS_DICTIONARY))
            outcomes = coa.send_disconnects(
                requests,
                port=self.coa_port,
                dictionary=self._dictionary,
                timeout=self.timeout,
                attempts=self.retries,
                window=self.kick_window,
                deadline=deadline,
            )
        return _kick_results(logins, outcomes, unknown)

    def first_logins(self, since):
        if not since:
            return {}
        with self._transaction("read session starts") as cur:
            self._execute(
                cur,
                "SELECT a.username, MIN(a.acctstarttime AT TIME ZONE 'UTC') "
                "FROM radacct a JOIN unnest(%s::text[], %s::timestamp[]) AS s(login, since) "
                "ON a.username = s.login AND a.acctstarttime >= s.since AT TIME ZONE 'UTC' "
                "GROUP BY a.username",
                (list(since), list(since.values())),
            )
            return dict(cur.fetchall())

    # -------------------------------------------------------- ping, usage

    def check_connection(self):
        """Reach the RADIUS database and its managed tables, then the router's API
        when there is one (``ping_via``): the check behind the router's button.

        The tables are read for no login (index look-ups, whatever the number of
        services), which proves the schema and the NAS settings without reading
        the whole state. Returns the API's answer, or ``{}`` without an API.
        """
        nas = self._scoped_nas()
        with self._transaction("check") as cur:
            self._read_rows(cur, nas, logins=())
        if self.ping_via is None:
            return {}
        return self.ping_via.check_connection()

    def ping(self, address, count=5):
        if self.ping_via is None:
            raise BackendUnsupported("ping needs the router API")
        return self.ping_via.ping(address, count)

    def read_usage(self):
        return self.read_usage_since(None)[0]

    def read_usage_since(self, cursor):
        """Totals of the logins whose usage changed since ``cursor``.

        With ``wisp-accounting.sql`` loaded (``wisp_usage``, folded by a trigger on
        radacct), only the totals changed since the read that returned ``cursor``
        are read. The cursor is that read's snapshot (``xmin:xmax:xip``): a total
        changed since was last written by a transaction the snapshot did not see
        (one begun after it, or running then), so the next read takes exactly
        those, whatever the clocks of the NAS, and a reading the suite failed to
        record is simply read again from the same cursor. Without the file, every read sums all of
        radacct (and returns no cursor).
        """
        with self._transaction("read usage") as cur:
            self._execute(cur, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            self._execute(
                cur,
                "SELECT to_regclass('wisp_usage') IS NOT NULL, pg_current_snapshot()::text",
            )
            folded, snapshot = cur.fetchone()
            if not folded:
                self._execute(
                    cur,
                    "SELECT username, COALESCE(SUM(acctoutputoctets), 0), "
                    "COALESCE(SUM(acctinputoctets), 0) FROM radacct "
                    "WHERE username IS NOT NULL AND username <> '' "
                    "GROUP BY username ORDER BY username",
                )
                return _usages(cur.fetchall(), monotonic=False), None
            since = _usage_cursor(cursor, snapshot)
            if since is None:
                self._execute(
                    cur,
                    # byte order: a collation's sort costs more than the read
                    "SELECT username, download_bytes, upload_bytes FROM wisp_usage "
                    'ORDER BY username COLLATE "C"',
                )
            else:
                self._execute(
                    cur,
                    # not visible in the cursor: begun at or after its xmax, or
                    # running then (its xip); two index ranges, whatever the age of
                    # the oldest transaction running at the time (its xmin)
                    "SELECT * FROM ("
                    "SELECT username, download_bytes, upload_bytes FROM wisp_usage "
                    "WHERE changed_xid >= pg_snapshot_xmax(%(since)s::pg_snapshot) "
                    "UNION ALL "
                    "SELECT username, download_bytes, upload_bytes FROM wisp_usage "
                    "WHERE changed_xid = ANY(ARRAY("
                    "SELECT pg_snapshot_xip(%(since)s::pg_snapshot)))"
                    ') AS changed ORDER BY username COLLATE "C"',
                    {"since": since},
                )
            return _usages(cur.fetchall(), monotonic=True), snapshot

    def read_sessions(self, logins=None):
        """Open sessions: ``radacct`` rows without a stop time (one statement).

        Octets as in :meth:`read_usage` (input: from the subscriber); the kind
        comes from the login's ``wisp-`` group; ``nas`` is the session's
        ``nasipaddress``, and with a ``nas`` only that NAS's sessions are read. A NAS
        that reboots without sending Stop leaves its rows open until its
        Accounting-On, on which FreeRADIUS's queries close them.
        """
        if logins is not None and not logins:
            return []
        query = (
            "SELECT a.username, a.acctsessionid, host(a.nasipaddress), "
            "host(a.framedipaddress), a.callingstationid, a.acctstarttime, "
            "COALESCE(a.acctoutputoctets, 0), COALESCE(a.acctinputoctets, 0), "
            "(SELECT g.groupname FROM radusergroup g WHERE g.username = a.username "
            "AND g.groupname = ANY(%s) ORDER BY g.id LIMIT 1) "
            "FROM radacct a WHERE a.acctstoptime IS NULL"
        )
        params = [list(KIND_GROUPS.values())]
        if self.nas is not None:
            # a shared database holds every router's sessions: this NAS's only
            query += " AND a.nasipaddress = %s::inet"
            params.append(self.nas.validated().address)
        if logins is not None:
            query += " AND a.username = ANY(%s)"
            params.append(sorted(logins))
        with self._transaction("read sessions") as cur:
            self._execute(cur, query + " ORDER BY a.username, a.radacctid", params)
            rows = cur.fetchall()
        kinds = {group: kind for kind, group in KIND_GROUPS.items()}
        return [
            Session(
                login=login,
                session_id=session_id or "",
                kind=kinds.get(group, ""),
                nas=nas or "",
                address=address or "",
                mac=mac or "",
                started=_utc(started),
                download_bytes=int(down),
                upload_bytes=int(up),
            )
            for login, session_id, nas, address, mac, started, down, up, group in rows
        ]

    def read_session_ends(self, sessions):
        """Stop time and ``acctterminatecause`` of the given sessions that have ended
        (one statement)."""
        pairs = sorted(set(sessions))
        if not pairs:
            return {}
        with self._transaction("read session ends") as cur:
            self._execute(
                cur,
                "SELECT a.username, a.acctsessionid, a.acctstoptime, a.acctterminatecause "
                "FROM radacct a JOIN unnest(%s::text[], %s::text[]) AS s(username, sessionid) "
                "ON a.username = s.username AND a.acctsessionid = s.sessionid "
                "WHERE a.acctstoptime IS NOT NULL",
                ([login for login, _ in pairs], [session for _, session in pairs]),
            )
            rows = cur.fetchall()
        return {(login, session): (_utc(stop), cause or "") for login, session, stop, cause in rows}


def _kick_results(logins, outcomes, unknown):
    """Per login: True when a session was dropped, else the first failure (a
    BackendError), else False (no session, or the NAS did not know it)."""

    results = dict.fromkeys(logins, False)
    failed = {}
    for (login, session_id, nas), outcome in sorted(outcomes.items()):
        if outcome.status == coa.ACK:
            results[login] = True
            _logger.info("Disconnected %s (session %s) on %s", login, session_id, nas)
        elif outcome.status == coa.NAK:
            _logger.info("NAS %s refused to disconnect %s: %s", nas, login, outcome.cause)
        else:
            failed.setdefault(login, (nas, outcome.status))
    # one line per NAS and kind of failure, not one per session
    by_nas = collections.Counter(failed.values())
    for (nas, status), count in sorted(by_nas.items()):
        _logger.warning("Disconnect-Requests to NAS %s: %s for %d login(s)", nas, status, count)
    for login in logins:
        if results[login]:
            continue
        if login in failed:
            nas, status = failed[login]
            results[login] = BackendError(_KICK_FAILURES[status].format(login=login, nas=nas))
        elif login in unknown:
            results[login] = BackendError(
                f"the session of {login} is on NAS {unknown[login]}, whose shared secret "
                "is unknown: add the NAS to the RADIUS nas table or set its router's "
                "RADIUS shared secret",
                transient=False,
            )
    return results


_KICK_FAILURES = {
    coa.NO_ANSWER: "NAS {nas} did not answer the Disconnect-Request for {login}",
    coa.UNRESPONSIVE: "NAS {nas} did not answer earlier requests of this batch; "
    "the Disconnect-Request for {login} was not sent",
    coa.REFUSED: "NAS {nas} refused the Disconnect-Request for {login} (port unreachable)",
    coa.DEADLINE: "the Disconnect-Request for {login} to NAS {nas} was not answered "
    "before the batch's deadline",
}


def _usage_cursor(cursor, snapshot):
    """``cursor`` when it is a snapshot this database could have taken before
    ``snapshot`` (the current one), else None: read everything. A cursor from the
    future is another database's (restored, replaced)."""
    match = SNAPSHOT_RE.match(cursor or "")
    if not match:
        return None
    xmin, xmax, xip = int(match[1]), int(match[2]), [int(x) for x in match[3].split(",") if x]
    if not (0 < xmin <= xmax <= int(snapshot.split(":")[1])):
        return None
    if xip != sorted(set(xip)) or any(not xmin <= x < xmax for x in xip):
        return None
    return cursor


def _usages(rows, monotonic):
    return [
        # positional: ten thousand frozen dataclasses by keyword cost twice as long
        Usage(login, int(down), int(up), monotonic)
        for login, down, up in rows
    ]


def _check_value(service, value, parse, what):
    """A refusal naming ``service``'s login when ``value`` is set and ``parse`` rejects it."""
    if not value:
        return
    try:
        parse(value)
    except ValueError:
        raise BackendError(
            f"login {service.login}: invalid {what} {value!r}", transient=False
        ) from None


def _utc(value):
    """A timestamp as a naive UTC datetime (``radacct`` columns are timestamptz)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _q(template, table):
    """A statement on one of the FreeRADIUS tables, the name quoted as an identifier."""
    return sql.SQL(template).format(sql.Identifier(table))


def _own_checks(kind, checks):
    """The check rows of a ``kind`` login the suite owns: the NAS scope, its kind's
    and a time pass's limit (an operator's ``Auth-Type`` row on a PPPoE login, a
    manual block, is not ours)."""
    owned = (
        set(KIND_CHECKS.get(kind, {PASSWORD_ATTR: None}))
        | set(NAS_ATTRS.values())
        | {UPTIME_CHECK_ATTR}
    )
    return {attribute: rows for attribute, rows in checks.items() if attribute in owned}


def _first_value(rows):
    return rows[0][2] if rows else None


def _owned_by(nas, checks):
    """Whether a managed login's check rows put it on ``nas`` (or on no NAS)."""
    scoped = [row[2] for attr in NAS_ATTRS.values() for row in checks.get(attr, [])]
    return not scoped or nas.address in scoped


class _WritePlan:
    """The differences of one apply, written as a few batched statements."""

    def __init__(self):
        self.inserts = {"radcheck": [], "radreply": [], "radgroupreply": [], "radusergroup": []}
        self.updates = {"radcheck": [], "radreply": [], "radgroupreply": [], "radusergroup": []}
        self.deletes = {"radcheck": [], "radreply": [], "radgroupreply": [], "radusergroup": []}
        self.remove_logins = []

    def diff_attrs(self, table, owner, actual, wanted):
        """Compare ``{attribute: [(id, op, value)]}`` with ``{attribute: (op, value)}``."""
        changed = False
        for attribute in sorted(set(actual) | set(wanted)):
            rows = actual.get(attribute, [])
            want = wanted.get(attribute)
            if want is None:
                self.deletes[table].extend(row[0] for row in rows)
                changed = changed or bool(rows)
                continue
            if not rows:
                self.inserts[table].append((owner, attribute, want[0], want[1]))
                changed = True
                continue
            keep = next((row for row in rows if (row[1], row[2]) == want), None)
            if keep is None:
                keep = rows[0]
                self.updates[table].append((keep[0], want[0], want[1]))
                changed = True
            extra = [row[0] for row in rows if row is not keep]
            self.deletes[table].extend(extra)
            changed = changed or bool(extra)
        return changed

    def diff_groups(self, login, actual, wanted):
        """Compare ``{group: [(id, priority)]}`` with ``{group: priority}``."""
        changed = False
        for group in sorted(set(actual) | set(wanted)):
            rows = actual.get(group, [])
            want = wanted.get(group)
            if want is None:
                self.deletes["radusergroup"].extend(row[0] for row in rows)
                changed = changed or bool(rows)
                continue
            if not rows:
                self.inserts["radusergroup"].append((login, group, want))
                changed = True
                continue
            keep = next((row for row in rows if row[1] == want), None)
            if keep is None:
                keep = rows[0]
                self.updates["radusergroup"].append((keep[0], want))
                changed = True
            extra = [row[0] for row in rows if row is not keep]
            self.deletes["radusergroup"].extend(extra)
            changed = changed or bool(extra)
        return changed

    # Not an Odoo model: pylint-odoo mistakes this write for ORM.write.
    def write(self, backend, cur):  # pylint: disable=method-required-super
        if self.remove_logins:
            for table in ("radcheck", "radreply", "radusergroup"):
                backend._execute(
                    cur,
                    _q("DELETE FROM {} WHERE username = ANY(%s)", table),
                    (self.remove_logins,),
                )
        for table, ids in self.deletes.items():
            if ids:
                backend._execute(cur, _q("DELETE FROM {} WHERE id = ANY(%s)", table), (ids,))
        for table in ("radcheck", "radreply", "radgroupreply"):
            backend._execute_values(
                cur,
                _q(
                    "UPDATE {} AS t SET op = v.op, value = v.value "
                    "FROM (VALUES %s) AS v(id, op, value) WHERE t.id = v.id",
                    table,
                ),
                self.updates[table],
                template="(%s::integer, %s, %s)",
            )
        backend._execute_values(
            cur,
            "UPDATE radusergroup AS t SET priority = v.priority "
            "FROM (VALUES %s) AS v(id, priority) WHERE t.id = v.id",
            self.updates["radusergroup"],
            template="(%s::integer, %s::integer)",
        )
        for table in ("radcheck", "radreply"):
            backend._execute_values(
                cur,
                _q("INSERT INTO {} (username, attribute, op, value) VALUES %s", table),
                self.inserts[table],
            )
        backend._execute_values(
            cur,
            "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES %s",
            self.inserts["radgroupreply"],
        )
        backend._execute_values(
            cur,
            "INSERT INTO radusergroup (username, groupname, priority) VALUES %s",
            self.inserts["radusergroup"],
        )
