"""RadiusBackend against a real FreeRADIUS (Debian's radiusd with the sql module).

The adapter writes the SQL tables; what counts is what radiusd answers to real
RADIUS requests sent by pyrad: Access-Accept with the right Mikrotik attributes,
Access-Reject for terminated logins and wrong passwords, accounting rows that
become usage. One radiusd and one throw-away database serve the whole module.
"""

import logging
import socket

import psycopg2
import pytest
import radius_harness
from radius_harness import CoaListener, RadiusServer
from wisp_network_adapters.base import BackendError, PingResult, ServiceState, SpeedProfile
from wisp_network_adapters.radius import RadiusBackend, RadiusNas
from wisp_network_adapters.rate_limit import parse_rate_limit

RESTRICTED_RATE = "256k/256k"
PASSWORD = "Cleartext-Password"
HOME = SpeedProfile("Home 10M", download_kbps=10000, upload_kbps=5000)
BURST = SpeedProfile(
    "Pro 20M",
    download_kbps=20000,
    upload_kbps=10000,
    burst_download_kbps=40000,
    burst_upload_kbps=20000,
)
FAIR_USE = SpeedProfile("Home 10M fair use", download_kbps=2000, upload_kbps=1000)
# the harness's own client: the NAS every login of this module is scoped to
NAS = RadiusNas(RadiusServer.host, secret="nas-S3cret", shortname="harness")
TABLES = ("radcheck", "radreply", "radusergroup", "radgroupreply", "radacct", "nas")


def service(login, profile=HOME, **kwargs):
    kwargs.setdefault("password", f"pw-{login}-S3cr3t")
    kwargs.setdefault("kind", "pppoe")
    return ServiceState(login=login, profile=profile, **kwargs)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def coa():
    with CoaListener() as listener:
        yield listener


@pytest.fixture
def backend(dsn, coa, db):
    coa.requests.clear()
    coa.refuse.clear()
    value = RadiusBackend(
        dsn,
        nas=NAS,
        nas_host=coa.host,
        coa_port=coa.port,
        secret=coa.secret,
        restricted_rate=RESTRICTED_RATE,
        timeout=0.5,
        retries=1,
    )
    yield value
    value.close()


def rows(db, table, where="TRUE", params=()):
    """Rows of a table with their id and xmin (a rewritten row gets a new xmin)."""
    with db.cursor() as cur:
        cur.execute(f"SELECT xmin::text, * FROM {table} WHERE {where} ORDER BY id", params)
        return cur.fetchall()


def snapshot(db):
    return {table: rows(db, table) for table in TABLES if table != "radacct"}


def execute(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)


# ------------------------------------------------------- real RADIUS answers


