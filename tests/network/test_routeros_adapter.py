"""RouterOSBackend against the emulated router, through the real librouteros client."""

import logging
import socket
import time

import pytest
from routeros_emulator import RouterOSEmulator, _Reader, encode_sentence
from wisp_network_adapters.base import BackendError, ServiceState, SpeedProfile, Usage
from wisp_network_adapters.rate_limit import parse_rate_limit
from wisp_network_adapters.routeros import RouterOSBackend, parse_ms

ROUTER_PASSWORD = "R0uter-Api-Pw!"
P10 = SpeedProfile("10M", download_kbps=10000, upload_kbps=2000)
P20 = SpeedProfile(
    "20M",
    download_kbps=20000,
    upload_kbps=5000,
    burst_download_kbps=30000,
    burst_upload_kbps=8000,
)
SECRETS = "/ppp/secret"
USERS = "/ip/hotspot/user"
ADDRESSES = "/ip/firewall/address-list"
BULK_PRINTS = 6  # profiles x2, secrets, hotspot users, DHCP leases, address-list


def pppoe(login, profile=P10, **kw):
    return ServiceState(login, f"pw-{login}-9x", "pppoe", profile, **kw)


def hotspot(login, profile=P10, **kw):
    return ServiceState(login, f"pw-{login}-9x", "hotspot", profile, **kw)


@pytest.fixture
def emu():
    with RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD) as emulator:
        yield emulator


def make_backend(emu, **kw):
    options = {
        "port": emu.port,
        "username": "wisp",
        "password": ROUTER_PASSWORD,
        "use_tls": False,
        "timeout": 2,
    }
    options.update(kw)
    return RouterOSBackend("127.0.0.1", **options)


@pytest.fixture
def backend(emu):
    with make_backend(emu) as router:
        yield router


def writes(emu):
    return [command for command, _args in emu.writes()]


# ------------------------------------------------------------ provisioning


def test_create_pppoe_and_hotspot(emu, backend):
    desired = [pppoe("alice", comment="SO042 Zoë"), hotspot("bob", P20)]
    report = backend.apply(desired)
    assert sorted(report.created) == ["alice", "bob"]
    assert not report.updated
    assert not report.removed

    secret = emu.row(SECRETS, "alice")
    assert secret["password"] == "pw-alice-9x"
    assert secret["service"] == "pppoe"
    assert secret["profile"] == "wisp-10M"
    assert secret["comment"] == "wisp:SO042 Zoë"
    assert secret["disabled"] == "false"
    assert emu.row("/ppp/profile", "wisp-10M")["rate-limit"] == "2000k/10000k"
    user = emu.row(USERS, "bob")
    assert (user["profile"], user["password"]) == ("wisp-20M", "pw-bob-9x")
    assert emu.row("/ip/hotspot/user/profile", "wisp-20M")["rate-limit"] == P20.rate_limit

    assert backend.read_state() == {s.login: s for s in desired}


def test_static_address_and_delegated_ipv6_prefix_on_the_ppp_secret(emu, backend):
    """The pools' address and IPv6 prefix are the secret's remote-address and
    remote-ipv6-prefix; a hotspot user has no prefix field and gets the address only."""
    desired = [
        pppoe("alice", remote_address="100.64.0.10", ipv6_prefix="2001:db8:100::/56"),
        hotspot("bob", remote_address="100.64.0.11"),
    ]
    backend.apply(desired)
    secret = emu.row(SECRETS, "alice")
    assert secret["remote-address"] == "100.64.0.10"
    assert secret["remote-ipv6-prefix"] == "2001:db8:100::/56"
    assert "remote-ipv6-prefix" not in emu.row(USERS, "bob")
    assert backend.read_state() == {s.login: s for s in desired}
    assert not backend.apply(desired).changed

    backend.apply([pppoe("alice", remote_address="100.64.0.10"), desired[1]])
    assert not emu.row(SECRETS, "alice").get("remote-ipv6-prefix")


