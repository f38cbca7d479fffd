"""DHCP (IPoE) MAC authentication through FreeRADIUS: the real radiusd answers
Access-Requests shaped like RouterOS's DHCP server's (User-Name = the MAC)."""

import pytest
import test_radius_adapter as common
from test_radius_adapter import HOME, RESTRICTED_RATE, execute, rows, service
from wisp_network_adapters.base import BackendError, ServiceState

# The RADIUS suite's fixtures (the database and radiusd come from conftest.py)
coa, backend = common.coa, common.backend
TABLES = common.TABLES
MAC = "AA:BB:CC:00:00:01"


def dhcp(mac, address="100.64.5.2", profile=HOME, **kwargs):
    return ServiceState(
        login=mac,
        password="",
        kind="dhcp",
        profile=profile,
        remote_address=address,
        mac=mac,
        **kwargs,
    )


def test_mac_is_accepted_with_rate_and_address(radiusd, backend, db):
    report = backend.apply([dhcp(MAC), service("alice")])
    assert sorted(report.created) == [MAC, "alice"]
    accepted, reply = radiusd.authenticate_dhcp(MAC)
    assert accepted
    assert reply["Mikrotik-Rate-Limit"] == ["5000k/10000k"]
    assert reply["Framed-IP-Address"] == ["100.64.5.2"]
    assert "Mikrotik-Address-List" not in reply
    assert [r[3] for r in rows(db, "radusergroup", "username = %s", (MAC,))] == ["wisp-dhcp"]
    state = backend.read_state()[MAC]
    assert (state.kind, state.mac, state.password, state.remote_address) == (
        "dhcp",
        MAC,
        "",
        "100.64.5.2",
    )
    # An unknown MAC gets nothing.
    assert not radiusd.authenticate_dhcp("AA:BB:CC:00:00:99")[0]


def test_the_mac_is_no_ppp_login(radiusd, backend):
    backend.apply([dhcp(MAC)])
    # Typed into a PPPoE dialer (Service-Type Framed-User), with any password.
    assert not radiusd.authenticate(MAC, "")[0]
    assert not radiusd.authenticate(MAC, "guess")[0]
    assert radiusd.authenticate_dhcp(MAC)[0]


def test_restricted_mac_goes_to_the_captive_list(radiusd, backend):
    backend.apply([dhcp(MAC, restricted=True)])
    accepted, reply = radiusd.authenticate_dhcp(MAC)
    assert accepted
    assert reply["Mikrotik-Address-List"] == ["wisp-restricted"]
    assert reply["Mikrotik-Rate-Limit"] == [RESTRICTED_RATE]
    assert backend.read_state()[MAC].restricted

    assert backend.apply([dhcp(MAC)], logins={MAC}).updated == [MAC]
    accepted, reply = radiusd.authenticate_dhcp(MAC)
    assert accepted
    assert "Mikrotik-Address-List" not in reply


def test_terminated_mac_is_rejected(radiusd, backend, db):
    backend.apply([dhcp(MAC), dhcp("AA:BB:CC:00:00:02", "100.64.5.3")])
    assert backend.apply([], logins={MAC}).removed == [MAC]
    for table in ("radcheck", "radreply", "radusergroup"):
        assert rows(db, table, "username = %s", (MAC,)) == []
    assert not radiusd.authenticate_dhcp(MAC)[0]
    assert radiusd.authenticate_dhcp("AA:BB:CC:00:00:02")[0]


def test_unchanged_reapply_writes_nothing(backend, db):
    desired = [dhcp(MAC, restricted=True), service("alice")]
    backend.apply(desired)
    before = {table: rows(db, table) for table in ("radcheck", "radreply", "radusergroup")}
    assert not backend.apply(desired).changed
    assert {table: rows(db, table) for table in before} == before


def test_operator_check_rows_of_a_ppp_login_stay(radiusd, backend, db):
    """A DHCP login's Auth-Type row is the suite's; the same attribute on a PPPoE
    login is an operator's (here: a manual block) and survives apply."""
    backend.apply([service("alice")])
    execute(
        db,
        "INSERT INTO radcheck (username, attribute, op, value) "
        "VALUES ('alice', 'Auth-Type', ':=', 'Reject')",
    )
    assert not backend.apply([service("alice")]).changed
    assert not radiusd.authenticate("alice", "pw-alice-S3cr3t")[0]


@pytest.mark.parametrize(
    ("state", "fragment"),
    [
        (dhcp(MAC, address=""), "has no address"),
        (dhcp("aa:bb:cc:00:00:01"), "AA:BB:CC:DD:EE:FF"),
        (
            ServiceState("alice", "", "dhcp", HOME, remote_address="100.64.5.2", mac=MAC),
            "must be its CPE MAC",
        ),
    ],
)
def test_bad_dhcp_states_are_refused(backend, db, state, fragment):
    with pytest.raises(BackendError) as info:
        backend.apply([state])
    assert info.value.transient is False
    assert fragment in str(info.value)
    assert rows(db, "radcheck") == []


def test_dhcp_accounting_is_a_dhcp_session_of_the_mac(radiusd, backend):
    backend.apply([dhcp(MAC), service("alice")])
    # RouterOS's DHCP server accounts a lease under the MAC it authenticated
    assert radiusd.account("Start", MAC, "d-1", Framed_IP_Address="100.64.5.2")
    assert radiusd.account("Interim-Update", MAC, "d-1", 300, 4_000, Framed_IP_Address="100.64.5.2")
    (session,) = backend.read_sessions({MAC})
    assert (session.login, session.kind, session.session_id) == (MAC, "dhcp", "d-1")
    assert (session.address, session.upload_bytes, session.download_bytes) == (
        "100.64.5.2",
        300,
        4_000,
    )
    assert [u.login for u in backend.read_usage()] == [MAC]
