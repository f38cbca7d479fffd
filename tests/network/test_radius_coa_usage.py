"""Session kicks to many NAS and incremental usage, against the real radiusd.

Sessions are opened by real Accounting-Requests through radiusd (the NAS a
session is recorded under is its NAS-IP-Address); the NAS are CoA listeners on
loopback addresses 127.0.0.2... sharing one port, each with its own secret.
The usage side runs on ``deploy/freeradius/wisp-accounting.sql``, which the
harness loads after FreeRADIUS's schema.
"""

import psycopg2
import pytest
import radius_harness
from radius_harness import CoaListener, HarnessError, RadiusServer, postgres_database
from wisp_network_adapters.base import BackendError
from wisp_network_adapters.radius import RadiusBackend

TABLES = ("radacct", "nas", "wisp_usage")


@pytest.fixture(scope="module")
def dsn():
    try:
        with postgres_database() as value:
            yield value
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def radiusd(dsn):
    try:
        server = RadiusServer(dsn).start()
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def db(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DELETE FROM {table}")
    yield conn
    conn.close()


@pytest.fixture
def towers():
    """Three NAS on one CoA port: tower A and B answer, tower C is down."""
    # 127.0.0.5: a NAS with nothing on the CoA port
    port = radius_harness.shared_udp_port(["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"])
    listeners = [
        CoaListener(host="127.0.0.2", port=port).start(),
        CoaListener(host="127.0.0.3", port=port).start(),
        CoaListener(host="127.0.0.4", port=port, silent=True).start(),
    ]
    yield port, listeners
    for listener in listeners:
        listener.stop()


@pytest.fixture
def make_backend(dsn):
    made = []

    def make(**kwargs):
        kwargs.setdefault("timeout", 1.0)
        kwargs.setdefault("retries", 2)
        backend = RadiusBackend(dsn, **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def execute(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else None


# ------------------------------------------------------------ session kicks


def test_each_disconnect_goes_to_the_sessions_nas_with_its_secret(
    radiusd, db, towers, make_backend
):
    port, (tower_a, tower_b, _down) = towers
    # tower A is a client from SQL; tower B is known to the suite only (its router)
    execute(
        db,
        "INSERT INTO nas (nasname, shortname, secret) VALUES (%s, 'tower-a', %s)",
        (tower_a.host, tower_a.secret),
    )
    backend = make_backend(coa_port=port, nas_secrets={tower_b.host: tower_b.secret})
    assert radiusd.account(
        "Start", "alice", "s-a", nas=tower_a.host, Framed_IP_Address="100.64.0.2"
    )
    assert radiusd.account("Start", "bob", "s-b", nas=tower_b.host)

    assert backend.disconnect_many(["alice", "bob", "carol"]) == {
        "alice": True,
        "bob": True,
        "carol": False,  # no open session: nothing sent
    }
    (to_a,) = tower_a.requests
    (to_b,) = tower_b.requests
    assert to_a["_valid"] and to_b["_valid"], "each signed with its own NAS's secret"
    assert (to_a["User-Name"], to_a["Acct-Session-Id"]) == (["alice"], ["s-a"])
    assert to_a["Framed-IP-Address"] == ["100.64.0.2"]
    assert (to_b["User-Name"], to_b["Acct-Session-Id"]) == (["bob"], ["s-b"])


def test_the_nas_tables_most_specific_entry_gives_the_secret(radiusd, db, towers, make_backend):
    port, (tower_a, tower_b, _down) = towers
    # a network entry (tower B's secret) and tower A's own address inside it
    execute(
        db,
        "INSERT INTO nas (nasname, shortname, secret) VALUES "
        "('127.0.0.0/24', 'loopback towers', %s), (%s, 'tower-a', %s), "
        "('radius-host.example', 'by name', 'unused')",
        (tower_b.secret, tower_a.host, tower_a.secret),
    )
    # the suite's own idea of tower A's secret is outdated: the nas table wins
    backend = make_backend(coa_port=port, nas_host=tower_a.host, secret="stale-secret")
    assert radiusd.account("Start", "alice", "s-a", nas=tower_a.host)
    assert radiusd.account("Start", "bob", "s-b", nas=tower_b.host)
    assert backend.disconnect_many(["alice", "bob"]) == {"alice": True, "bob": True}
    assert [r["_valid"] for r in tower_a.requests + tower_b.requests] == [True, True]


def test_a_session_on_an_unknown_nas_is_a_clear_permanent_error(radiusd, db, towers, make_backend):
    port, listeners = towers
    backend = make_backend(coa_port=port, nas_host="127.0.0.2", secret=listeners[0].secret)
    assert radiusd.account("Start", "carol", "s-c", nas="127.0.0.9")
    with pytest.raises(BackendError) as info:
        backend.disconnect("carol")
    assert not info.value.transient, "retrying cannot help: someone must add the NAS"
    message = str(info.value)
    assert "127.0.0.9" in message and "nas table" in message and "carol" in message
    assert listeners[0].secret not in message
    assert not any(listener.requests for listener in listeners), "nothing sent"


def test_a_nas_that_does_not_answer_delays_no_other(radiusd, db, towers, make_backend):
    port, (tower_a, _tower_b, tower_down) = towers
    backend = make_backend(
        coa_port=port,
        nas_secrets={tower_a.host: tower_a.secret, tower_down.host: tower_down.secret},
    )
    logins_a = [f"a{i}" for i in range(5)]
    logins_down = [f"d{i}" for i in range(5)]
    for login in logins_a:
        assert radiusd.account("Start", login, f"s-{login}", nas=tower_a.host)
    for login in logins_down:
        assert radiusd.account("Start", login, f"s-{login}", nas=tower_down.host)

    results = backend.disconnect_many(logins_a + logins_down)

    assert all(results[login] is True for login in logins_a)
    errors = [results[login] for login in logins_down]
    assert all(isinstance(error, BackendError) and error.transient for error in errors)
    # the down NAS got one request, sent `retries` times, then was given up: the
    # other four were not sent at all (they fail at once, to be retried later)
    assert len(tower_down.requests) == backend.retries
    assert len({r["User-Name"][0] for r in tower_down.requests}) == 1
    assert sum("did not answer the Disconnect-Request" in str(e) for e in errors) == 1
    assert sum("was not sent" in str(e) for e in errors) == 4
    # tower A's requests all went out and were answered before the down NAS's
    # last retransmission: it was not waiting for it
    assert max(r["_seq"] for r in tower_a.requests) < tower_down.requests[-1]["_seq"]
    assert len(tower_a.requests) == 5


def test_a_nas_with_nothing_on_its_coa_port_is_given_up_at_once(radiusd, db, towers, make_backend):
    port, (tower_a, _b, _down) = towers
    backend = make_backend(
        coa_port=port,
        timeout=30.0,  # the port-unreachable answer ends it, not the timeout
        nas_secrets={tower_a.host: tower_a.secret, "127.0.0.5": "nobody-listens"},
    )
    assert radiusd.account("Start", "alice", "s-a", nas=tower_a.host)
    assert radiusd.account("Start", "xavier", "s-x", nas="127.0.0.5")
    results = backend.disconnect_many(["alice", "xavier"])
    assert results["alice"] is True
    assert isinstance(results["xavier"], BackendError) and results["xavier"].transient
    assert "port unreachable" in str(results["xavier"])


def test_nothing_is_sent_past_the_deadline(radiusd, db, towers, make_backend):
    port, (tower_a, _b, _down) = towers
    backend = make_backend(coa_port=port, nas_host=tower_a.host, secret=tower_a.secret)
    assert radiusd.account("Start", "alice", "s-a", nas=tower_a.host)
    (error,) = backend.disconnect_many(["alice"], deadline=0.0).values()
    assert isinstance(error, BackendError) and error.transient and "deadline" in str(error)
    assert tower_a.requests == []


# ---------------------------------------------------------- incremental usage


class Ledger:
    """What the suite has recorded: cumulative totals per login, as wisp.service keeps."""

    def __init__(self, backend):
        self.backend = backend
        self.cursor = None
        self.totals = {}

    def read(self):
        usages, self.cursor = self.backend.read_usage_since(self.cursor)
        for usage in usages:
            assert usage.monotonic
            self.totals[usage.login] = (usage.upload_bytes, usage.download_bytes)
        return {usage.login for usage in usages}


def test_incremental_usage_equals_the_full_sum(radiusd, db, make_backend):
    backend = make_backend()
    ledger = Ledger(backend)
    sent = {}  # (login, session): the last counters sent (upload, download)

    def account(status, login, session, up=0, down=0):
        assert radiusd.account(status, login, session, up, down)
        sent[login, session] = (up, down)

    def truth():
        totals = {}
        for (login, _session), (up, down) in sent.items():
            old = totals.get(login, (0, 0))
            totals[login] = (old[0] + up, old[1] + down)
        return totals

    account("Start", "alice", "s1")
    account("Interim-Update", "alice", "s1", 1_000, 5_000)
    account("Start", "bob", "s2")
    account("Interim-Update", "bob", "s2", 10, 20)
    assert ledger.read() == {"alice", "bob"}
    assert ledger.totals == truth()

    # interim updates change existing rows; a stop; a new login
    account("Interim-Update", "alice", "s1", 3_000, 9_000)
    account("Stop", "bob", "s2", 50, 70)
    account("Start", "carol", "s3")
    account("Interim-Update", "carol", "s3", 7, 2**33 + 8)  # past 4 GiB: gigawords
    assert ledger.read() == {"alice", "bob", "carol"}, "only what changed"
    assert ledger.totals == truth()
    assert ledger.read() == set(), "nothing changed, nothing read"

    # a late interim update (lower counters) and the next one: no bytes twice
    account("Interim-Update", "alice", "s1", 2_000, 8_000)
    account("Interim-Update", "alice", "s1", 4_000, 12_000)
    account("Start", "bob", "s4")
    account("Interim-Update", "bob", "s4", 1, 2)
    assert ledger.read() == {"alice", "bob"}
    assert ledger.totals == truth()

    # purge bob's closed session: his total stays, nothing looks like a reset
    execute(
        db,
        "UPDATE radacct SET acctstoptime = now() - interval '100 days' WHERE acctsessionid = 's2'",
    )
    assert execute(db, "SELECT wisp_purge_accounting(30)") == [(1,)]
    assert execute(db, "SELECT count(*) FROM radacct WHERE acctstoptime IS NULL") == [(3,)]
    assert ledger.read() == set()
    account("Stop", "bob", "s4", 5, 6)
    assert ledger.read() == {"bob"}
    assert ledger.totals == truth()
    # and a full read agrees with everything read incrementally
    full = {u.login: (u.upload_bytes, u.download_bytes) for u in backend.read_usage()}
    assert full == ledger.totals == truth()


def test_a_cursor_from_another_database_reads_everything(radiusd, db, make_backend):
    backend = make_backend()
    assert radiusd.account("Start", "alice", "s1")
    assert radiusd.account("Interim-Update", "alice", "s1", 5, 6)
    ahead = "1000000000000:1000000000000:"  # a snapshot far ahead: a replaced database
    usages, cursor = backend.read_usage_since(ahead)
    assert [(u.login, u.upload_bytes, u.download_bytes) for u in usages] == [("alice", 5, 6)]
    assert cursor != ahead
    for garbage in ("garbage", "9:3:", "3:9:1", "3:9:5,4", ""):
        assert backend.read_usage_since(garbage)[0] == usages
    assert backend.read_usage_since(cursor)[0] == []


def test_purge_refuses_nonsense(db):
    with pytest.raises(psycopg2.Error) as info:
        execute(db, "SELECT wisp_purge_accounting(0)")
    assert "at least 1" in str(info.value)


def test_without_the_accounting_file_every_read_sums_radacct(dsn, db):
    schema = "no_wisp_accounting"
    radius_harness.load_freeradius_schema(dsn, schema, accounting=False)
    try:
        execute(
            db,
            f"INSERT INTO {schema}.radacct (acctsessionid, acctuniqueid, username, "
            "nasipaddress, acctinputoctets, acctoutputoctets) VALUES "
            "('s1', 'u1', 'alice', '127.0.0.1', 1, 2), ('s2', 'u2', 'alice', '127.0.0.1', 3, 4)",
        )
        backend = RadiusBackend(dsn, schema=schema)
        usages, cursor = backend.read_usage_since(None)
        assert cursor is None
        assert [(u.login, u.upload_bytes, u.download_bytes, u.monotonic) for u in usages] == [
            ("alice", 4, 6, False)
        ]
        backend.close()
    finally:
        execute(db, f"DROP SCHEMA {schema} CASCADE")