def test_second_apply_writes_nothing(emu, backend):
    desired = [
        pppoe("alice"),
        hotspot("bob", restricted=True, remote_address="10.5.0.2"),
        pppoe("carol", P20, remote_address="10.5.0.3"),
    ]
    assert backend.apply(desired).changed
    emu.reset_stats()
    report = backend.apply(desired)
    assert not report.changed
    assert emu.writes() == []
    assert emu.round_trips == BULK_PRINTS  # the connection is reused: no new login
    assert backend.apply(desired, logins={"alice", "bob"}).changed is False
    assert emu.writes() == []


def test_speed_change_updates_profile_and_kicks_session(emu, backend):
    backend.apply([pppoe("alice"), pppoe("bob")])
    emu.connect_session("alice")
    emu.connect_session("bob")
    emu.reset_stats()

    report = backend.apply([pppoe("alice", P20)], logins={"alice"})
    assert report.updated == ["alice"]
    assert emu.row(SECRETS, "alice")["profile"] == "wisp-20M"
    assert emu.row("/ppp/profile", "wisp-20M")["rate-limit"] == P20.rate_limit
    assert emu.sessions() == ["bob"]  # alice reconnects into her new speed
    assert writes(emu) == ["/ppp/profile/add", "/ppp/secret/set", "/ppp/active/remove"]

    # The plan itself gets faster: the shared profile is edited in place and
    # the sessions on it are kicked.
    emu.connect_session("alice")
    faster = SpeedProfile("10M", download_kbps=15000, upload_kbps=3000)
    report = backend.apply([pppoe("alice", P20), pppoe("bob", faster)])
    assert report.updated == ["bob"]
    assert emu.row("/ppp/profile", "wisp-10M")["rate-limit"] == "3000k/15000k"
    assert emu.sessions() == ["alice"]


def test_restrict_and_unrestrict_pppoe(emu, backend):
    backend.apply([pppoe("alice", remote_address="10.7.0.9"), pppoe("bob")])
    emu.connect_session("alice")
    emu.connect_session("bob", address="10.7.0.20")

    report = backend.apply(
        [
            pppoe("alice", remote_address="10.7.0.9", restricted=True),
            pppoe("bob", restricted=True),
        ]
    )
    assert report.updated == ["alice", "bob"]
    assert emu.sessions() == []
    twin = emu.row("/ppp/profile", "wisp-10M-restricted")
    assert (twin["rate-limit"], twin["address-list"]) == ("2000k/10000k", "wisp-restricted")
    assert emu.row(SECRETS, "bob")["profile"] == "wisp-10M-restricted"
    # A static entry for the known address, ...
    assert [(e["address"], e["comment"]) for e in emu.table(ADDRESSES)] == [
        ("10.7.0.9", "wisp:alice"),
    ]
    # ... and the router lists the dynamic address itself when bob reconnects.
    emu.connect_session("bob", address="10.7.0.21")
    assert {e["address"] for e in emu.table(ADDRESSES) if e["list"] == "wisp-restricted"} == {
        "10.7.0.9",
        "10.7.0.21",
    }
    assert backend.read_state()["bob"].restricted is True

    report = backend.apply([pppoe("alice", remote_address="10.7.0.9"), pppoe("bob")])
    assert report.updated == ["alice", "bob"]
    assert emu.row(SECRETS, "bob")["profile"] == "wisp-10M"
    assert emu.table(ADDRESSES) == []  # static removed, dynamic gone with the session
    assert emu.sessions() == []


def test_restrict_hotspot(emu, backend):
    backend.apply([hotspot("hana")])
    emu.connect_session("hana", address="10.8.0.5")
    backend.apply([hotspot("hana", restricted=True)])
    assert emu.row(USERS, "hana")["profile"] == "wisp-10M-restricted"
    assert emu.row("/ip/hotspot/user/profile", "wisp-10M-restricted")["address-list"] == (
        "wisp-restricted"
    )
    assert emu.sessions() == []


