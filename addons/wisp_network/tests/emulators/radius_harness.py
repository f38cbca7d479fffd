"""A real FreeRADIUS on loopback, for the RADIUS adapter's tests.

Pieces, each usable as a context manager from pytest fixtures:

* :func:`postgres_database` creates a throw-away PostgreSQL database holding
  FreeRADIUS's own PostgreSQL schema (the Debian package's ``schema.sql``) and
  drops it afterwards.
* :class:`RadiusServer` copies Debian's ``/etc/freeradius/3.0`` into a private
  directory, lays the suite's production configuration (``deploy/freeradius``)
  over it exactly as its README says (the ``wisp-sql`` module, the ``wisp``
  site, clients from the ``nas`` table), and runs radiusd in the foreground
  on free loopback ports until the test module ends: ``freeradius -X`` for the
  tests, ``-f`` (threads, no debug) for benchmarks. It also sends real
  Access-Requests and Accounting-Requests (pyrad, Debian's dictionaries), from
  any loopback address (one per NAS).
* :class:`CoaListener` plays the NAS side of RFC 5176: a UDP socket on loopback
  that checks the Request Authenticator of Disconnect-Requests and answers
  Disconnect-ACK (or NAK for the logins told to refuse).

Needs Debian's ``freeradius`` and ``freeradius-postgresql`` packages (the suite's
test command installs them) and a local PostgreSQL that the current user may
create databases on. A missing piece fails the tests with a message saying what
to install; nothing is skipped silently. The temp directory (with the ``-X``
debug log, which shows test passwords) is deleted when the server stops.

Only test-only settings differ from the shipped configuration: radiusd runs as
root on loopback, so ``user``/``group`` are commented out (radiusd would drop
to ``freerad``, which cannot write the root-owned temp directory),
``logdir``/``run_dir`` move into the temp directory, ``proxy_requests = no`` (no
proxy socket on ``*``), ``reject_delay = 0`` (rejects answer at once), the
``wisp`` site listens on two free loopback ports instead of ``*`` (and
``inner-tunnel`` on none), and ``clients.conf`` holds one loopback client (the
harness's own probe, 127.0.0.1) next to the NAS read from SQL.
"""

import contextlib
import itertools
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import psycopg2
import psycopg2.extensions

FREERADIUS_ETC = pathlib.Path("/etc/freeradius/3.0")
# the repository root: <repo>/addons/wisp_network/tests/emulators/radius_harness.py
DEPLOY_DIR = pathlib.Path(__file__).resolve().parents[4] / "deploy" / "freeradius"
WISP_SCHEMA_SQL = DEPLOY_DIR / "wisp-schema.sql"
SCHEMA_SQL = FREERADIUS_ETC / "mods-config/sql/main/postgresql/schema.sql"
# the suite's accounting additions (usage folded per login, indexes, purge)
ACCOUNTING_SQL = DEPLOY_DIR / "wisp-accounting.sql"
DICTIONARY_DIR = pathlib.Path("/usr/share/freeradius")
POSTGRESQL_DRIVER = pathlib.Path("/usr/lib/freeradius/rlm_sql_postgresql.so")
INSTALL_HINT = (
    "FreeRADIUS is needed for these tests: install Debian's packages "
    "`apt-get install -y freeradius freeradius-postgresql freeradius-utils`"
)
# libpq connection string of a database where the test user may CREATE DATABASE
ADMIN_DSN = os.environ.get("WISP_TEST_PG_DSN", "dbname=postgres")


class HarnessError(RuntimeError):
    """The test set-up could not be built; the message says what is missing."""


def require_freeradius():
    """Return the radiusd binary, or raise :class:`HarnessError` with an install hint."""
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    if binary is None:
        for candidate in ("/usr/sbin/freeradius", "/usr/sbin/radiusd"):
            if os.access(candidate, os.X_OK):
                binary = candidate
                break
    missing = []
    if binary is None:
        missing.append("the freeradius binary")
    if not SCHEMA_SQL.exists():
        missing.append(str(SCHEMA_SQL))
    if not POSTGRESQL_DRIVER.exists():
        missing.append(f"{POSTGRESQL_DRIVER} (package freeradius-postgresql)")
    if missing:
        raise HarnessError(f"{INSTALL_HINT}; missing: {', '.join(missing)}")
    return binary


def free_port_pair(host="127.0.0.1"):
    """Two consecutive free UDP ports (radiusd -p uses port and port + 1)."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as second,
            ):
                first.bind((host, port))
                second.bind((host, port + 1))
        except OSError:
            continue
        return port
    raise HarnessError("no two consecutive free UDP ports on loopback")


def shared_udp_port(hosts):
    """A UDP port free on every one of ``hosts`` (NAS stand-ins sharing a CoA port)."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((hosts[0], 0))
            port = probe.getsockname()[1]
        try:
            for host in hosts[1:]:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                    other.bind((host, port))
        except OSError:
            continue
        return port
    raise HarnessError(f"no UDP port free on all of {', '.join(hosts)}")


