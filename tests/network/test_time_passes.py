"""Time passes enforced by the NAS: the total online time of a login.

RADIUS: against a real FreeRADIUS running the shipped ``wisp_uptime_counter``
sqlcounter (``deploy/freeradius``): the rest of the time as Session-Timeout,
a reject once it is used up. RouterOS: the hotspot user's ``limit-uptime``,
through the real librouteros client against the emulator, which logs the
user out at the limit and refuses it afterwards.
"""

import datetime

import psycopg2
import pytest
from radius_harness import HarnessError, RadiusServer, postgres_database
from routeros_emulator import RouterOSEmulator
from wisp_network_adapters.base import BackendError, ServiceState, SpeedProfile
from wisp_network_adapters.radius import RadiusBackend, RadiusNas
from wisp_network_adapters.routeros import RouterOSBackend, ros_duration, uptime_seconds

PASS = SpeedProfile("hotspot-1h-7", download_kbps=5000, upload_kbps=1000)
HOUR = 3600
NAS = RadiusNas(RadiusServer.host, secret="nas-S3cret", shortname="harness")


def time_pass(login, limit=HOUR, **kwargs):
    return ServiceState(
        login=login,
        password=f"pw-{login}",
        kind="hotspot",
        profile=PASS,
        uptime_limit_s=limit,
        **kwargs,
    )


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ RADIUS


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
def radius(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in ("radcheck", "radreply", "radusergroup", "radgroupreply", "radacct", "nas"):
            cur.execute(f"DELETE FROM {table}")
    conn.close()
    backend = RadiusBackend(dsn, nas=NAS)
    yield backend
    backend.close()


def used(radiusd, login, session_id, seconds, stop=True):
    """A session of ``seconds`` online, as the NAS accounts it."""
    assert radiusd.account("Start", login, session_id)
    status = "Stop" if stop else "Interim-Update"
    assert radiusd.account(status, login, session_id, Acct_Session_Time=seconds)


def test_radius_rows_of_a_time_pass(radius, dsn):
    report = radius.apply([time_pass("hs-one")])
    assert report.created == ["hs-one"]
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT attribute, op, value FROM radcheck WHERE username = 'hs-one'")
        checks = sorted(cur.fetchall())
        cur.execute("SELECT attribute, op, value FROM radreply WHERE username = 'hs-one'")
        replies = sorted(cur.fetchall())
    conn.close()
    assert ("Max-All-Session", ":=", "3600") in checks
    assert ("Session-Timeout", ":=", "3600") in replies
    assert radius.read_state()["hs-one"].uptime_limit_s == HOUR
    assert not radius.apply([time_pass("hs-one")]).changed
    # a second pass adds up; without a limit the rows go
    assert radius.apply([time_pass("hs-one", 2 * HOUR)]).updated == ["hs-one"]
    assert radius.read_state()["hs-one"].uptime_limit_s == 2 * HOUR
    radius.apply([time_pass("hs-one", 0)])
    assert radius.read_state()["hs-one"].uptime_limit_s == 0


def test_fresh_pass_gets_its_whole_time(radiusd, radius):
    radius.apply([time_pass("hs-fresh")])
    accepted, reply = radiusd.authenticate("hs-fresh", "pw-hs-fresh")
    assert accepted
    assert reply["Session-Timeout"] == [HOUR]


def test_partly_used_pass_gets_the_rest(radiusd, radius):
    radius.apply([time_pass("hs-back")])
    used(radiusd, "hs-back", "s-1", 30 * 60)
    used(radiusd, "hs-back", "s-2", 20 * 60)  # 50 minutes in two sessions
    accepted, reply = radiusd.authenticate("hs-back", "pw-hs-back")
    assert accepted
    assert reply["Session-Timeout"] == [600]


def test_open_session_counts_through_its_interim_updates(radiusd, radius):
    radius.apply([time_pass("hs-open")])
    used(radiusd, "hs-open", "s-1", 45 * 60, stop=False)
    accepted, reply = radiusd.authenticate("hs-open", "pw-hs-open")
    assert accepted
    assert reply["Session-Timeout"] == [900]


def test_used_up_pass_is_rejected(radiusd, radius):
    radius.apply([time_pass("hs-done")])
    used(radiusd, "hs-done", "s-1", HOUR + 5)
    accepted, _reply = radiusd.authenticate("hs-done", "pw-hs-done")
    assert not accepted
    # a new pass on the same login: the total grows, the rest is the new hour
    radius.apply([time_pass("hs-done", 2 * HOUR)])
    accepted, reply = radiusd.authenticate("hs-done", "pw-hs-done")
    assert accepted
    assert reply["Session-Timeout"] == [HOUR - 5]


def test_login_without_limit_is_not_counted(radiusd, radius):
    radius.apply([time_pass("hs-month", 0)])
    used(radiusd, "hs-month", "s-1", 10 * HOUR)
    accepted, reply = radiusd.authenticate("hs-month", "pw-hs-month")
    assert accepted
    assert "Session-Timeout" not in reply


def test_restricted_login_keeps_no_limit_rows(radius):
    radius.apply([time_pass("hs-cut", 0, restricted=True)])
    assert radius.read_state()["hs-cut"].uptime_limit_s == 0


def test_first_login_read_from_accounting(radiusd, radius):
    radius.apply([time_pass("hs-first"), time_pass("hs-never")])
    before = utcnow() - datetime.timedelta(seconds=2)
    used(radiusd, "hs-first", "s-1", 60)
    used(radiusd, "hs-first", "s-2", 60)
    starts = radius.first_logins({"hs-first": before, "hs-never": before})
    assert set(starts) == {"hs-first"}
    assert before <= starts["hs-first"] <= utcnow()
    # sessions before the pass was put on the login do not start it
    later = utcnow() + datetime.timedelta(minutes=5)
    assert radius.first_logins({"hs-first": later}) == {}
    assert radius.first_logins({}) == {}


def test_bad_limit_is_refused(radius):
    for bad in (-60, 1.5):
        with pytest.raises(BackendError, match="invalid online-time limit") as info:
            radius.apply([time_pass("hs-bad", bad)])
        assert not info.value.transient
    assert "hs-bad" not in radius.read_state()


# ---------------------------------------------------------------- RouterOS


@pytest.fixture
def emu():
    with RouterOSEmulator() as emulator:
        yield emulator


@pytest.fixture
def router(emu):
    backend = RouterOSBackend(
        "127.0.0.1", port=emu.port, username=emu.username, password=emu.password, use_tls=False
    )
    yield backend
    backend.close()


def test_routeros_durations():
    assert ros_duration(3600) == "1h"
    assert ros_duration(8 * 86400 + 90) == "1w1d1m30s"
    assert ros_duration(0) == "0s"
    for text, seconds in (("1d", 86400), ("1w2d3h4m5s", 788645), ("01:30:00", 5400)):
        assert uptime_seconds(text) == seconds
    assert uptime_seconds("3600") == HOUR
    assert uptime_seconds("") == 0


def test_hotspot_user_gets_limit_uptime(emu, router):
    assert router.apply([time_pass("hs-a")]).created == ["hs-a"]
    assert emu.row("/ip/hotspot/user", "hs-a")["limit-uptime"] == "1h"
    assert router.read_state()["hs-a"].uptime_limit_s == HOUR
    assert not router.apply([time_pass("hs-a")]).changed
    # the router prints 24h as 1d: the same limit, nothing to write
    router.apply([time_pass("hs-a", 86400)])
    assert emu.row("/ip/hotspot/user", "hs-a")["limit-uptime"] == "1d"
    assert not router.apply([time_pass("hs-a", 86400)]).changed
    # no limit: the field is unset
    router.apply([time_pass("hs-a", 0)])
    assert "limit-uptime" not in emu.row("/ip/hotspot/user", "hs-a")


def test_router_ends_the_session_at_the_limit_and_refuses_after(emu, router):
    router.apply([time_pass("hs-b")])
    emu.connect_session("hs-b")
    emu.advance(50 * 60)
    assert emu.sessions() == ["hs-b"]
    emu.advance(15 * 60)
    assert emu.sessions() == []
    assert emu.row("/ip/hotspot/user", "hs-b")["uptime"] == "1h"
    with pytest.raises(ValueError, match="reached uptime limit"):
        emu.connect_session("hs-b")
    # a second pass raises the total: the login gets the new hour
    router.apply([time_pass("hs-b", 2 * HOUR)])
    emu.connect_session("hs-b")
    assert emu.sessions() == ["hs-b"]


def test_first_login_read_from_active_sessions(emu, router):
    router.apply([time_pass("hs-c"), time_pass("hs-d")])
    since = utcnow() - datetime.timedelta(hours=2)
    emu.connect_session("hs-c")
    emu.advance(600)
    starts = router.first_logins({"hs-c": since, "hs-d": since})
    assert set(starts) == {"hs-c"}
    assert abs((utcnow() - starts["hs-c"]).total_seconds() - 600) < 5
    # a session older than the pass counts from the pass
    recent = utcnow() - datetime.timedelta(seconds=60)
    assert router.first_logins({"hs-c": recent})["hs-c"] == recent


def test_pppoe_login_cannot_take_a_time_limit(router):
    state = ServiceState("pp-a", "pw", "pppoe", PASS, uptime_limit_s=HOUR)
    with pytest.raises(BackendError, match="no total online-time limit"):
        router.apply([state])


def test_emulator_refuses_a_bad_duration(emu, router):
    router.apply([time_pass("hs-e")])
    row = emu.row("/ip/hotspot/user", "hs-e")
    with pytest.raises(BackendError, match="not a time interval"), router._session("set") as api:
        router._set(api, "/ip/hotspot/user", row[".id"], {"limit-uptime": "soon"})