def test_terminated_service_leaves_nothing(emu, backend):
    backend.apply(
        [
            pppoe("alice", restricted=True, remote_address="10.7.0.9"),
            hotspot("bob"),
            pppoe("carol"),
        ]
    )
    emu.connect_session("alice")
    emu.connect_session("bob")
    report = backend.apply([pppoe("carol")])
    assert report.removed == ["alice", "bob"]
    assert [row["name"] for row in emu.table(SECRETS)] == ["carol"]
    assert emu.table(USERS) == []
    assert emu.table(ADDRESSES) == []
    assert emu.sessions() == []
    assert emu.table("/queue/simple") == []


def test_logins_scope_only_touches_those_logins(emu, backend):
    backend.apply([pppoe("alice"), pppoe("bob")])
    report = backend.apply([], logins={"bob"})
    assert report.removed == ["bob"]
    assert [row["name"] for row in emu.table(SECRETS)] == ["alice"]
    # Desired services outside the scope are ignored, not created.
    report = backend.apply([pppoe("alice"), pppoe("dave")], logins={"alice"})
    assert not report.changed
    assert emu.row(SECRETS, "dave") is None
    assert backend.apply([pppoe("x")], logins=set()).changed is False


def test_kind_switch_moves_the_login(emu, backend):
    backend.apply([pppoe("alice")])
    emu.connect_session("alice")
    report = backend.apply([hotspot("alice")])
    assert report.updated == ["alice"]
    assert emu.row(SECRETS, "alice") is None
    assert emu.row(USERS, "alice")["profile"] == "wisp-10M"
    assert emu.sessions() == []


# --------------------------------------------------------------- drift


def test_drift_repair_changes_only_the_drifted_entries(emu, backend):
    desired = [pppoe(f"user{i}") for i in range(10)] + [
        hotspot("hana", restricted=True, remote_address="10.9.9.9"),
    ]
    backend.apply(desired)
    emu.delete(SECRETS, "user3")
    emu.edit(SECRETS, "user5", password="hacked", disabled="yes")
    emu.edit("/ppp/profile", "wisp-10M", rate_limit="50M/50M")
    emu.delete(ADDRESSES, emu.row(ADDRESSES, address="10.9.9.9")[".id"])
    emu.edit(USERS, "hana", comment="wisp:edited by hand")
    emu.reset_stats()

    report = backend.apply(desired)

    assert report.created == ["user3"]
    assert report.updated == ["hana"] + [f"user{i}" for i in range(10) if i != 3]
    assert sorted(writes(emu)) == sorted(
        [
            "/ppp/profile/set",
            "/ppp/secret/add",
            "/ppp/secret/set",
            "/ip/hotspot/user/set",
            "/ip/firewall/address-list/add",
        ]
    )
    assert emu.row(SECRETS, "user5")["password"] == "pw-user5-9x"
    assert emu.row(SECRETS, "user5")["disabled"] == "false"
    assert emu.row("/ppp/profile", "wisp-10M")["rate-limit"] == "2000k/10000k"
    assert emu.row(USERS, "hana")["comment"] == "wisp:"
    assert backend.read_state() == {s.login: s for s in desired}


def test_leftover_of_a_terminated_service_is_removed_by_reconcile(emu, backend):
    backend.apply([pppoe("alice")])
    emu.insert(SECRETS, name="ghost", password="x", profile="wisp-10M", comment="wisp:old")
    emu.insert(ADDRESSES, list="wisp-restricted", address="10.1.1.1", comment="wisp:ghost2")
    report = backend.apply([pppoe("alice")])
    assert report.removed == ["ghost", "ghost2"]
    assert emu.row(SECRETS, "ghost") is None
    assert emu.table(ADDRESSES) == []


