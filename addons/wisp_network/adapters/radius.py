"""FreeRADIUS backend: provisioning into FreeRADIUS's standard SQL schema.

The router (NAS) does PPPoE/hotspot AAA against FreeRADIUS, and FreeRADIUS's
``sql`` module reads the stock tables (``radcheck``, ``radreply``,
``radusergroup``, ``radgroupreply``, ``radacct``). This adapter writes those
tables with psycopg2; it never talks to radiusd itself (except RFC 5176
Disconnect-Requests, which go to the NAS).

Layout of one managed login ``L`` (what a WISP's FreeRADIUS holds):

===============  ===========================================================
radcheck         ``L  Cleartext-Password  :=  <password>``
radreply         ``L  Mikrotik-Rate-Limit  :=  <plan rate>`` (always) and
                 ``L  Framed-IP-Address  :=  <ip>`` (static address only)
                 and ``L  Delegated-IPv6-Prefix  :=  <prefix>`` (IPv6 prefix only)
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
* One backend owns the managed set of its database (or ``schema``): a full
  reconcile removes every managed login it was not given, so two backends
  with different service sets must not share a schema.
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
  whatever the number of services (``round_trips`` counts them).
* When ``apply`` creates or repairs the ``wisp-restricted`` group rows, the
  report's ``updated`` holds ``"wisp-restricted"`` (a group, not a login).
* ``disconnect`` sends one RFC 5176 Disconnect-Request (User-Name,
  Acct-Session-Id, Framed-IP-Address) per open ``radacct`` session of the login
  to ``nas_host`` (default: the session's NAS) on ``coa_port``. True on a
  Disconnect-ACK; False without an open session or when the NAS answers NAK;
  no answer at all is a transient :class:`BackendError`.
* ``ping`` is delegated to ``ping_via`` (the router's API adapter): RADIUS
  cannot ping.

Passwords, the DSN's password and the CoA shared secret never appear in
exceptions or logs.
"""

import contextlib
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
RESTRICTED_GROUP = "wisp-restricted"
RESTRICTED_ADDRESS_LIST = "wisp-restricted"
KIND_PRIORITY = 10
RESTRICTED_PRIORITY = 0

