"""Many routers (NAS) on one FreeRADIUS database, against the real radiusd.

Two NAS on loopback addresses of their own (127.0.0.2 and 127.0.0.3), each with
its own secret, are written to the ``nas`` table by the adapter before radiusd
starts with the shipped configuration (``deploy/freeradius``), which reads its
clients from there. Each NAS's logins authenticate on it and nowhere else.
"""

import re

import pyrad.client
import pytest
from radius_harness import DEPLOY_DIR
from wisp_network_adapters.base import BackendError, ServiceState, SpeedProfile
from wisp_network_adapters.radius import RadiusBackend, RadiusNas

HOME = SpeedProfile("Home 10M", download_kbps=10000, upload_kbps=5000)
NAS_A = RadiusNas("127.0.0.2", secret="tower-a-S3cret", shortname="tower-a")
NAS_B = RadiusNas("127.0.0.3", secret="tower-b-S3cret", shortname="tower-b")
STRANGER = "127.0.0.4"  # answers to nothing: not in the nas table
TABLES = ("radcheck", "radreply", "radusergroup", "radgroupreply")


def service(login, **kwargs):
    kwargs.setdefault("password", f"pw-{login}")
    kwargs.setdefault("kind", "pppoe")
    return ServiceState(login=login, profile=HOME, **kwargs)


@pytest.fixture(scope="module")
def radius_clients(dsn):
    """Both NAS in the nas table before radiusd starts (it reads clients at start)."""
    backend = RadiusBackend(dsn)
    report = backend.apply_clients([NAS_A, NAS_B])
    backend.close()
    assert sorted(report.created) == [NAS_A.address, NAS_B.address]


@pytest.fixture
def tower_a(dsn, db):
    value = RadiusBackend(dsn, nas=NAS_A)
    yield value
    value.close()


@pytest.fixture
def tower_b(dsn, db):
    value = RadiusBackend(dsn, nas=NAS_B)
    yield value
    value.close()


def auth(radiusd, login, nas, secret=None, timeout=1.0):
    return radiusd.authenticate(
        login,
        f"pw-{login}",
        timeout=timeout,
        retries=1,
        source=nas.address,
        secret=secret or nas.secret,
    )[0]


def query(db, text, params=()):
    with db.cursor() as cur:
        cur.execute(text, params)
        return cur.fetchall()


def test_each_nas_authenticates_its_own_logins_only(radiusd, tower_a, tower_b):
    tower_a.apply([service("anna"), service("arno", kind="hotspot")])
    tower_b.apply([service("bert")])

    assert auth(radiusd, "anna", NAS_A)
    assert auth(radiusd, "arno", NAS_A)
    assert auth(radiusd, "bert", NAS_B)
    # the right password from the wrong router is rejected
    assert not auth(radiusd, "anna", NAS_B)
    assert not auth(radiusd, "bert", NAS_A)


def test_a_third_address_or_a_wrong_secret_gets_no_answer(radiusd, tower_a):
    tower_a.apply([service("anna")])
    stranger = RadiusNas(STRANGER, secret=NAS_A.secret)
    with pytest.raises(pyrad.client.Timeout):
        auth(radiusd, "anna", stranger, timeout=0.5)
    # router A's address with router B's secret: radiusd drops the packet
    with pytest.raises(pyrad.client.Timeout):
        auth(radiusd, "anna", NAS_A, secret=NAS_B.secret, timeout=0.5)


def sql_queries(log):
    """The SQL statements radiusd ran, from its ``-X`` log."""
    return re.findall(r"sql: Executing (?:select )?query: (\w+ .*)", log)