def test_hand_made_entries_are_left_alone(emu, backend):
    emu.insert("/ppp/profile", name="office", rate_limit="100M/100M")
    emu.insert(SECRETS, name="office-vpn", password="x", profile="office")
    emu.insert(SECRETS, name="tech", password="y", comment="field engineer")
    emu.insert(USERS, name="guest", password="z")
    emu.insert(ADDRESSES, list="wisp-restricted", address="192.0.2.66", comment="abuse")
    emu.insert(ADDRESSES, list="blocklist", address="192.0.2.77", comment="wisp:alice")
    before = {menu: emu.table(menu) for menu in (SECRETS, USERS, ADDRESSES, "/ppp/profile")}

    backend.apply(
        [
            pppoe("alice", restricted=True, remote_address="10.0.0.1"),
            # Already listed by hand: restricted as it is, no second entry.
            pppoe("abuser", restricted=True, remote_address="192.0.2.66"),
        ]
    )
    emu.reset_stats()
    assert not backend.apply(
        [pppoe("abuser", restricted=True, remote_address="192.0.2.66")], logins={"abuser"}
    ).changed
    assert emu.writes() == []
    backend.apply([])

    for menu, rows in before.items():
        # The suite's plan profiles stay (shared, no subscriber data); all else is as before.
        after = (
            [row for row in emu.table(menu) if not row["name"].startswith("wisp-")]
            if (menu == "/ppp/profile")
            else emu.table(menu)
        )
        assert after == rows, menu


def test_desired_login_taken_by_hand_made_entry_is_a_conflict(emu, backend):
    emu.insert(SECRETS, name="alice", password="handmade")
    with pytest.raises(BackendError) as info:
        backend.apply([pppoe("alice"), pppoe("bob")])
    assert info.value.transient is False
    assert "alice" in str(info.value)
    assert "pw-alice-9x" not in str(info.value)
    assert info.value.report.created == ["bob"]
    assert emu.row(SECRETS, "alice")["password"] == "handmade"
    # An engineer adopts the entry by marking it; the next apply takes it over.
    emu.edit(SECRETS, "alice", comment="wisp:")
    assert backend.apply([pppoe("alice"), pppoe("bob")]).updated == ["alice"]
    assert emu.row(SECRETS, "alice")["password"] == "pw-alice-9x"


def test_duplicate_name_trap_from_a_concurrent_writer_is_absorbed(emu, backend):
    real_read = backend._read

    def read_then_race(api, scope):
        actual = real_read(api, scope)
        # Another job creates the same managed login between our read and our add.
        emu.insert(SECRETS, name="alice", password="old", comment="wisp:", profile="default")
        return actual

    backend._read = read_then_race
    report = backend.apply([pppoe("alice")])
    backend._read = real_read
    assert report.created == ["alice"]
    assert [c for c in emu.commands() if c.startswith(SECRETS)] == [
        "/ppp/secret/print",
        "/ppp/secret/add",
        "/ppp/secret/print",
        "/ppp/secret/set",
    ]
    assert emu.row(SECRETS, "alice")["password"] == "pw-alice-9x"
    assert len(emu.table(SECRETS)) == 1


def test_duplicate_name_trap_without_an_entry_is_not_transient(emu, backend):
    emu.trap_next("/ppp/secret/add", "failure: secret with the same name already exists")
    with pytest.raises(BackendError) as info:
        backend.apply([pppoe("alice")])
    assert info.value.transient is False
    assert "secret with the same name already exists" in str(info.value)
    # The trap left the connection usable: the retry works on it.
    assert backend.apply([pppoe("alice")]).created == ["alice"]


# ----------------------------------------------------------- bulk reads


def test_round_trips_do_not_grow_with_the_number_of_services(emu, backend):
    counts = {}
    for n in (5, 300):
        emu.reset()
        backend.close()
        desired = [pppoe(f"p{i}") for i in range(n)] + [
            hotspot(f"h{i}", P20, restricted=i % 2 == 0) for i in range(n)
        ]
        emu.reset_stats()
        backend.apply(desired)
        # login + prints + one add per profile (3: two plans, one restricted twin)
        # and one per login
        assert emu.round_trips == 1 + BULK_PRINTS + 3 + 2 * n
        emu.reset_stats()
        backend.apply(desired)
        counts[n] = emu.round_trips
        assert emu.writes() == []
    assert counts == {5: BULK_PRINTS, 300: BULK_PRINTS}


