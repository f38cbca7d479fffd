"""DHCP (IPoE) services on RouterOS: static leases by CPE MAC, against the emulator."""

import pytest
from routeros_emulator import RouterOSEmulator
from test_routeros_adapter import (
    ADDRESSES,
    BULK_PRINTS,
    P10,
    P20,
    ROUTER_PASSWORD,
    SECRETS,
    make_backend,
    pppoe,
    writes,
)
from wisp_network_adapters.base import BackendError, ServiceState, Usage

LEASES = "/ip/dhcp-server/lease"
MAC_A = "AA:BB:CC:00:00:01"
MAC_B = "AA:BB:CC:00:00:02"


def dhcp(mac, address, profile=P10, **kw):
    return ServiceState(mac, "", "dhcp", profile, remote_address=address, mac=mac, **kw)


@pytest.fixture
def emu():
    with RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD) as emulator:
        yield emulator


@pytest.fixture
def backend(emu):
    with make_backend(emu) as router:
        yield router


def lease(emu, mac):
    return emu.row(LEASES, mac_address=mac)


def test_lease_carries_address_rate_and_marker(emu, backend):
    report = backend.apply([dhcp(MAC_A, "10.9.0.2", comment="SO7 Zoë"), pppoe("alice")])
    assert sorted(report.created) == [MAC_A, "alice"]
    row = lease(emu, MAC_A)
    assert row["address"] == "10.9.0.2"
    assert row["rate-limit"] == "2000k/10000k"
    assert row["server"] == "all"
    assert row["address-lists"] == ""
    assert row["comment"] == "wisp:SO7 Zoë"
    assert row["disabled"] == "false"
    # No profile for a lease: the plan's rate is on the lease itself.
    assert [p["name"] for p in emu.table("/ppp/profile") if p["name"].startswith("wisp-")] == [
        "wisp-10M"
    ]
    state = backend.read_state()[MAC_A]
    assert (state.kind, state.mac, state.remote_address, state.comment) == (
        "dhcp",
        MAC_A,
        "10.9.0.2",
        "SO7 Zoë",
    )
    assert state.profile.rate_limit == P10.rate_limit
    assert state.restricted is False