PASSWORD_ATTR = "Cleartext-Password"  # noqa: S105 - an attribute name
RATE_ATTR = "Mikrotik-Rate-Limit"
ADDRESS_ATTR = "Framed-IP-Address"
PREFIX_ATTR = "Delegated-IPv6-Prefix"  # RFC 4818: the prefix for the CPE's LAN (DHCPv6-PD)
ADDRESS_LIST_ATTR = "Mikrotik-Address-List"
CHECK_ATTRS = (PASSWORD_ATTR,)
REPLY_ATTRS = (RATE_ATTR, ADDRESS_ATTR, PREFIX_ATTR)
GROUP_REPLY_ATTRS = (ADDRESS_LIST_ATTR, RATE_ATTR)

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
        try:
            dsn_password = psycopg2.extensions.parse_dsn(dsn).get("password")
        except psycopg2.Error:
            dsn_password = None
        if dsn_password:
            self._scrub_words.add(dsn_password)

    def __repr__(self):
        return f"<RadiusBackend schema={self.schema or '-'} nas={self.nas_host or '-'}>"

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

    def _read_rows(self, cur, extra_logins=()):
        """Bulk read everything the suite owns: four statements, whatever the size.

        Returns ``(groups, checks, replies, group_replies)``: the first three map
        a login to ``{name: [(id, op, value), ...]}`` (groups:
        ``{group: [(id, priority)]}``), the last maps an attribute of
        ``wisp-restricted`` to its rows.
        """
        extra = sorted(set(extra_logins))
        groups = {}
        self._execute(
            cur,
            "SELECT id, username, groupname, priority FROM radusergroup "
            "WHERE groupname LIKE %s ORDER BY id",
            (GROUP_PREFIX + "%",),
        )
        for row_id, login, group, priority in cur.fetchall():
            groups.setdefault(login, {}).setdefault(group, []).append((row_id, priority))
        owned = (
            "attribute = ANY(%s) AND (username = ANY(%s) OR username IN "
            "(SELECT username FROM radusergroup WHERE groupname LIKE %s)) ORDER BY id"
        )
        tables = []
        for table, attrs in (("radcheck", CHECK_ATTRS), ("radreply", REPLY_ATTRS)):
            rows = {}
            self._execute(
                cur,
                sql.SQL("SELECT id, username, attribute, op, value FROM {} WHERE ").format(
                    sql.Identifier(table)
                )
                + sql.SQL(owned),
                (list(attrs), extra, GROUP_PREFIX + "%"),
            )
            for row_id, login, attribute, op, value in cur.fetchall():
                rows.setdefault(login, {}).setdefault(attribute, []).append((row_id, op, value))
            tables.append(rows)
        self._execute(
            cur,
            "SELECT id, attribute, op, value FROM radgroupreply "
            "WHERE groupname = %s AND attribute = ANY(%s) ORDER BY id",
            (RESTRICTED_GROUP, list(GROUP_REPLY_ATTRS)),
        )
        group_replies = {}
        for row_id, attribute, op, value in cur.fetchall():
            group_replies.setdefault(attribute, []).append((row_id, op, value))
        return groups, tables[0], tables[1], group_replies

    def read_state(self):
        with self._transaction("read") as cur:
            groups, checks, replies, _group_replies = self._read_rows(cur)
        state = {}
        for login, member in groups.items():
            kind = next((k for k, g in KIND_GROUPS.items() if g in member), "")
            password = _first_value(checks.get(login, {}).get(PASSWORD_ATTR))
            rate = _first_value(replies.get(login, {}).get(RATE_ATTR))
            address = _first_value(replies.get(login, {}).get(ADDRESS_ATTR)) or ""
            prefix = _first_value(replies.get(login, {}).get(PREFIX_ATTR)) or ""
            try:
                profile = parse_rate_limit(rate) if rate else SpeedProfile("", 0, 0)
            except ValueError:
                profile = SpeedProfile(rate, 0, 0)
            state[login] = ServiceState(
                login=login,
                password=password or "",
                kind=kind,
                profile=profile,
                restricted=RESTRICTED_GROUP in member,
                remote_address=address,
                ipv6_prefix=prefix,
            )
        return state

    # -------------------------------------------------------------- apply

    def _desired_rows(self, service):
        """The rows one ServiceState must have: (checks, replies, groups)."""
        checks = {PASSWORD_ATTR: (":=", service.password)}
        replies = {RATE_ATTR: (":=", service.profile.rate_limit)}
        if service.remote_address:
            replies[ADDRESS_ATTR] = (":=", service.remote_address)
        if service.ipv6_prefix:
            replies[PREFIX_ATTR] = (":=", service.ipv6_prefix)
        groups = {KIND_GROUPS[service.kind]: KIND_PRIORITY}
        if service.restricted:
            groups[RESTRICTED_GROUP] = RESTRICTED_PRIORITY
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
                groups, checks, replies, group_replies = self._read_rows(cur, desired)
                scope = set(groups) if logins is None else logins
                plan = _WritePlan()
                for login in sorted(scope | set(desired)):
                    service = desired.get(login)
                    if service is None:
                        if login in groups:
                            plan.remove_logins.append(login)
                            report.removed.append(login)
                        continue
                    want_checks, want_replies, want_groups = self._desired_rows(service)
                    changed = plan.diff_attrs("radcheck", login, checks.get(login, {}), want_checks)
                    changed |= plan.diff_attrs(
                        "radreply", login, replies.get(login, {}), want_replies
                    )
                    changed |= plan.diff_groups(login, groups.get(login, {}), want_groups)
                    if login not in groups:
                        report.created.append(login)
                    elif changed:
                        report.updated.append(login)
                want_group_replies = {
                    ADDRESS_LIST_ATTR: (":=", RESTRICTED_ADDRESS_LIST),
                    RATE_ATTR: (":=", self.restricted_rate),
                }
                if plan.diff_attrs(
                    "radgroupreply", RESTRICTED_GROUP, group_replies, want_group_replies
                ):
                    report.updated.append(RESTRICTED_GROUP)
                plan.write(self, cur)
        finally:
            self._apply_passwords = set()
        if report.changed:
            _logger.info(
                "RADIUS apply: %d created, %d updated, %d removed",
                len(report.created),
                len(report.updated),
                len(report.removed),
            )
        return report

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