def test_small_scope_reads_with_a_name_query(emu, backend):
    backend.apply([pppoe(f"p{i}") for i in range(50)])
    emu.reset_stats()
    backend.apply([pppoe("p7", P20)], logins={"p7"})
    prints = [args for command, args in emu.log if command == "/ppp/secret/print"]
    assert len(prints) == 1


# ------------------------------------------------------- faults and TLS


def test_tls_connection_verified_against_the_router_ca():
    with RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD, tls=True) as emu:
        with make_backend(emu, use_tls=True, ca_file=emu.ca_file) as router:
            assert router.apply([pppoe("alice")]).created == ["alice"]
        with make_backend(emu, use_tls=True, ca_data=emu.cert_pem) as router:
            assert router.system_resource()["platform"] == "MikroTik"
        with make_backend(emu, use_tls=True, verify_tls=False) as router:
            assert "alice" in router.read_state()
        with make_backend(emu, use_tls=True) as router, pytest.raises(BackendError) as info:
            router.read_state()  # the system CAs do not know this router
        assert info.value.transient is False
        assert "certificate" in str(info.value)
        with make_backend(emu, use_tls=False) as router, pytest.raises(BackendError) as info:
            router.read_state()  # plain API words on the TLS port
        assert info.value.transient is True


def test_router_refusing_connections_is_transient_and_converges(emu, backend):
    emu.set_refuse(True)
    with pytest.raises(BackendError) as info:
        backend.apply([pppoe("alice")])
    assert info.value.transient is True
    assert "refused" in str(info.value)
    emu.set_refuse(False)
    assert backend.apply([pppoe("alice")]).created == ["alice"]


def test_router_not_answering_times_out_transient(emu):
    emu.faults.hang = True
    with make_backend(emu, timeout=0.5) as router:
        started = time.monotonic()
        with pytest.raises(BackendError) as info:
            router.read_state()
        elapsed = time.monotonic() - started
    assert info.value.transient is True
    assert "no answer within 0.5s" in str(info.value)
    assert elapsed < 1.5


def test_slow_router_within_and_beyond_the_timeout(emu):
    emu.faults.delay = 0.1
    with make_backend(emu, timeout=1) as router:
        assert router.apply([pppoe("alice")]).created == ["alice"]
    emu.faults.delay = 0.8
    with make_backend(emu, timeout=0.3) as router, pytest.raises(BackendError) as info:
        router.read_state()
    assert info.value.transient is True


def test_connection_lost_mid_apply_retries_without_doubling(emu, backend):
    desired = [pppoe(f"p{i}") for i in range(20)]
    emu.faults.drop_after = 13  # login + 6 prints + profile + 5 adds, then the cut
    with pytest.raises(BackendError) as info:
        backend.apply(desired)
    assert info.value.transient is True
    assert len(emu.table(SECRETS)) == 5
    report = backend.apply(desired)  # reconnects
    assert len(report.created) == 15
    assert sorted(row["name"] for row in emu.table(SECRETS)) == sorted(s.login for s in desired)


def test_bad_credentials_are_not_transient(emu):
    with make_backend(emu, password="wrong-Pw-123") as router, pytest.raises(BackendError) as info:
        router.apply([pppoe("alice")])
    assert info.value.transient is False
    assert "invalid user name or password" in str(info.value)
    assert "wrong-Pw-123" not in str(info.value)


def test_command_trap_is_not_transient(emu, backend):
    backend.apply([pppoe("alice")])
    emu.trap_next("/ppp/secret/set", "failure: not enough permissions (9)")
    with pytest.raises(BackendError) as info:
        backend.apply([pppoe("alice", P20)])
    assert info.value.transient is False
    assert "not enough permissions" in str(info.value)


def test_invalid_desired_state_is_rejected(backend):
    with pytest.raises(BackendError, match="twice"):
        backend.apply([pppoe("alice"), hotspot("alice")])
    with pytest.raises(BackendError, match="kind"):
        backend.apply([ServiceState("x", "y", "ipoe", P10)])
    other = SpeedProfile("10M", download_kbps=1, upload_kbps=1)
    with pytest.raises(BackendError, match="two different speeds"):
        backend.apply([pppoe("a"), pppoe("b", other)])