def test_an_accept_costs_two_selects_and_a_reject_logs_no_password(radiusd, tower_a, tower_b, db):
    tower_a.apply([service("anna"), service("alma", restricted=True)])
    tower_b.apply([service("bert")])
    logged = len(query(db, "SELECT 1 FROM radpostauth"))
    mark = radiusd.log_mark()
    assert auth(radiusd, "anna", NAS_A)
    assert len(query(db, "SELECT 1 FROM radpostauth")) == logged, "accepts are not logged"
    queries = sql_queries(radiusd.log_since(mark))
    # user check and reply; Fall-Through = No skips the groups; no INSERT
    assert [q.split()[0] for q in queries] == ["SELECT"] * 2, queries
    mark = radiusd.log_mark()
    accepted, reply = radiusd.authenticate(
        "alma", "pw-alma", source=NAS_A.address, secret=NAS_A.secret
    )
    assert accepted and reply["Mikrotik-Address-List"] == ["wisp-restricted"]
    # + membership (wisp-restricted only: wisp-pppoe holds no rows) and its two
    assert len(sql_queries(radiusd.log_since(mark))) == 5

    assert not auth(radiusd, "bert", NAS_A)
    assert not radiusd.authenticate(
        "anna", "Wrong-Pw-123", source=NAS_A.address, secret=NAS_A.secret
    )[0]
    rows = query(db, "SELECT username, pass, reply FROM radpostauth ORDER BY id")
    assert rows[-2:] == [("bert", None, "Access-Reject"), ("anna", None, "Access-Reject")]
    assert not query(db, "SELECT 1 FROM radpostauth WHERE pass IS NOT NULL")


def test_the_shipped_purge_keeps_radpostauth_bounded_and_passwordless(db):
    with db.cursor() as cur:
        cur.execute("DELETE FROM radpostauth")
        cur.executemany(
            "INSERT INTO radpostauth (username, pass, reply, authdate) "
            "VALUES (%s, %s, 'Access-Reject', now() - %s::interval)",
            [("old", None, "31 days"), ("legacy", "Secret-Pw-1", "2 days"), ("new", None, "1 day")],
        )
        cur.execute((DEPLOY_DIR / "purge-radpostauth.sql").read_text())
    rows = query(db, "SELECT username, pass FROM radpostauth ORDER BY username")
    # older than 30 days gone; a password logged before the suite's queries cleared
    assert rows == [("legacy", None), ("new", None)]


def test_rows_an_operator_hangs_on_a_kind_group_reach_its_logins(radiusd, tower_a, db):
    tower_a.apply([service("anna"), service("alma", restricted=True)])
    query(
        db,
        "INSERT INTO radgroupreply (groupname, attribute, op, value) "
        "VALUES ('wisp-pppoe', 'Framed-Pool', ':=', 'pppoe-pool') RETURNING id",
    )
    report = tower_a.apply([service("anna"), service("alma", restricted=True)])
    assert report.updated == ["anna"]  # its Fall-Through row is gone
    accepted, reply = radiusd.authenticate(
        "anna", "pw-anna", source=NAS_A.address, secret=NAS_A.secret
    )
    assert accepted and reply["Framed-Pool"] == ["pppoe-pool"]
    assert reply["Mikrotik-Rate-Limit"] == [HOME.rate_limit]
    query(db, "DELETE FROM radgroupreply WHERE groupname = 'wisp-pppoe' RETURNING id")
    report = tower_a.apply([service("anna"), service("alma", restricted=True)])
    assert report.updated == ["anna"]


def test_full_reconcile_of_one_nas_leaves_the_other_ones_logins(radiusd, tower_a, tower_b):
    tower_a.apply([service("anna"), service("arno")])
    tower_b.apply([service("bert"), service("bea", restricted=True)])

    report = tower_a.apply([service("anna")])
    assert report.removed == ["arno"]
    report = tower_a.apply([])
    assert report.removed == ["anna"]
    assert sorted(tower_b.read_state()) == ["bea", "bert"]
    assert tower_a.read_state() == {}
    assert auth(radiusd, "bert", NAS_B)
    assert not tower_b.apply([service("bert"), service("bea", restricted=True)]).changed


def test_a_service_moved_to_another_router_moves(radiusd, tower_a, tower_b):
    tower_a.apply([service("mona")])
    assert auth(radiusd, "mona", NAS_A)

    # the new router's job may run first: it takes the login over ...
    report = tower_b.apply([service("mona")], logins={"mona"})
    assert report.updated == ["mona"]
    # ... and the old router's job (the login no longer desired there) leaves it
    assert not tower_a.apply([], logins={"mona"}).changed
    assert not tower_a.apply([]).changed
    assert auth(radiusd, "mona", NAS_B)
    assert not auth(radiusd, "mona", NAS_A)


