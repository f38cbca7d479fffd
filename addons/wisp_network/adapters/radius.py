"""FreeRADIUS backend: provisioning into FreeRADIUS's standard SQL schema.

The router (NAS) does PPPoE/hotspot AAA against FreeRADIUS, and FreeRADIUS's
``sql`` module reads the stock tables (``radcheck``, ``radreply``,
``radusergroup``, ``radgroupreply``, ``radacct``). This adapter writes those
tables with psycopg2; it never talks to radiusd itself (except RFC 5176
Disconnect-Requests, which go to the NAS).

Layout of one managed login ``L`` (what a WISP's FreeRADIUS holds):

===============  ===========================================================
radcheck         ``L  Cleartext-Password  :=  <password>`` and
                 ``L  Packet-Src-IP-Address  ==  <NAS address>`` (the NAS
                 scope; ``Packet-Src-IPv6-Address`` for an IPv6 NAS)
radreply         ``L  Mikrotik-Rate-Limit  :=  <plan rate>`` (always),
                 ``L  Framed-IP-Address  :=  <ip>`` (static address only),
                 ``L  Delegated-IPv6-Prefix  :=  <prefix>`` (IPv6 prefix only) and
                 ``L  Fall-Through  :=  No`` (not restricted, see below)
radusergroup     ``L  wisp-pppoe`` or ``L  wisp-hotspot`` (priority 10):
                 the ownership marker, it also records the kind of login;
                 plus ``L  wisp-restricted`` (priority 0) while restricted
radgroupreply    ``wisp-restricted  Mikrotik-Address-List  :=  wisp-restricted``
                 ``wisp-restricted  Mikrotik-Rate-Limit  :=  <restricted rate>``
===============  ===========================================================

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
* ``read_usage`` sums ``radacct``: ``acctinputoctets`` are octets the NAS
  received from the subscriber (upload), ``acctoutputoctets`` the octets it
  sent to them (download); FreeRADIUS's PostgreSQL queries already fold the
  Gigawords counters into these 64-bit columns.
* Every apply runs in one transaction under a PostgreSQL advisory lock, so two
  sync jobs for the same database never interleave. ``read_state`` is four
  statements and ``apply`` five reads plus at most a dozen batched writes,
  whatever the number of services (``round_trips`` counts them); the reads of
  ``apply(logins=...)`` touch only those logins' rows (username indexes).
* When ``apply`` creates or repairs the ``wisp-restricted`` group rows, the
  report's ``updated`` holds ``"wisp-restricted"`` (a group, not a login).
* ``disconnect`` sends one RFC 5176 Disconnect-Request (User-Name,
  Acct-Session-Id, Framed-IP-Address) per open ``radacct`` session of the login
  to ``nas_host`` (default: the session's NAS) on ``coa_port``. True on a
  Disconnect-ACK; False without an open session or when the NAS answers NAK;
  no answer at all is a transient :class:`BackendError`.
* ``ping`` is delegated to ``ping_via`` (the router's API adapter): RADIUS
  cannot ping.

Passwords, the DSN's password and the NAS shared secrets never appear in
exceptions or logs.
"""

import contextlib
import dataclasses
import functools
import io
import ipaddress
import logging

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from .base import (
    ApplyReport,
    Backend,
    BackendError,
    BackendUnsupported,
    ServiceState,
    SpeedProfile,
    Usage,
)
from .rate_limit import parse_rate_limit

_logger = logging.getLogger(__name__)

GROUP_PREFIX = "wisp-"
KIND_GROUPS = {"pppoe": "wisp-pppoe", "hotspot": "wisp-hotspot"}
KIND_PRIORITY = 10
RESTRICTED_PRIORITY = 0