# ------------------------------------------------------------ operations


def test_disconnect(emu, backend):
    backend.apply([pppoe("alice"), hotspot("bob")])
    emu.connect_session("alice")
    emu.connect_session("bob")
    assert backend.disconnect("alice") is True
    assert backend.disconnect("bob") is True
    assert backend.disconnect("alice") is False
    assert emu.sessions() == []


def test_ping_reachable_and_unreachable(emu, backend):
    emu.set_host("10.0.0.5", rtt_ms=[2.5, 3.5])
    result = backend.ping("10.0.0.5", count=4)
    assert (result.sent, result.received, result.loss_pct) == (4, 4, 0.0)
    assert (result.min_ms, result.avg_ms, result.max_ms) == (2.5, 3.0, 3.5)

    emu.set_host("10.0.0.6", rtt_ms=1.25, lost={0, 2})
    result = backend.ping("10.0.0.6", count=4)
    assert (result.sent, result.received, result.loss_pct) == (4, 2, 50.0)
    assert result.avg_ms == 1.25

    result = backend.ping("10.0.0.99", count=3)
    assert (result.sent, result.received, result.loss_pct) == (3, 0, 100.0)
    assert result.max_ms == 0.0


def test_ping_on_routeros_6():
    with RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD, version="6.49.10") as emu:
        emu.set_host("10.0.0.5", rtt_ms=4.4)
        with make_backend(emu) as router:
            result = router.ping("10.0.0.5", count=2)
    assert (result.received, result.min_ms, result.max_ms) == (2, 4.0, 4.0)


def test_usage_from_dynamic_queues(emu, backend):
    backend.apply([pppoe("alice"), hotspot("bob")])
    emu.connect_session("alice")
    emu.connect_session("bob")
    emu.add_traffic("alice", upload=1000, download=50000)
    emu.add_traffic("bob", upload=7, download=9)
    emu.insert("/queue/simple", name="office", target="192.0.2.0/24", bytes="5/5")
    assert backend.read_usage() == [
        Usage("alice", download_bytes=50000, upload_bytes=1000),
        Usage("bob", download_bytes=9, upload_bytes=7),
    ]


def test_sessions_from_ppp_and_hotspot_active(emu, backend):
    backend.apply([pppoe("alice"), hotspot("bob"), pppoe("carol")])
    emu.connect_session("alice", address="10.7.0.2", mac="02:aa:00:00:00:01", uptime=3725)
    emu.connect_session("bob", address="10.8.0.9", mac="02:bb:00:00:00:02", uptime=61)
    emu.add_traffic("alice", upload=1000, download=50000)
    emu.add_traffic("bob", upload=7, download=9)
    emu.insert("/queue/simple", name="office", target="192.0.2.0/24", bytes="5/5")

    sessions = {s.login: s for s in backend.read_sessions()}
    assert set(sessions) == {"alice", "bob"}  # carol is offline
    alice, bob = sessions["alice"], sessions["bob"]
    assert (alice.kind, alice.address, alice.mac, alice.nas) == (
        "pppoe",
        "10.7.0.2",
        "02:AA:00:00:00:01",
        "127.0.0.1",
    )
    assert alice.session_id == emu.row("/ppp/active", name="alice")["session-id"]
    # PPP counters come from the session's dynamic queue
    assert (alice.upload_bytes, alice.download_bytes) == (1000, 50000)
    assert 3725 <= alice.uptime_seconds() <= 3735
    # hotspot active entries count bytes-in (from the client) and bytes-out themselves
    assert (bob.kind, bob.address, bob.mac) == ("hotspot", "10.8.0.9", "02:BB:00:00:00:02")
    assert (bob.upload_bytes, bob.download_bytes) == (7, 9)
    assert 61 <= bob.uptime_seconds() <= 70