# ---------------------------------------------------------------- PostgreSQL


def _admin_connection():
    try:
        conn = psycopg2.connect(ADMIN_DSN, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise HarnessError(
            f"cannot reach PostgreSQL with {ADMIN_DSN!r} (set WISP_TEST_PG_DSN): {exc}"
        ) from None
    conn.autocommit = True
    return conn


def load_freeradius_schema(dsn, schema=None, accounting=True):
    """Load Debian's FreeRADIUS PostgreSQL schema and the suite's indexes into ``dsn``
    (optionally into a schema), then the suite's ``wisp-accounting.sql`` unless
    ``accounting`` is false."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # wisp-accounting.sql has its own transaction
    try:
        with conn.cursor() as cur:
            if schema:
                cur.execute(f'CREATE SCHEMA "{schema}"')
                cur.execute(f'SET search_path TO "{schema}"')
            cur.execute(SCHEMA_SQL.read_text() + "\n" + WISP_SCHEMA_SQL.read_text())
            if accounting:
                cur.execute(ACCOUNTING_SQL.read_text())
    finally:
        conn.close()


@contextlib.contextmanager
def postgres_database(prefix="wisp_radius_test", accounting=True):
    """A new database with FreeRADIUS's schema (and, unless ``accounting`` is false,
    the suite's ``wisp-accounting.sql``); yields its libpq DSN, drops it after."""
    require_freeradius()  # the schema comes from the Debian package
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = _admin_connection()
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        params = psycopg2.extensions.parse_dsn(admin.dsn)
        params.pop("connect_timeout", None)
        params["dbname"] = name
        params.setdefault("host", admin.info.host)
        params.setdefault("port", str(admin.info.port))
        params.setdefault("user", admin.info.user)
        dsn = psycopg2.extensions.make_dsn(**params)
        try:
            load_freeradius_schema(dsn, accounting=accounting)
            yield dsn
        finally:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


# ----------------------------------------------------------------- radiusd


def radius_dictionary():
    """pyrad dictionary built from FreeRADIUS's own dictionary files."""
    import pyrad.dictionary

    files = [
        "dictionary.rfc2865",
        "dictionary.rfc2866",
        "dictionary.rfc2869",
        "dictionary.rfc3576",
        "dictionary.rfc5176",
        "dictionary.rfc4818",
        "dictionary.mikrotik",
    ]
    return pyrad.dictionary.Dictionary(*(str(DICTIONARY_DIR / f) for f in files))


def packet_attributes(packet):
    """``{attribute name: [values]}`` of a pyrad packet (names it could decode)."""
    # pyrad's keys() decodes attribute names; iterating the dict gives raw codes
    names = [key for key in packet.keys() if isinstance(key, str)]  # noqa: SIM118
    return {name: list(packet[name]) for name in names}


def _sub(text, pattern, replacement, count=0):
    new, found = re.subn(pattern, replacement, text, count=count, flags=re.MULTILINE)
    if not found:
        raise HarnessError(f"stock FreeRADIUS config changed: no match for {pattern!r}")
    return new


def strip_listen_sections(text):
    """Remove every (uncommented) ``listen { ... }`` block of a site file."""
    out = []
    depth = 0
    for line in text.splitlines(keepends=True):
        code = line.split("#", 1)[0]
        if depth == 0 and re.match(r"\s*listen\s*\{", code):
            depth = code.count("{") - code.count("}")
            continue
        if depth > 0:
            depth += code.count("{") - code.count("}")
            continue
        out.append(line)
    return "".join(out)


class RadiusServer:
    """radiusd on loopback with the suite's shipped configuration on ``dsn``.

    ``debug``: ``-X`` (one thread, full debug log, for tests); otherwise ``-f``
    (threads, normal log), as in production, for benchmarks.
    """

    host = "127.0.0.1"

    def __init__(self, dsn, secret=None, debug=True):
        self.dsn = dsn
        self.debug = debug
        self.secret = secret or "harness-" + secrets.token_hex(8)
        self.debug = debug
        self.binary = require_freeradius()
        self.tmp = None
        self.confdir = None
        self.log_path = None
        self.auth_port = self.acct_port = None
        self.process = None
        self._log = None
        self._dictionary = None

    # -- configuration

    def _write_config(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="wisp-radiusd-"))
        self.confdir = self.tmp / "raddb"
        shutil.copytree(FREERADIUS_ETC, self.confdir, symlinks=True)
        for sub in ("log", "log/radacct", "run"):
            (self.tmp / sub).mkdir(exist_ok=True)
        # deploy/freeradius/README.md: the shipped files over the stock tree, enabled
        for sub in ("mods-available", "mods-config", "sites-available"):
            shutil.copytree(DEPLOY_DIR / sub, self.confdir / sub, dirs_exist_ok=True)
        for module in ("wisp-sql", "wisp_uptime_counter"):
            (self.confdir / "mods-enabled" / module).symlink_to(f"../mods-available/{module}")
        (self.confdir / "sites-enabled/default").unlink()

        conf = self.confdir / "radiusd.conf"
        text = conf.read_text()
        text = _sub(text, r"^(\s*)(user|group)\s*=", r"\1# \2 =")
        text = _sub(text, r"^logdir\s*=.*$", f"logdir = {self.tmp / 'log'}")
        text = _sub(text, r"^run_dir\s*=.*$", f"run_dir = {self.tmp / 'run'}")
        text = _sub(text, r"^proxy_requests\s*=.*$", "proxy_requests = no")
        text = _sub(text, r"^(\s*)reject_delay\s*=.*$", r"\1reject_delay = 0")
        conf.write_text(text)

        (self.confdir / "clients.conf").write_text(
            "client wisp-harness {\n"
            f"\tipaddr = {self.host}\n"
            f"\tsecret = {self.secret}\n"
            "\tshortname = wisp-harness\n"
            "\tnas_type = other\n"
            "}\n"
        )

    def _write_sites(self):
        """Listen on loopback only: the sites' listen sections are replaced."""
        listens = (
            "\tlisten {\n\t\ttype = auth\n"
            f"\t\tipaddr = {self.host}\n\t\tport = {self.auth_port}\n\t}}\n"
            "\tlisten {\n\t\ttype = acct\n"
            f"\t\tipaddr = {self.host}\n\t\tport = {self.acct_port}\n\t}}\n"
        )
        for site in ("wisp", "inner-tunnel"):
            path = self.confdir / "sites-enabled" / site
            text = strip_listen_sections((self.confdir / "sites-available" / site).read_text())
            if site == "wisp":
                text = _sub(text, r"^server wisp \{\n", lambda m: m.group(0) + listens, 1)
            if path.exists() or path.is_symlink():
                path.unlink()
            path.write_text(text)

    # -- life cycle

    def start(self, timeout=30):
        self.auth_port = free_port_pair(self.host)
        self.acct_port = self.auth_port + 1
        self._write_config()
        self._write_sites()
        self.log_path = self.tmp / "radiusd.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [self.binary, "-X" if self.debug else "-f", "-d", str(self.confdir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "WISP_RADIUS_DB": self.dsn},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_tail()
                self.stop()
                raise HarnessError(f"radiusd exited with {self.process.returncode}:\n{log}")
            try:
                self.authenticate("wisp-harness-probe", "probe", timeout=0.3, retries=1)
            except Exception:  # not answering yet
                time.sleep(0.1)
                continue
            return self
        log = self.log_tail()
        self.stop()
        raise HarnessError(f"radiusd did not answer within {timeout}s:\n{log}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, lines=60):
        text = ""
        for path in (self.log_path, self.tmp and self.tmp / "log" / "radius.log"):
            try:
                text += path.read_text(errors="replace")
            except (OSError, AttributeError):
                continue
        return "\n".join(text.splitlines()[-lines:])

    def log_mark(self):
        """Where the log ends now, for :meth:`log_since`."""
        return self.log_path.stat().st_size

    def log_since(self, mark):
        """The radiusd log written after ``mark`` (``-X``: every query it ran)."""
        with open(self.log_path, "rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")

    # -- RADIUS requests

    @property
    def dictionary(self):
        if self._dictionary is None:
            self._dictionary = radius_dictionary()
        return self._dictionary

    def client(self, timeout=2.0, retries=2, *, source=None, secret=None):
        """A pyrad client; ``source``/``secret``: those of a NAS (default: the harness's)."""
        import pyrad.client

        client = pyrad.client.Client(
            server=self.host,
            authport=self.auth_port,
            acctport=self.acct_port,
            secret=(secret or self.secret).encode(),
            dict=self.dictionary,
            timeout=timeout,
            retries=retries,
        )
        if source:
            client.bind((source, 0))
        return client

    def authenticate(
        self, login, password, timeout=2.0, retries=2, *, source=None, secret=None, **attributes
    ):
        """Send a PAP Access-Request (from NAS ``source`` with its ``secret``, default
        the harness's client); returns ``(accepted, {attribute: [values]})``."""
        import pyrad.packet

        client = self.client(timeout, retries, source=source, secret=secret)
        request = client.CreateAuthPacket(
            code=pyrad.packet.AccessRequest,
            User_Name=login,
            NAS_IP_Address=source or self.host,
            NAS_Port=1,
            Service_Type="Framed-User",
            Framed_Protocol="PPP",
            message_authenticator=True,
            **attributes,
        )
        request["User-Password"] = request.PwCrypt(password)
        try:
            reply = client.SendPacket(request)
        finally:
            client._CloseSocket()
        return reply.code == pyrad.packet.AccessAccept, packet_attributes(reply)

    def authenticate_dhcp(self, mac, server="dhcp1", timeout=2.0, retries=2, **attributes):
        """An Access-Request as RouterOS's DHCP server sends it (``use-radius=yes``):
        User-Name the client's MAC, an empty User-Password, NAS-Port-Type Ethernet,
        Called-Station-Id the DHCP server's name, Calling-Station-Id the client id,
        and no Service-Type. Returns ``(accepted, {attribute: [values]})``."""
        import pyrad.packet

        client = self.client(timeout, retries)
        request = client.CreateAuthPacket(
            code=pyrad.packet.AccessRequest,
            User_Name=mac,
            NAS_IP_Address=self.host,
            NAS_Port=2149580267,
            NAS_Port_Type="Ethernet",
            Called_Station_Id=server,
            Calling_Station_Id="1:" + mac.lower(),
            message_authenticator=True,
            **attributes,
        )
        request["User-Password"] = request.PwCrypt("")
        try:
            reply = client.SendPacket(request)
        finally:
            client._CloseSocket()
        return reply.code == pyrad.packet.AccessAccept, packet_attributes(reply)

    def account(
        self, status, login, session_id, input_octets=0, output_octets=0, *, nas=None, **attributes
    ):
        """Send an Accounting-Request (Start, Interim-Update, Stop); True when answered.

        ``nas``: the NAS-IP-Address the session is recorded under (default: the
        harness's own address, the client radiusd knows).
        """
        import pyrad.packet

        client = self.client()
        request = client.CreateAcctPacket(
            User_Name=login,
            NAS_IP_Address=nas or self.host,
            NAS_Port=1,
            Acct_Status_Type=status,
            Acct_Session_Id=session_id,
            Acct_Input_Octets=input_octets % 2**32,
            Acct_Output_Octets=output_octets % 2**32,
            Acct_Input_Gigawords=input_octets // 2**32,
            Acct_Output_Gigawords=output_octets // 2**32,
            **attributes,
        )
        try:
            reply = client.SendPacket(request)
        finally:
            client._CloseSocket()
        return reply.code == pyrad.packet.AccountingResponse


# -------------------------------------------------------------- CoA / NAS


_RECEIVED = itertools.count()  # receipt order across every listener of the process


class CoaListener:
    """The NAS end of RFC 5176 on loopback: answers Disconnect-Requests.

    Every request is kept in ``requests`` as a dict of its attributes plus
    ``"_code"``, ``"_valid"`` (Request Authenticator checked with the secret)
    and ``"_seq"`` (receipt order among all listeners of the test process).
    Logins in ``refuse`` get a Disconnect-NAK (Error-Cause 503, no session);
    requests with a bad authenticator are dropped, as a NAS does. ``silent``
    records requests and answers none: a NAS that is down or unreachable.

    Several NAS: listeners on other loopback addresses (``127.0.0.2``...) may
    share one ``port``, as NAS do (the suite sends to one CoA port).
    """

    def __init__(self, secret=None, host="127.0.0.1", port=0, silent=False):
        self.secret = secret or "coa-" + secrets.token_hex(8)
        self.host = host
        self.port = port
        self.silent = silent
        self.refuse = set()
        self.requests = []
        self._sock = None
        self._thread = None
        self._stop = threading.Event()
        self._dictionary = None

    def start(self):
        self._dictionary = radius_dictionary()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.host, self.port))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="coa-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _serve(self):
        import pyrad.packet

        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                request = pyrad.packet.CoAPacket(
                    packet=data, secret=self.secret.encode(), dict=self._dictionary
                )
            except pyrad.packet.PacketError:
                continue
            valid = request.VerifyCoARequest()
            seen = packet_attributes(request)
            seen.update(_code=request.code, _valid=valid, _seq=next(_RECEIVED))
            self.requests.append(seen)
            if self.silent or not valid or request.code != pyrad.packet.DisconnectRequest:
                continue
            reply = request.CreateReply()
            login = (request.get("User-Name") or [""])[0]
            if login in self.refuse:
                reply.code = pyrad.packet.DisconnectNAK
                reply["Error-Cause"] = 503
            self._sock.sendto(reply.ReplyPacket(), peer)