PASSWORD_ATTR = "Cleartext-Password"  # noqa: S105 - an attribute name
ADDRESS_ATTR = "Framed-IP-Address"
PREFIX_ATTR = "Delegated-IPv6-Prefix"  # RFC 4818: the prefix for the CPE's LAN (DHCPv6-PD)
FALL_THROUGH_ATTR = "Fall-Through"
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
CHECK_ATTRS = (PASSWORD_ATTR, *NAS_ATTRS.values())
REPLY_ATTRS = (
    *sorted({v.rate_attr for v in VENDORS.values()}),
    ADDRESS_ATTR,
    PREFIX_ATTR,
    FALL_THROUGH_ATTR,
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
        handle (required by them)
    :param nas_host: address the Disconnect-Requests go to; default: the
        ``nasipaddress`` of the session in ``radacct``
    :param secret: the NAS's RADIUS shared secret (for Disconnect-Requests)
    :param coa_port: the NAS's dynamic-authorization port (RFC 5176: 3799)
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
        ping_via=None,
        restricted_rate="256k/256k",
        timeout=3.0,
        retries=2,
        connect_timeout=5,
    ):
        self._dsn = dsn
        self.schema = schema
        self.nas = nas
        self.nas_host = nas_host
        self._secret = secret
        self.coa_port = coa_port
        self.ping_via = ping_via
        self.restricted_rate = restricted_rate
        self.timeout = timeout
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.round_trips = 0  # SQL statements sent, for benchmarks and tests
        self._conn = None
        self._dictionary = None
        self._scrub_words = set()
        self._apply_passwords = set()
        if secret:
            self._scrub_words.add(secret)
        if nas is not None and nas.secret:
            self._scrub_words.add(nas.secret)
        try:
            dsn_password = psycopg2.extensions.parse_dsn(dsn).get("password")
        except psycopg2.Error:
            dsn_password = None
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

    def _scrub(self, text):
        words = self._scrub_words | self._apply_passwords
        for word in sorted(words, key=len, reverse=True):
            if word:
                text = text.replace(word, "***")
        return text

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
            try:
                profile = vendor.parse_rate(rate) if rate else SpeedProfile("", 0, 0)
            except ValueError:
                profile = SpeedProfile(rate, 0, 0)
            state[login] = ServiceState(
                login=login,
                password=password or "",
                kind=kind,
                profile=profile,
                restricted=any(group in member for group in RESTRICTED_GROUPS),
                remote_address=address,
                ipv6_prefix=prefix,
            )
        return state

    # -------------------------------------------------------------- apply

    def _desired_rows(self, service, nas, filled):
        """The rows one ServiceState must have on ``nas``: (checks, replies, groups).

        ``filled``: the kind groups that hold rows (their logins read groups)."""
        vendor = VENDORS[nas.vendor]
        checks = {PASSWORD_ATTR: (":=", service.password), nas.check_attr: (NAS_OP, nas.address)}
        replies = {vendor.rate_attr: (":=", vendor.format_rate(service.profile))}
        if service.remote_address:
            replies[ADDRESS_ATTR] = (":=", service.remote_address)
        if service.ipv6_prefix:
            replies[PREFIX_ATTR] = (":=", service.ipv6_prefix)
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
            if not service.password:
                raise BackendError(f"login {service.login} has no password", transient=False)
            if service.remote_address:
                try:
                    ipaddress.IPv4Address(service.remote_address)
                except ValueError:
                    raise BackendError(
                        f"login {service.login}: invalid address {service.remote_address!r}",
                        transient=False,
                    ) from None
            if service.ipv6_prefix:
                try:
                    ipaddress.IPv6Network(service.ipv6_prefix)
                except ValueError:
                    raise BackendError(
                        f"login {service.login}: invalid IPv6 prefix {service.ipv6_prefix!r}",
                        transient=False,
                    ) from None
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
                    changed = plan.diff_attrs("radcheck", login, checks.get(login, {}), want_checks)
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

    def _open_sessions(self, login):
        with self._transaction("read sessions") as cur:
            self._execute(
                cur,
                "SELECT acctsessionid, host(framedipaddress), host(nasipaddress) "
                "FROM radacct WHERE username = %s AND acctstoptime IS NULL "
                "ORDER BY acctstarttime DESC NULLS LAST, radacctid DESC",
                (login,),
            )
            return cur.fetchall()

    def disconnect(self, login):
        sessions = self._open_sessions(login)
        if not sessions:
            return False
        if not self._secret:
            raise BackendError("disconnect needs the NAS shared secret", transient=False)
        import pyrad.client
        import pyrad.dictionary
        import pyrad.packet

        if self._dictionary is None:
            self._dictionary = pyrad.dictionary.Dictionary(io.StringIO(RADIUS_DICTIONARY))
        dropped = False
        failures = 0
        for session_id, framed_ip, nas_ip in sessions:
            host = self.nas_host or nas_ip
            client = pyrad.client.Client(
                server=host,
                secret=self._secret.encode(),
                dict=self._dictionary,
                coaport=self.coa_port,
                retries=self.retries,
                timeout=self.timeout,
            )
            attributes = {"User_Name": login, "Acct_Session_Id": session_id}
            if framed_ip:
                attributes["Framed_IP_Address"] = framed_ip
            try:
                request = client.CreateCoAPacket(code=pyrad.packet.DisconnectRequest, **attributes)
                reply = client.SendPacket(request)
            except pyrad.client.Timeout:
                failures += 1
                _logger.warning("Disconnect-Request for %s: no answer from %s", login, host)
                continue
            except OSError as exc:
                failures += 1
                _logger.warning(
                    "Disconnect-Request for %s to %s failed: %s",
                    login,
                    host,
                    self._scrub(str(exc)),
                )
                continue
            finally:
                with contextlib.suppress(Exception):
                    client._CloseSocket()
            if reply.code == pyrad.packet.DisconnectACK:
                dropped = True
                _logger.info("Disconnected %s (session %s) on %s", login, session_id, host)
            else:
                cause = reply.get("Error-Cause", [""])[0]
                _logger.info("NAS %s refused to disconnect %s: %s", host, login, cause)
        if not dropped and failures == len(sessions):
            raise BackendError(f"NAS did not answer the Disconnect-Request for {login}")
        return dropped

    # -------------------------------------------------------- ping, usage

    def ping(self, address, count=5):
        if self.ping_via is None:
            raise BackendUnsupported("ping needs the router API")
        return self.ping_via.ping(address, count)

    def read_usage(self):
        with self._transaction("read usage") as cur:
            self._execute(
                cur,
                "SELECT username, COALESCE(SUM(acctoutputoctets), 0), "
                "COALESCE(SUM(acctinputoctets), 0) FROM radacct "
                "WHERE username IS NOT NULL AND username <> '' "
                "GROUP BY username ORDER BY username",
            )
            rows = cur.fetchall()
        return [
            Usage(login=login, download_bytes=int(down), upload_bytes=int(up))
            for login, down, up in rows
        ]


def _q(template, table):
    """A statement on one of the FreeRADIUS tables, the name quoted as an identifier."""
    return sql.SQL(template).format(sql.Identifier(table))


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