def test_sessions_of_some_logins_read_in_one_print_per_menu(emu, backend):
    backend.apply([pppoe("alice"), hotspot("bob"), pppoe("carol")])
    for login in ("alice", "bob", "carol"):
        emu.connect_session(login)
    emu.reset_stats()
    sessions = backend.read_sessions({"alice", "bob"})
    assert sorted(s.login for s in sessions) == ["alice", "bob"]
    # one print per active menu, one of the DHCP leases, one of the sessions' queues
    assert [command for command, _args in emu.log] == [
        "/ppp/active/print",
        "/ip/hotspot/active/print",
        "/ip/dhcp-server/lease/print",
        "/queue/simple/print",
    ]
    assert backend.read_sessions(set()) == []


def test_sessions_of_an_unanswering_router_fail_fast(emu):
    emu.faults.hang = True
    with make_backend(emu, timeout=0.5) as router:
        started = time.monotonic()
        with pytest.raises(BackendError) as error:
            router.read_sessions({"alice"})
    assert error.value.transient
    assert time.monotonic() - started < 3
    assert ROUTER_PASSWORD not in str(error.value)


def test_health_from_system_resource(emu, backend):
    emu.cpu_load = 37
    resource = backend.system_resource()
    assert resource["cpu-load"] == "37"
    assert resource["board-name"] and resource["version"].startswith("7.16.2")
    assert parse_ms(resource["uptime"]) >= 0


def test_passwords_never_logged_nor_in_errors(emu, caplog):
    caplog.set_level(logging.DEBUG)
    desired = [pppoe("alice"), hotspot("bob")]
    with make_backend(emu) as router:
        router.apply(desired)
        router.apply([pppoe("alice", P20), hotspot("bob")])
        emu.trap_next("/ppp/secret/set", "invalid value for argument password: pw-alice-9x")
        with pytest.raises(BackendError) as trapped:
            router.apply([pppoe("alice", P10)])
    wrong = make_backend(emu, password="Wrong-" + ROUTER_PASSWORD)
    with wrong as router, pytest.raises(BackendError) as refused:
        router.read_state()
    assert "=password=***" in caplog.text  # librouteros's word log ran, redacted
    for secret in (ROUTER_PASSWORD, "pw-alice-9x", "pw-bob-9x"):
        assert secret not in caplog.text
        assert secret not in str(trapped.value)
        assert secret not in str(refused.value)
    assert ROUTER_PASSWORD not in repr(make_backend(emu))


def test_read_state_parses_the_router_profiles(emu, backend):
    desired = [pppoe("alice", P20, restricted=True, remote_address="10.0.0.2", comment="x")]
    backend.apply(desired)
    assert backend.read_state() == {"alice": desired[0]}


def test_parsers():
    assert parse_ms("3ms") == 3.0
    assert parse_ms("3ms250us") == 3.25
    assert parse_ms("412us") == 0.412
    assert parse_ms("1s5ms") == 1005.0
    assert parse_ms("") is None
    profile = parse_rate_limit("2M/10M 4M/20M 1500k/7500k 8/8", "x")
    assert profile == SpeedProfile(
        "x",
        download_kbps=10000,
        upload_kbps=2000,
        burst_download_kbps=20000,
        burst_upload_kbps=4000,
        burst_threshold_pct=75,
        burst_time_s=8,
    )
    assert parse_rate_limit(P20.rate_limit, "y") == SpeedProfile(
        "y", **{k: v for k, v in vars(P20).items() if k != "name"}
    )


def test_address_listed_by_a_live_session_is_not_added_twice(emu, backend):
    restricted = [pppoe("alice", restricted=True, remote_address="10.7.0.9")]
    backend.apply(restricted)
    emu.delete(ADDRESSES, emu.row(ADDRESSES, address="10.7.0.9")[".id"])
    emu.connect_session("alice")  # the restricted profile lists 10.7.0.9 dynamically
    emu.reset_stats()
    assert not backend.apply(restricted).changed
    assert emu.writes() == []
    emu.delete("/ppp/active", emu.row("/ppp/active", name="alice")[".id"])
    assert backend.apply(restricted).updated == ["alice"]  # the static entry is back
    assert emu.row(ADDRESSES, address="10.7.0.9")["comment"] == "wisp:alice"


# ---------------------------------------------- real-router conditions