def test_unscoped_logins_of_the_single_nas_layout_are_taken_over(radiusd, tower_a, db):
    # rows as the single-router layout wrote them: no NAS scope check item
    query(
        db,
        "INSERT INTO radusergroup (username, groupname, priority) "
        "VALUES ('olde', 'wisp-pppoe', 10), ('gone', 'wisp-pppoe', 10);"
        "INSERT INTO radcheck (username, attribute, op, value) VALUES "
        "('olde', 'Cleartext-Password', ':=', 'pw-olde'), "
        "('gone', 'Cleartext-Password', ':=', 'pw-gone') RETURNING id",
    )
    report = tower_a.apply([service("olde")])
    assert "olde" in report.updated and report.removed == ["gone"]
    assert query(
        db, "SELECT value FROM radcheck WHERE username = 'olde' AND attribute LIKE 'Packet-%%'"
    ) == [(NAS_A.address,)]
    assert auth(radiusd, "olde", NAS_A)
    assert not auth(radiusd, "olde", NAS_B)


def test_one_login_apply_reads_only_that_logins_rows(tower_a, tower_b, monkeypatch):
    tower_a.apply([service(f"a{i:03d}") for i in range(200)])
    tower_b.apply([service(f"b{i:03d}") for i in range(200)])
    fetched = []
    real_execute = tower_a._execute

    def counting_execute(cur, statement, params=None):
        real_execute(cur, statement, params)
        fetched.append(cur.rowcount)

    monkeypatch.setattr(tower_a, "_execute", counting_execute)
    report = tower_a.apply([service("a007", password="new")], logins={"a007"})
    assert report.updated == ["a007"]
    # lock, 1 group + 2 check + 2 reply rows, the restricted group's rows, one update
    assert sum(fetched[:5]) <= 1 + 1 + 2 + 2 + 2, fetched


def test_clients_are_the_servers_routers(dsn, db):
    backend = RadiusBackend(dsn, nas=NAS_A)
    query(
        db,
        "INSERT INTO nas (nasname, shortname, secret) VALUES ('10.9.9.9', 'by-hand', 'x');"
        "DELETE FROM nas WHERE nasname = %s RETURNING id",
        (NAS_B.address,),
    )
    try:
        # NAS B is back; a changed secret is written; the hand-made client stays
        report = backend.apply_clients(
            [NAS_A, NAS_B, RadiusNas("127.0.0.5", secret="c", vendor="mikrotik")]
        )
        assert report.created == [NAS_B.address, "127.0.0.5"] and not report.updated
        assert not backend.apply_clients([NAS_A, NAS_B, RadiusNas("127.0.0.5", "c")]).changed
        rows = query(db, "SELECT nasname, shortname, type, secret FROM nas ORDER BY nasname")
        assert rows == [
            ("10.9.9.9", "by-hand", "other", "x"),
            ("127.0.0.2", "tower-a", "mikrotik", NAS_A.secret),
            ("127.0.0.3", "tower-b", "mikrotik", NAS_B.secret),
            ("127.0.0.5", "127.0.0.5", "mikrotik", "c"),
        ]
        # a router leaving the server takes its logins with it
        RadiusBackend(dsn, nas=RadiusNas("127.0.0.5", "c")).apply([service("cleo")])
        report = backend.apply_clients([NAS_A, NAS_B])
        assert report.removed == ["127.0.0.5"]
        assert query(db, "SELECT 1 FROM radusergroup WHERE username = 'cleo'") == []
        assert len(query(db, "SELECT 1 FROM nas")) == 3
    finally:
        backend.apply_clients([NAS_A, NAS_B])
        backend.close()


@pytest.mark.parametrize(
    ("nas", "message"),
    [
        (None, "needs the NAS"),
        (RadiusNas("tower-a.lan", "s", shortname="tower-a"), "must be an IP address"),
        (RadiusNas("127.0.0.2", ""), "no RADIUS shared secret"),
        (RadiusNas("127.0.0.2", "s", vendor="cisco"), "unknown vendor 'cisco'"),
    ],
)
def test_unusable_nas_is_refused_clearly(dsn, db, nas, message):
    backend = RadiusBackend(dsn, nas=nas)
    for call in (backend.read_state, lambda: backend.apply([service("anna")])):
        with pytest.raises(BackendError) as info:
            call()
        assert message in str(info.value) and not info.value.transient
    assert query(db, "SELECT 1 FROM radcheck") == []
    if nas is not None:
        with pytest.raises(BackendError) as info:
            backend.apply_clients([nas])
        assert message in str(info.value)
    with pytest.raises(BackendError, match=r"two NAS share the address 127\.0\.0\.2"):
        backend.apply_clients([NAS_A, RadiusNas("127.0.0.2", "other")])
    backend.close()