def test_unchanged_reapply_writes_nothing(emu, backend):
    desired = [dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3", P20, restricted=True)]
    backend.apply(desired)
    emu.reset_stats()
    assert not backend.apply(desired).changed
    assert emu.writes() == []
    assert emu.round_trips == BULK_PRINTS
    assert not backend.apply(desired, logins={MAC_B}).changed
    assert emu.writes() == []


def test_restricted_lease_joins_the_restricted_list(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2")])
    emu.bind_lease(MAC_A)
    assert emu.table(ADDRESSES) == []

    report = backend.apply([dhcp(MAC_A, "10.9.0.2", restricted=True)], logins={MAC_A})
    assert report.updated == [MAC_A]
    row = lease(emu, MAC_A)
    assert row["address-lists"] == "wisp-restricted"
    assert row["rate-limit"] == "2000k/10000k"  # the walled garden restricts, not the speed
    # Restricted at once through the static entry, before the client renews ...
    assert [(e["list"], e["address"], e["comment"]) for e in emu.table(ADDRESSES)] == [
        ("wisp-restricted", "10.9.0.2", f"wisp:{MAC_A}")
    ]
    # ... and RouterOS lists the address itself when the lease binds again.
    emu.delete(ADDRESSES, emu.table(ADDRESSES)[0][".id"])
    emu.bind_lease(MAC_A)
    assert [(e["address"], e["dynamic"]) for e in emu.table(ADDRESSES)] == [("10.9.0.2", "true")]
    assert backend.read_state()[MAC_A].restricted is True

    backend.apply([dhcp(MAC_A, "10.9.0.2")])
    assert lease(emu, MAC_A)["address-lists"] == ""
    assert [e for e in emu.table(ADDRESSES) if e["dynamic"] == "false"] == []


def test_speed_change_sets_the_lease_rate_only(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3")])
    emu.reset_stats()
    report = backend.apply([dhcp(MAC_A, "10.9.0.2", P20)], logins={MAC_A})
    assert report.updated == [MAC_A]
    assert lease(emu, MAC_A)["rate-limit"] == P20.rate_limit
    assert writes(emu) == [f"{LEASES}/set"]


def test_terminated_service_loses_its_lease(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2", restricted=True), dhcp(MAC_B, "10.9.0.3")])
    emu.bind_lease(MAC_A)
    report = backend.apply([], logins={MAC_A})
    assert report.removed == [MAC_A]
    assert [row["mac-address"] for row in emu.table(LEASES)] == [MAC_B]
    assert emu.table(ADDRESSES) == []  # static entry removed, dynamic gone with the lease
    assert backend.apply([]).removed == [MAC_B]
    assert emu.table(LEASES) == []


def test_drift_on_a_lease_is_repaired(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2")])
    emu.edit(LEASES, lease(emu, MAC_A)[".id"], rate_limit="100M/100M", server="dhcp1")
    report = backend.apply([dhcp(MAC_A, "10.9.0.2")])
    assert report.updated == [MAC_A]
    row = lease(emu, MAC_A)
    assert (row["rate-limit"], row["server"]) == ("2000k/10000k", "all")


def test_hand_made_and_dynamic_leases(emu, backend):
    emu.insert(LEASES, mac_address="02:00:00:00:00:09", address="10.9.0.9", comment="printer")
    # The server's own lease of a client that got a pool address before its service ran.
    emu.insert(LEASES, mac_address=MAC_B, address="10.9.9.77", server="dhcp1", dynamic="true")
    emu.insert(LEASES, mac_address=MAC_A, address="10.9.0.5", comment="set up by hand")
    before = emu.table(LEASES)

    with pytest.raises(BackendError) as info:
        backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3")])
    assert info.value.transient is False
    assert MAC_A in str(info.value)
    assert info.value.report.created == [MAC_B]  # the dynamic lease is not in the way
    assert [
        row for row in emu.table(LEASES) if row["mac-address"] != MAC_B or row["dynamic"] == "true"
    ] == before
    # Adopted by its marker, the hand-made lease becomes the service's.
    emu.edit(LEASES, lease(emu, MAC_A)[".id"], comment="wisp:")
    assert backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3")]).updated == [MAC_A]
    assert lease(emu, MAC_A)["address"] == "10.9.0.2"
    # A reconcile removes managed leases only.
    backend.apply([])
    assert sorted(row["mac-address"] for row in emu.table(LEASES)) == [
        "02:00:00:00:00:09",
        MAC_B,
    ]


@pytest.mark.parametrize(
    ("state", "fragment"),
    [
        (dhcp(MAC_A, ""), "has no address"),
        (ServiceState("aa-bb", "", "dhcp", P10, remote_address="10.9.0.2", mac="aa-bb"), "MAC"),
        (ServiceState("alice", "", "dhcp", P10, remote_address="10.9.0.2", mac=MAC_A), "MAC"),
        (dhcp(MAC_A.lower(), "10.9.0.2"), "AA:BB:CC:DD:EE:FF"),
    ],
)
def test_bad_dhcp_states_are_refused_before_any_write(emu, backend, state, fragment):
    with pytest.raises(BackendError) as info:
        backend.apply([state, pppoe("alice2")])
    assert info.value.transient is False
    assert fragment in str(info.value)
    assert emu.writes() == []


def test_same_mac_twice_is_refused(backend):
    with pytest.raises(BackendError, match="desired twice"):
        backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_A, "10.9.0.3")])


def test_kind_switch_from_pppoe_to_dhcp(emu, backend):
    backend.apply([pppoe("alice", remote_address="10.9.0.2")])
    emu.connect_session("alice")
    report = backend.apply([dhcp(MAC_A, "10.9.0.2")], logins={"alice", MAC_A})
    assert (report.created, report.removed) == ([MAC_A], ["alice"])
    assert emu.row(SECRETS, "alice") is None
    assert emu.sessions() == []
    assert lease(emu, MAC_A)["address"] == "10.9.0.2"


def test_leases_on_routeros_7_18():
    with (
        RouterOSEmulator(username="wisp", password=ROUTER_PASSWORD, version="7.18.2") as emu,
        make_backend(emu) as router,
    ):
        assert router.apply([dhcp(MAC_A, "10.9.0.2")]).created == [MAC_A]
        assert not router.apply([dhcp(MAC_A, "10.9.0.2")]).changed
        assert router.apply([]).removed == [MAC_A]
        assert router.read_state() == {}


def test_emulator_lease_menu_checks_the_mac(emu, backend):
    with (
        pytest.raises(BackendError, match="invalid value for argument mac-address"),
        backend._session("add") as api,
    ):
        backend._run(api, f"{LEASES}/add", "=mac-address=zz", "=address=10.0.0.1")
    with backend._session("add") as api:
        backend._run(api, f"{LEASES}/add", "=mac-address=aa:bb:cc:00:00:07", "=address=10.0.0.7")
    assert lease(emu, "AA:BB:CC:00:00:07")["status"] == "waiting"


# ------------------------------------------------------- live sessions and usage


def test_bound_lease_is_an_online_session_with_its_queue_bytes(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3"), pppoe("alice")])
    emu.bind_lease(MAC_A, host_name="cpe-a")
    emu.connect_session("alice", address="10.7.0.2")
    emu.add_traffic(MAC_A, upload=700, download=90000)
    emu.add_traffic("alice", upload=1, download=2)
    queue = emu.row("/queue/simple", target="10.9.0.2/32")
    assert queue["dynamic"] == "true" and queue["name"] == f"dhcp-ds<cpe-a/{MAC_A}>"

    sessions = {s.login: s for s in backend.read_sessions()}
    assert set(sessions) == {MAC_A, "alice"}  # MAC_B's lease is waiting: offline
    session = sessions[MAC_A]
    assert (session.kind, session.address, session.mac, session.nas) == (
        "dhcp",
        "10.9.0.2",
        MAC_A,
        "127.0.0.1",
    )
    assert (session.upload_bytes, session.download_bytes) == (700, 90000)
    assert session.session_id == queue[".id"]  # a new queue, a new id, at each binding
    # the router does not say when a lease was bound: the caller counts from its read
    assert session.started is None
    assert (sessions["alice"].upload_bytes, sessions["alice"].download_bytes) == (1, 2)
    # the live form's read: by MAC, the same prints
    emu.reset_stats()
    assert [s.login for s in backend.read_sessions({MAC_A, MAC_B})] == [MAC_A]
    assert [command for command, _args in emu.log] == [
        "/ppp/active/print",
        "/ip/hotspot/active/print",
        f"{LEASES}/print",
        "/queue/simple/print",
    ]


def test_waiting_offered_and_unmanaged_leases_are_not_sessions(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3")])
    emu.bind_lease(MAC_A)
    emu.edit(LEASES, lease(emu, MAC_B)[".id"], status="offered", active_address="10.9.0.3")
    # a hand-made static lease and a dynamic one, both bound, with their queues
    emu.insert(LEASES, mac_address="02:00:00:00:00:09", address="10.9.0.9", comment="printer")
    emu.insert(
        LEASES, mac_address="02:00:00:00:00:0A", address="10.9.9.7", dynamic="true", server="dhcp1"
    )
    for mac in ("02:00:00:00:00:09", "02:00:00:00:00:0A"):
        emu.edit(LEASES, lease(emu, mac)[".id"], rate_limit="1M/1M")
        emu.bind_lease(mac)
        emu.add_traffic(mac, upload=5, download=5)
    assert [s.login for s in backend.read_sessions()] == [MAC_A]
    assert backend.read_usage() == [Usage(MAC_A, download_bytes=0, upload_bytes=0)]
    assert backend.read_sessions({"02:00:00:00:00:09", "02:00:00:00:00:0A"}) == []

    # the CPE goes away: the lease is waiting again, its queue gone
    emu.expire_lease(MAC_A)
    assert lease(emu, MAC_A)["status"] == "waiting"
    assert emu.row("/queue/simple", target="10.9.0.2/32") is None
    assert backend.read_sessions() == []


def test_dhcp_usage_is_counted_for_the_lease_mac(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2"), dhcp(MAC_B, "10.9.0.3"), pppoe("alice")])
    emu.bind_lease(MAC_A)
    emu.bind_lease(MAC_B)
    emu.connect_session("alice")
    emu.add_traffic(MAC_A, upload=300, download=4000)
    emu.add_traffic("alice", upload=1, download=2)
    # a hand-made static queue of the same address is not the lease's
    emu.insert("/queue/simple", name="cpe-a", target="10.9.0.2/32", bytes="9/9")
    # RouterOS 7 joins a DHCPv6 binding of the same client into the queue's target
    queue_b = emu.row("/queue/simple", target="10.9.0.3/32")
    emu.edit("/queue/simple", queue_b[".id"], target="10.9.0.3/32,2001:db8:1::/64", bytes="5/6")
    assert backend.read_usage() == [
        Usage(MAC_A, download_bytes=4000, upload_bytes=300),
        Usage(MAC_B, download_bytes=6, upload_bytes=5),
        Usage("alice", download_bytes=2, upload_bytes=1),
    ]
    # a new binding is a new queue: the counters restart, as a PPP session's do
    emu.expire_lease(MAC_A)
    emu.bind_lease(MAC_A)
    assert backend.read_usage()[0] == Usage(MAC_A, download_bytes=0, upload_bytes=0)


def test_disconnecting_a_dhcp_service_keeps_its_lease(emu, backend):
    backend.apply([dhcp(MAC_A, "10.9.0.2", restricted=True)])
    emu.bind_lease(MAC_A)
    before = emu.table(LEASES)
    # no session to drop: the lease is the service's configuration, not a session
    assert backend.disconnect(MAC_A) is False
    assert emu.table(LEASES) == before
    assert writes(emu) == [f"{LEASES}/add", f"{ADDRESSES}/add"]
    assert [s.login for s in backend.read_sessions()] == [MAC_A]