def test_active_service_is_accepted_with_its_rate_limit(radiusd, backend):
    report = backend.apply(
        [
            service("alice"),
            service("bob", BURST, remote_address="100.64.0.10"),
            service("hana", kind="hotspot"),
        ]
    )
    assert sorted(report.created) == ["alice", "bob", "hana"]

    accepted, reply = radiusd.authenticate("alice", "pw-alice-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == ["5000k/10000k"]
    assert "Mikrotik-Address-List" not in reply

    accepted, reply = radiusd.authenticate("bob", "pw-bob-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == [BURST.rate_limit]
    assert reply["Mikrotik-Rate-Limit"] == ["10000k/20000k 20000k/40000k 7500k/15000k 8/8"]
    assert reply["Framed-IP-Address"] == ["100.64.0.10"]

    accepted, reply = radiusd.authenticate("hana", "pw-hana-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == ["5000k/10000k"]


def test_static_address_and_delegated_ipv6_prefix_reach_the_reply(radiusd, backend, db):
    """An address and a prefix from the IP pools are radreply rows, answered by radiusd,
    read back, and re-applied without a write; a prefix taken away is removed."""
    wanted = service("ivan", remote_address="100.64.0.11", ipv6_prefix="2001:db8:100:100::/56")
    backend.apply([wanted])
    accepted, reply = radiusd.authenticate("ivan", "pw-ivan-S3cr3t")
    assert accepted
    assert reply["Framed-IP-Address"] == ["100.64.0.11"]
    assert reply["Delegated-IPv6-Prefix"] == ["2001:db8:100:100::/56"]
    state = backend.read_state()["ivan"]
    assert (state.remote_address, state.ipv6_prefix) == ("100.64.0.11", "2001:db8:100:100::/56")
    before = snapshot(db)
    assert not backend.apply([wanted]).changed
    assert snapshot(db) == before

    backend.apply([service("ivan", remote_address="100.64.0.11")])
    assert "Delegated-IPv6-Prefix" not in radiusd.authenticate("ivan", "pw-ivan-S3cr3t")[1]
    assert not rows(db, "radreply", "attribute = %s", ("Delegated-IPv6-Prefix",))


def test_invalid_ipv6_prefix_is_refused_before_any_write(backend, db):
    with pytest.raises(BackendError, match="invalid IPv6 prefix") as caught:
        backend.apply([service("judy", ipv6_prefix="2001:db8::1/56")])
    assert not caught.value.transient
    assert not rows(db, "radcheck")


def test_restricted_service_gets_the_captive_treatment(radiusd, backend, db):
    backend.apply([service("carol", restricted=True)])
    accepted, reply = radiusd.authenticate("carol", "pw-carol-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Address-List"] == ["wisp-restricted"]
    assert reply["Mikrotik-Rate-Limit"] == [RESTRICTED_RATE]

    # paying lifts the restriction: one membership row goes, the plan speed is back
    before = rows(db, "radusergroup")
    report = backend.apply([service("carol")])
    assert report.updated == ["carol"] and not report.created and not report.removed
    after = rows(db, "radusergroup")
    assert sorted(r[3] for r in before) == ["wisp-pppoe", "wisp-restricted"]
    assert [r[3] for r in after] == ["wisp-pppoe"]
    assert after[0][:2] == next(r for r in before if r[3] == "wisp-pppoe")[:2]
    accepted, reply = radiusd.authenticate("carol", "pw-carol-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == ["5000k/10000k"]
    assert "Mikrotik-Address-List" not in reply


def test_terminated_service_is_removed_and_rejected(radiusd, backend, db):
    backend.apply([service("alice"), service("dave", restricted=True)])
    # an operator once added a hand attribute to dave: it goes with the login
    execute(
        db,
        "INSERT INTO radcheck (username, attribute, op, value) "
        "VALUES ('dave', 'Simultaneous-Use', ':=', '1')",
    )
    assert radiusd.authenticate("dave", "pw-dave-S3cr3t")[0]

    report = backend.apply([service("alice")])
    assert report.removed == ["dave"] and not report.created and not report.updated
    for table in ("radcheck", "radreply", "radusergroup"):
        assert rows(db, table, "username = %s", ("dave",)) == []
    assert not radiusd.authenticate("dave", "pw-dave-S3cr3t")[0]
    assert radiusd.authenticate("alice", "pw-alice-S3cr3t")[0]


def test_wrong_password_is_rejected(radiusd, backend):
    backend.apply([service("erin")])
    assert not radiusd.authenticate("erin", "not-the-password")[0]
    assert not radiusd.authenticate("nobody", "pw-erin-S3cr3t")[0]
    assert radiusd.authenticate("erin", "pw-erin-S3cr3t")[0]


def test_accounting_packets_become_usage(radiusd, backend):
    backend.apply([service("alice"), service("bob")])
    giga = 2**32
    assert radiusd.account("Start", "alice", "s-1", Framed_IP_Address="100.64.0.5")
    assert radiusd.account("Interim-Update", "alice", "s-1", 1_000, 50_000)
    assert radiusd.account("Stop", "alice", "s-1", 2_000, 3 * giga + 7)
    # a second session, still open, counts too
    assert radiusd.account("Start", "alice", "s-2")
    assert radiusd.account("Interim-Update", "alice", "s-2", 500, 600)
    assert radiusd.account("Start", "bob", "s-3")

    usage = {u.login: u for u in backend.read_usage()}
    # upload is what the NAS received from the subscriber (Acct-Input-Octets)
    assert usage["alice"].upload_bytes == 2_000 + 500
    assert usage["alice"].download_bytes == 3 * giga + 7 + 600
    assert usage["bob"].upload_bytes == 0 and usage["bob"].download_bytes == 0


# ----------------------------------------------------- idempotence and drift


def test_second_apply_writes_nothing(backend, db):
    desired = [
        service("alice"),
        service("bob", BURST, remote_address="100.64.0.10"),
        service("carol", restricted=True),
        service("hana", kind="hotspot"),
    ]
    first = backend.apply(desired)
    assert first.changed and "wisp-restricted" in first.updated
    before = snapshot(db)
    trips = backend.round_trips

    second = backend.apply(desired)
    assert not second.changed
    assert (second.created, second.updated, second.removed) == ([], [], [])
    assert snapshot(db) == before  # same ids, values and xmin: nothing rewritten
    assert backend.round_trips - trips == 5  # lock + four bulk reads, no write


def test_drift_is_repaired_and_only_the_drift(radiusd, backend, db):
    desired = [service(name) for name in ("alice", "bob", "carol", "dave", "erin")]
    backend.apply(desired)
    before = snapshot(db)

    execute(db, "DELETE FROM radreply WHERE username = 'alice'")  # rate row gone
    execute(db, "UPDATE radcheck SET value = 'hacked' WHERE username = 'bob'")
    execute(  # a duplicate password row
        db,
        "INSERT INTO radcheck (username, attribute, op, value) "
        "VALUES ('carol', 'Cleartext-Password', '==', 'other')",
    )
    execute(  # restricted by hand without a reason
        db,
        "INSERT INTO radusergroup (username, groupname, priority) "
        "VALUES ('dave', 'wisp-restricted', 0)",
    )
    execute(  # a leftover of a service the suite no longer has
        db,
        "INSERT INTO radusergroup (username, groupname, priority) VALUES ('zoe', 'wisp-pppoe', 10);"
        "INSERT INTO radcheck (username, attribute, op, value) "
        "VALUES ('zoe', 'Cleartext-Password', ':=', 'zoe')",
    )
    execute(
        db, "UPDATE radgroupreply SET value = '10M/10M' WHERE attribute = 'Mikrotik-Rate-Limit'"
    )

    report = backend.apply(desired)
    assert report.updated == ["alice", "bob", "carol", "dave", "wisp-restricted"]
    assert report.removed == ["zoe"] and report.created == []

    after = snapshot(db)
    # erin was not drifted: her rows are the very same rows
    for table in ("radcheck", "radreply", "radusergroup"):
        assert [r for r in after[table] if r[2] == "erin"] == [
            r for r in before[table] if r[2] == "erin"
        ]
    assert radiusd.authenticate("alice", "pw-alice-S3cr3t")[1]["Mikrotik-Rate-Limit"] == [
        "5000k/10000k"
    ]
    assert radiusd.authenticate("bob", "pw-bob-S3cr3t")[0]
    assert not radiusd.authenticate("bob", "hacked")[0]
    assert len(rows(db, "radcheck", "username = 'carol' AND attribute = %s", [PASSWORD])) == 1
    assert "Mikrotik-Address-List" not in radiusd.authenticate("dave", "pw-dave-S3cr3t")[1]
    assert not radiusd.authenticate("zoe", "zoe")[0]
    assert not backend.apply(desired).changed


def test_hand_made_rows_are_left_alone(radiusd, backend, db):
    execute(
        db,
        """
        INSERT INTO radcheck (username, attribute, op, value) VALUES
            ('manual', 'Cleartext-Password', ':=', 'by-hand');
        INSERT INTO radreply (username, attribute, op, value) VALUES
            ('manual', 'Mikrotik-Rate-Limit', ':=', '1M/1M');
        INSERT INTO radusergroup (username, groupname, priority) VALUES
            ('manual', 'staff', 1);
        INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES
            ('staff', 'Session-Timeout', ':=', '3600'),
            ('wisp-restricted', 'Idle-Timeout', ':=', '600');
        INSERT INTO nas (nasname, shortname, secret) VALUES ('10.0.0.1', 'tower-1', 'x');
        """,
    )
    before = snapshot(db)
    backend.apply([service("alice"), service("bob", restricted=True)])
    backend.apply([service("alice")])
    after = snapshot(db)

    def hand(snap):
        return {
            "radcheck": [r for r in snap["radcheck"] if r[2] == "manual"],
            "radreply": [r for r in snap["radreply"] if r[2] == "manual"],
            "radusergroup": [r for r in snap["radusergroup"] if r[2] == "manual"],
            "radgroupreply": [
                r for r in snap["radgroupreply"] if r[3] in ("Session-Timeout", "Idle-Timeout")
            ],
            "nas": snap["nas"],
        }

    assert hand(after) == hand(before)
    assert "manual" not in backend.read_state()
    accepted, reply = radiusd.authenticate("manual", "by-hand")
    assert accepted and reply["Mikrotik-Rate-Limit"] == ["1M/1M"]


def test_apply_for_some_logins_touches_only_them(backend, db):
    backend.apply([service("alice"), service("bob"), service("erin")])
    before = snapshot(db)
    report = backend.apply(
        [service("bob", FAIR_USE), service("carol")],  # carol is outside the scope
        logins={"bob", "erin"},
    )
    assert report.updated == ["bob"] and report.removed == ["erin"] and report.created == []
    state = backend.read_state()
    assert sorted(state) == ["alice", "bob"]
    assert state["bob"].profile.rate_limit == FAIR_USE.rate_limit
    after = snapshot(db)
    assert [r for r in after["radreply"] if r[2] == "alice"] == [
        r for r in before["radreply"] if r[2] == "alice"
    ]


def test_adopts_a_hand_made_login_it_is_given(radiusd, backend, db):
    execute(
        db,
        "INSERT INTO radcheck (username, attribute, op, value) "
        "VALUES ('olga', 'Cleartext-Password', ':=', 'old')",
    )
    report = backend.apply([service("olga")])
    assert report.created == ["olga"]
    assert len(rows(db, "radcheck", "username = 'olga' AND attribute = %s", [PASSWORD])) == 1
    assert radiusd.authenticate("olga", "pw-olga-S3cr3t")[0]
    assert not radiusd.authenticate("olga", "old")[0]


# ------------------------------------------------------------- bulk reads


class CountingCursor(psycopg2.extensions.cursor):
    statements = 0

    def execute(self, query, params=None):
        CountingCursor.statements += 1
        return super().execute(query, params)


def test_read_state_reads_in_bulk(backend, monkeypatch):
    real_connect = psycopg2.connect

    def counting_connect(*args, **kwargs):
        return real_connect(*args, cursor_factory=CountingCursor, **kwargs)

    monkeypatch.setattr(psycopg2, "connect", counting_connect)
    backend.close()

    counts = []
    for size in (3, 300):
        desired = [
            service(f"u{i:04d}", BURST if i % 2 else HOME, restricted=not i % 3)
            for i in range(size)
        ]
        backend.apply(desired)
        CountingCursor.statements = 0
        trips = backend.round_trips
        state = backend.read_state()
        counts.append((CountingCursor.statements, backend.round_trips - trips))
        assert len(state) == size
        for wanted in desired:
            got = state[wanted.login]
            assert got.password == wanted.password
            assert got.kind == "pppoe"
            assert got.restricted == wanted.restricted
            assert got.profile.rate_limit == wanted.profile.rate_limit
    assert counts == [(4, 4), (4, 4)]


def test_parse_rate_limit_round_trip():
    for profile in (HOME, BURST, FAIR_USE):
        assert parse_rate_limit(profile.rate_limit).rate_limit == profile.rate_limit
    assert parse_rate_limit("2M/4M").download_kbps == 4000
    assert parse_rate_limit("512000/1024000").upload_kbps == 512


def test_hand_written_rate_limits_read_with_routeros_defaults(radiusd, backend, db):
    backend.apply([service("alice"), service("bob", BURST)])
    accepted, reply = radiusd.authenticate("bob", "pw-bob-S3cr3t")
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == [BURST.rate_limit]  # rx (upload) first
    # Strings an engineer typed in radreply, as RouterOS documents them.
    for login, text in (("alice", "2M/8M 4M/16M"), ("bob", "2M/8M 4M/16M 1500k/6M 1m")):
        execute(
            db,
            f"UPDATE radreply SET value = '{text}' "
            f"WHERE username = '{login}' AND attribute = 'Mikrotik-Rate-Limit'",
        )
    state = backend.read_state()
    assert state["alice"].profile == SpeedProfile(
        "2M/8M 4M/16M",
        download_kbps=8000,
        upload_kbps=2000,
        burst_download_kbps=16000,
        burst_upload_kbps=4000,
        burst_threshold_pct=100,  # no threshold: the rate itself
        burst_time_s=1,  # no burst time: 1 s
    )
    assert state["bob"].profile.burst_threshold_pct == 75
    assert state["bob"].profile.burst_time_s == 60
    # The drift is repaired to the plan's own string.
    assert sorted(backend.apply([service("alice"), service("bob", BURST)]).updated) == [
        "alice",
        "bob",
    ]
    assert radiusd.authenticate("alice", "pw-alice-S3cr3t")[1]["Mikrotik-Rate-Limit"] == [
        HOME.rate_limit
    ]


# ------------------------------------------------------------------ errors


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_down_is_transient(backend, db):
    down = RadiusBackend(
        f"host=127.0.0.1 port={closed_port()} dbname=radius user=radius password=DbPa55word",
        nas=NAS,
        connect_timeout=2,
    )
    for call in (down.read_state, lambda: down.apply([service("alice")]), down.read_usage):
        with pytest.raises(BackendError) as info:
            call()
        assert info.value.transient
        assert "DbPa55word" not in str(info.value)

    # the database drops the adapter's connection: transient, then it reconnects
    backend.read_state()
    execute(
        db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'wisp_network radius' AND datname = current_database()",
    )
    with pytest.raises(BackendError) as info:
        backend.read_state()
    assert info.value.transient
    assert backend.read_state() == {}


def test_malformed_connection_string_is_refused_without_quoting_it(caplog):
    # libpq's own message would quote the text around the fault: here the password
    bad = RadiusBackend("host=127.0.0.1 dbname=radius password=Db Pa55word", nas=NAS)
    with caplog.at_level(logging.DEBUG):
        for call in (bad.read_state, lambda: bad.apply([service("alice")]), bad.read_usage):
            with pytest.raises(BackendError) as info:
                call()
            assert not info.value.transient
            assert "malformed connection string" in str(info.value)
            assert "Pa55word" not in str(info.value)
    assert "Pa55word" not in caplog.text


def test_sql_errors_are_not_transient(dsn):
    wrong = RadiusBackend(dsn, schema="no_such_schema", nas=NAS)
    with pytest.raises(BackendError) as info:
        wrong.read_state()
    assert not info.value.transient
    assert "radusergroup" in str(info.value)
    wrong.close()


def test_failed_apply_rolls_back_and_hides_the_password(backend, db, caplog):
    backend.apply([service("alice")])
    before = snapshot(db)
    execute(
        db,
        """
        CREATE FUNCTION wisp_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'refused, password was %',
                (SELECT value FROM radcheck WHERE username = NEW.username LIMIT 1);
        END $$;
        CREATE TRIGGER wisp_test_fail BEFORE INSERT ON radusergroup
            FOR EACH ROW EXECUTE FUNCTION wisp_test_fail();
        """,
    )
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(BackendError) as info:
            backend.apply([service("alice", BURST), service("bob", password="B0b-Secret!")])
    finally:
        execute(db, "DROP TRIGGER wisp_test_fail ON radusergroup; DROP FUNCTION wisp_test_fail()")
    assert not info.value.transient
    assert "refused" in str(info.value)
    assert "B0b-Secret!" not in str(info.value) and "B0b-Secret!" not in caplog.text
    assert snapshot(db) == before  # alice's new rate and bob's rows rolled back
    assert backend.apply([service("alice")]).changed is False  # connection still usable


def test_invalid_desired_state_is_refused(backend, db):
    for desired in (
        [service("alice"), service("alice")],
        [service("alice", kind="dsl")],
        [service("alice", password="")],
        [service("alice", remote_address="not-an-ip")],
    ):
        with pytest.raises(BackendError) as info:
            backend.apply(desired)
        assert not info.value.transient
    assert rows(db, "radcheck") == []


def test_schema_option(dsn, db):
    radius_harness.load_freeradius_schema(dsn, schema="tower_b")
    try:
        other = RadiusBackend(dsn, schema="tower_b", nas=NAS)
        assert other.apply([service("alice")]).created == ["alice"]
        assert sorted(other.read_state()) == ["alice"]
        assert rows(db, "radcheck") == []  # public tables untouched
        other.close()
    finally:
        execute(db, "DROP SCHEMA tower_b CASCADE")


# ------------------------------------------------------ disconnect and ping


def test_disconnect_sends_a_disconnect_request(radiusd, backend, coa):
    backend.apply([service("alice"), service("bob")])
    assert radiusd.account("Start", "alice", "sess-a1", Framed_IP_Address="100.64.0.7")

    assert backend.disconnect("alice") is True
    (request,) = coa.requests
    assert request["_valid"] and request["_code"] == 40  # Disconnect-Request, right secret
    assert request["User-Name"] == ["alice"]
    assert request["Acct-Session-Id"] == ["sess-a1"]
    assert request["Framed-IP-Address"] == ["100.64.0.7"]

    # no open session: nothing to send
    assert radiusd.account("Stop", "alice", "sess-a1", 10, 20)
    assert backend.disconnect("alice") is False
    assert backend.disconnect("bob") is False
    assert len(coa.requests) == 1

    # the NAS does not know the session: NAK
    assert radiusd.account("Start", "bob", "sess-b1")
    coa.refuse.add("bob")
    assert backend.disconnect("bob") is False
    assert coa.requests[-1]["User-Name"] == ["bob"]


def test_disconnect_without_answer_is_transient(radiusd, backend, coa):
    backend.apply([service("alice")])
    assert radiusd.account("Start", "alice", "sess-x")
    wrong_secret = RadiusBackend(
        backend._dsn,
        nas_host=coa.host,
        coa_port=coa.port,
        secret="not-the-secret",
        timeout=0.3,
        retries=1,
    )
    with pytest.raises(BackendError) as info:
        wrong_secret.disconnect("alice")  # the NAS drops a bad authenticator
    assert info.value.transient
    assert coa.requests[-1]["_valid"] is False
    assert "not-the-secret" not in str(info.value)
    wrong_secret.close()


def test_ping_needs_the_router_api(dsn):
    with pytest.raises(BackendError) as info:
        RadiusBackend(dsn).ping("100.64.0.7")
    assert not info.value.transient and "router API" in str(info.value)

    class Router:
        def ping(self, address, count=5):
            return PingResult(sent=count, received=count - 1, min_ms=1.0, avg_ms=2.0, max_ms=3.0)

    result = RadiusBackend(dsn, ping_via=Router()).ping("100.64.0.7", count=4)
    assert result.sent == 4 and result.loss_pct == 25.0


def test_check_connection_reads_no_state(backend, monkeypatch):
    """The router's "check connection" button: a few look-ups for no login, the
    same whatever the number of services (it used to read the whole state)."""

    def read_state():
        raise AssertionError("check_connection must not read the whole state")

    counts = []
    for size in (3, 300):
        backend.apply([service(f"u{i:04d}") for i in range(size)])
        trips = backend.round_trips
        with monkeypatch.context() as patch:
            patch.setattr(backend, "read_state", read_state)
            assert backend.check_connection() == {}
        counts.append(backend.round_trips - trips)
    assert counts[0] == counts[1] <= 4


def test_check_connection_asks_the_router_api_too(dsn, db):
    class Router:
        def check_connection(self):
            return {"platform": "MikroTik"}

    backend = RadiusBackend(dsn, nas=NAS, ping_via=Router())
    try:
        assert backend.check_connection() == {"platform": "MikroTik"}
    finally:
        backend.close()


def test_check_connection_without_the_tables_is_a_clear_error(dsn, db):
    backend = RadiusBackend(dsn, nas=NAS, schema="wisp_no_such_schema")
    try:
        with pytest.raises(BackendError) as info:
            backend.check_connection()
    finally:
        backend.close()
    assert "RADIUS database check failed" in str(info.value)


# ------------------------------------------------------------------ secrets


def test_secrets_never_reach_logs(radiusd, backend, coa, caplog, dsn):
    password = "Ultra-Secret-Pw-42"
    with caplog.at_level(logging.DEBUG):
        backend.apply([service("alice", password=password, restricted=True)])
        backend.apply([service("alice", password=password)])
        assert radiusd.account("Start", "alice", "sess-log")
        backend.disconnect("alice")
        backend.read_state()
        backend.read_usage()
        backend.apply([])
        with pytest.raises(BackendError) as info:
            RadiusBackend(
                f"host=127.0.0.1 port={closed_port()} dbname=x user=y password={password}",
                nas=NAS,
                secret=coa.secret,
            ).read_state()
    assert caplog.records  # the adapter does log what it did
    for secret in (password, coa.secret):
        assert secret not in caplog.text
        assert secret not in str(info.value)
        assert secret not in repr(backend)
    # a desired or read state in a log line or a traceback shows no password
    assert password not in repr(service("alice", password=password))
    assert password not in repr(backend.read_state())


# ------------------------------------------------------------ live sessions


def test_open_accounting_rows_are_the_live_sessions(radiusd, backend):
    backend.apply([service("alice"), service("bob", kind="hotspot"), service("carol")])
    assert radiusd.account(
        "Start",
        "alice",
        "s-1",
        Framed_IP_Address="100.64.0.5",
        Calling_Station_Id="02:AA:00:00:00:01",
    )
    # a NAS repeats the session's address in every interim update
    assert radiusd.account(
        "Interim-Update", "alice", "s-1", 1_000, 50_000, Framed_IP_Address="100.64.0.5"
    )
    assert radiusd.account("Start", "bob", "s-2", Framed_IP_Address="100.64.0.6")
    assert radiusd.account("Start", "carol", "s-3")
    assert radiusd.account("Stop", "carol", "s-3", 10, 20)  # closed: not live

    sessions = {s.login: s for s in backend.read_sessions()}
    assert set(sessions) == {"alice", "bob"}
    alice = sessions["alice"]
    assert (alice.session_id, alice.kind, alice.address, alice.nas) == (
        "s-1",
        "pppoe",
        "100.64.0.5",
        radiusd.host,
    )
    assert alice.mac == "02:AA:00:00:00:01"
    # input octets are what the NAS received from the subscriber: upload
    assert (alice.upload_bytes, alice.download_bytes) == (1_000, 50_000)
    assert alice.started is not None and alice.started.tzinfo is None
    assert 0 <= alice.uptime_seconds() < 120
    assert sessions["bob"].kind == "hotspot"

    assert [s.login for s in backend.read_sessions({"bob"})] == ["bob"]
    assert backend.read_sessions(set()) == []


def test_sessions_are_those_of_the_backends_nas(radiusd, backend, db):
    backend.apply([service("alice")])
    assert radiusd.account("Start", "alice", "s-1")
    # the shared database also holds another router's session
    execute(
        db,
        "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
        "acctstarttime) VALUES ('s-9', 'u-9', 'zoe', '10.9.9.9', now())",
    )
    assert [(s.login, s.nas) for s in backend.read_sessions()] == [("alice", radiusd.host)]


def test_ended_sessions_give_their_stop_and_cause(radiusd, backend):
    backend.apply([service("alice"), service("bob")])
    assert radiusd.account("Start", "alice", "s-1")
    assert radiusd.account("Stop", "alice", "s-1", 10, 20, Acct_Terminate_Cause="Lost-Carrier")
    assert radiusd.account("Start", "bob", "s-2")  # still open
    ends = backend.read_session_ends([("alice", "s-1"), ("bob", "s-2"), ("carol", "s-1")])
    assert list(ends) == [("alice", "s-1")]
    stop, cause = ends[("alice", "s-1")]
    assert cause == "Lost-Carrier"
    assert stop is not None and stop.tzinfo is None
    assert backend.read_session_ends([]) == {}