def routeros(**options):
    return RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD, **options)


def test_empty_print_of_routeros_7_18_is_no_rows():
    with routeros(version="7.18.2") as emu, make_backend(emu) as router:
        assert router.read_state() == {}
        assert router.read_usage() == []
        assert router.disconnect("nobody") is False
        assert router.apply([hotspot("bob")]).created == ["bob"]
        assert not router.apply([hotspot("bob")]).changed
        assert router.read_state()["bob"] == hotspot("bob")
        assert router.apply([]).removed == ["bob"]
    # The emulator really answers !empty (a raw look at the wire).
    with (
        RouterOSEmulator(version="7.18.2") as emu,
        socket.create_connection(emu.address, timeout=2) as sock,
    ):
        for words in (["/login", "=name=admin", "=password=secret"], ["/ppp/secret/print"]):
            sock.sendall(encode_sentence(words))
        reader = _Reader(sock)
        assert reader.sentence() == ["!done"]
        assert reader.sentence() == ["!empty"]
        assert reader.sentence() == ["!done"]


def test_hotspot_default_address_is_not_drift():
    with routeros(hotspot_zero_address=True) as emu, make_backend(emu) as router:
        desired = [hotspot("bob"), hotspot("carol", remote_address="10.5.0.7")]
        assert sorted(router.apply(desired).created) == ["bob", "carol"]
        assert emu.row("/ip/hotspot/user", "bob")["address"] == "0.0.0.0"
        emu.reset_stats()
        assert not router.apply(desired).changed
        assert emu.writes() == []
        assert router.read_state()["bob"].remote_address == ""
        # Dropping carol's static address is still a change.
        assert router.apply([hotspot("bob"), hotspot("carol")]).updated == ["carol"]
        assert emu.row("/ip/hotspot/user", "carol")["address"] == "0.0.0.0"


def test_api_user_without_sensitive_policy(caplog):
    with routeros(sensitive=False) as emu, make_backend(emu) as router:
        with pytest.raises(BackendError) as info:
            router.check_connection()
        assert info.value.transient is False
        assert "'sensitive' policy" in str(info.value)
        assert "/user group set wisp-api policy=" in str(info.value)
        assert ROUTER_PASSWORD not in str(info.value)
        desired = [pppoe("alice"), hotspot("bob")]
        assert sorted(router.apply(desired).created) == ["alice", "bob"]
        assert emu.row("/ppp/secret", "alice")["password"] == "pw-alice-9x"
        # The router hides the passwords: a reconcile neither rewrites them nor
        # reports every login updated, and it says why.
        emu.reset_stats()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert not router.apply(desired).changed
        assert emu.writes() == []
        assert "'sensitive' policy" in caplog.text
        # What it can read it still repairs.
        emu.edit("/ppp/secret", "alice", disabled="yes")
        assert router.apply(desired).updated == ["alice"]
    with routeros() as emu, make_backend(emu) as router:
        assert router.check_connection()["platform"] == "MikroTik"


def test_api_ssl_without_certificate_is_a_permanent_error():
    with routeros(tls=True, tls_certificate=None) as emu:
        for options in ({}, {"verify_tls": False}):
            with (
                make_backend(emu, use_tls=True, **options) as router,
                pytest.raises(BackendError) as info,
            ):
                router.read_state()
            assert info.value.transient is False
            assert "no certificate" in str(info.value)
            assert "/ip service set api-ssl certificate=" in str(info.value)


def test_certificate_without_ip_subject_alt_name_names_the_fix():
    with routeros(tls=True, tls_certificate="cn-only") as emu:
        with (
            make_backend(emu, use_tls=True, ca_file=emu.ca_file) as router,
            pytest.raises(BackendError) as info,
        ):
            router.read_state()
        assert info.value.transient is False
        message = str(info.value)
        assert "does not name 127.0.0.1" in message
        assert "subject-alt-name=IP:127.0.0.1" in message
        assert "CA" not in message  # the CA is right; the name is what is missing
        with make_backend(emu, use_tls=True, verify_tls=False) as router:
            assert router.read_state() == {}
