"""The RouterOS API emulator speaks the wire protocol correctly.

Checked with raw sockets (our own encoder) and with the real librouteros
client, so the adapter tests rest on a faithful peer.
"""

import socket
import time

import librouteros
import pytest
from librouteros import protocol as ros_protocol
from librouteros.login import token as token_login
from routeros_emulator import (
    LOGIN_FAILED,
    ProtocolError,
    RouterOSEmulator,
    decode_length,
    decode_sentences,
    encode_length,
    encode_sentence,
    length_size,
    ros_duration,
)

# (length, its encoding): every boundary of the 1..5 byte forms.
LENGTHS = [
    (0, b"\x00"),
    (1, b"\x01"),
    (0x7F, b"\x7f"),
    (0x80, b"\x80\x80"),
    (0x3FFF, b"\xbf\xff"),
    (0x4000, b"\xc0\x40\x00"),
    (0x1FFFFF, b"\xdf\xff\xff"),
    (0x200000, b"\xe0\x20\x00\x00"),
    (0xFFFFFFF, b"\xef\xff\xff\xff"),
    (0x10000000, b"\xf0\x10\x00\x00\x00"),
    (0xFFFFFFFF, b"\xf0\xff\xff\xff\xff"),
]


@pytest.mark.parametrize(("length", "encoded"), LENGTHS)
def test_length_encoding_boundaries(length, encoded):
    assert encode_length(length) == encoded
    assert length_size(encoded[0]) == len(encoded)
    assert decode_length(encoded) == length
    if length < 0x10000000:  # librouteros stops at the 4-byte form
        assert ros_protocol.encode_length(length) == encoded
        assert ros_protocol.decode_length(encoded) == length


def test_length_encoding_limits():
    with pytest.raises(ValueError):
        encode_length(0x100000000)
    with pytest.raises(ValueError):
        encode_length(-1)
    with pytest.raises(ProtocolError):
        length_size(0xF8)  # reserved control byte
    with pytest.raises(ProtocolError):
        decode_length(b"\x80")  # truncated two-byte length


def test_decode_sentences_keeps_incomplete_tail():
    data = encode_sentence(["!done", "=ret=*1A"]) + encode_sentence(["!re", "=name=x"])
    sentences, rest = decode_sentences(data + data[:5])
    assert sentences == [["!done", "=ret=*1A"], ["!re", "=name=x"]]
    assert rest == data[:5]
    sentences, rest = decode_sentences(rest + data[5:])
    assert sentences == [["!done", "=ret=*1A"], ["!re", "=name=x"]]
    assert rest == b""


class RawClient:
    """A bare socket speaking API sentences, to see exactly what the server sends."""

    def __init__(self, emu):
        self.sock = socket.create_connection(emu.address, timeout=3)
        self.buffer = b""
        self.pending = []

    def send(self, *words):
        self.sock.sendall(encode_sentence(words))

    def read(self):
        while not self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            sentences, self.buffer = decode_sentences(self.buffer + chunk)
            self.pending.extend(sentences)
        return self.pending.pop(0)

    def call(self, *words):
        """Send and collect replies up to !done (or a !fatal)."""
        self.send(*words)
        replies = []
        while True:
            reply = self.read()
            replies.append(reply)
            if reply[0] in ("!done", "!fatal"):
                return replies

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def close(self):
        self.sock.close()


@pytest.fixture
def emu():
    with RouterOSEmulator(username="admin", password="s3cret-router") as emulator:
        yield emulator


@pytest.fixture
def raw(emu):
    client = RawClient(emu)
    assert client.call("/login", "=name=admin", "=password=s3cret-router") == [["!done"]]
    yield client
    client.close()


def test_plain_login_and_wrong_password(emu):
    client = RawClient(emu)
    replies = client.call("/login", "=name=admin", "=password=wrong")
    assert replies == [["!trap", f"=message={LOGIN_FAILED}"], ["!done"]]
    assert client.closed()  # RouterOS drops the connection after a failed login
    client.close()


def test_command_before_login_is_fatal(emu):
    client = RawClient(emu)
    assert client.call("/ppp/secret/print") == [["!fatal", "not logged in"]]
    assert client.closed()
    client.close()


def test_token_login_of_old_routeros(emu):
    api = librouteros.connect(
        "127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=3, login_method=token_login
    )
    assert list(api("/system/identity/print")) == [{"name": "MikroTik"}]
    api.close()


def test_tag_proplist_and_ids(raw):
    replies = raw.call("/ppp/profile/add", "=name=wisp-10M", "=rate-limit=1M/10M", ".tag=7")
    assert replies == [["!done", "=ret=*1A", ".tag=7"]]
    replies = raw.call("/ppp/profile/print", "=.proplist=.id,name", ".tag=8")
    assert replies == [
        ["!re", "=.id=*0", "=name=default", ".tag=8"],
        ["!re", "=.id=*FFFFFFFE", "=name=default-encryption", ".tag=8"],
        ["!re", "=.id=*1A", "=name=wisp-10M", ".tag=8"],
        ["!done", ".tag=8"],
    ]


def test_traps_for_duplicates_unknown_fields_and_items(raw):
    assert raw.call("/ppp/secret/add", "=name=a", "=password=x")[-1] == ["!done", "=ret=*1A"]
    assert raw.call("/ppp/secret/add", "=name=a") == [
        ["!trap", "=message=failure: secret with the same name already exists"],
        ["!done"],
    ]
    assert raw.call("/ppp/secret/add", "=name=b", "=speed=1")[0][0] == "!trap"
    assert raw.call("/ppp/secret/remove", "=.id=*99")[0] == ["!trap", "=message=no such item"]
    assert raw.call("/ppp/secret/add", "=name=c", "=profile=nope")[0][0] == "!trap"
    assert raw.call("/nope/print")[0][0] == "!trap"


def test_queries(raw):
    for name, comment in (("a", "wisp:1"), ("b", ""), ("c", "wisp:3")):
        words = ["/ppp/secret/add", f"=name={name}"] + ([f"=comment={comment}"] if comment else [])
        raw.call(*words)

    def names(*query):
        replies = raw.call("/ppp/secret/print", "=.proplist=name", *query)
        return [reply[1].split("=", 2)[2] for reply in replies if reply[0] == "!re"]

    assert names("?name=a") == ["a"]
    assert names("?=name=b") == ["b"]
    assert names("?comment") == ["a", "c"]
    assert names("?-comment") == ["b"]
    assert names("?=name=a", "?=name=c", "?#|") == ["a", "c"]
    assert names("?=name=a", "?#!") == ["b", "c"]
    assert names("?comment", "?=name=c", "?#!", "?#&") == ["a"]
    assert names("?>name=a") == ["b", "c"]
    assert names("?<name=b") == ["a"]
    count = raw.call("/ppp/secret/print", "=count-only=")
    assert count == [["!done", "=ret=3"]]


def test_long_words_round_trip_through_librouteros(emu):
    api = librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=5)
    secrets = api.path("/ppp/secret")
    for size in (0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000):
        comment = "x" * (size - len("=comment="))  # the word, not the value, has the size
        secrets.add(name=f"s{size}", comment=comment)
        (row,) = [r for r in secrets if r["name"] == f"s{size}"]
        assert row["comment"] == comment
    api.close()


def test_librouteros_query_api_and_round_trip_count(emu):
    api = librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=3)
    emu.reset_stats()
    secrets = api.path("/ppp/secret")
    secrets.add(name="a", password="1")
    secrets.add(name="b", password="2")
    name = librouteros.query.Key("name")
    assert [r["name"] for r in secrets.select(name).where(name.In("a", "b"))] == ["a", "b"]
    secrets.update(**{".id": "*1A", "comment": "wisp:x"})
    secrets.remove("*1A", "*1B")
    assert emu.round_trips == 5
    assert [command for command, _ in emu.writes()] == [
        "/ppp/secret/add",
        "/ppp/secret/add",
        "/ppp/secret/set",
        "/ppp/secret/remove",
    ]
    assert emu.table("/ppp/secret") == []
    api.close()


def test_sessions_bring_dynamic_queue_and_address(emu):
    emu.insert("/ppp/profile", name="susp", rate_limit="1M/2M", address_list="wisp-restricted")
    emu.insert("/ppp/secret", name="alice", password="pw", profile="susp")
    active_id = emu.connect_session("alice", address="10.9.0.7")
    assert emu.sessions() == ["alice"]
    (queue,) = emu.table("/queue/simple")
    assert queue["name"] == "<pppoe-alice>"
    assert queue["target"] == "10.9.0.7/32"
    assert queue["max-limit"] == "1000000/2000000"
    assert queue["dynamic"] == "true"
    (entry,) = emu.table("/ip/firewall/address-list")
    assert (entry["list"], entry["address"], entry["dynamic"]) == (
        "wisp-restricted",
        "10.9.0.7",
        "true",
    )
    emu.add_traffic("alice", upload=10, download=20)
    assert emu.table("/queue/simple")[0]["bytes"] == "10/20"
    emu.delete("/ppp/active", active_id)
    assert emu.table("/queue/simple") == []
    assert emu.table("/ip/firewall/address-list") == []


def test_ping_replies_like_routeros(emu):
    emu.set_host("10.0.0.9", rtt_ms=[3.25, 4.0], lost={1})
    api = librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=3)
    rows = list(api("/ping", address="10.0.0.9", count=3))
    assert [r.get("status") for r in rows] == [None, "timeout", None]
    assert rows[0]["time"] == "3ms250us"
    assert rows[-1]["sent"] == 3
    assert rows[-1]["received"] == 2
    assert rows[-1]["packet-loss"] == 33
    rows = list(api("/ping", address="10.0.0.10", count=2))
    assert [r["status"] for r in rows] == ["timeout", "timeout"]
    api.close()


def test_faults_drop_and_trap_next(emu):
    api = librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=3)
    emu.trap_next("/ppp/secret/print", "failure: injected")
    with pytest.raises(librouteros.exceptions.TrapError, match="injected"):
        list(api("/ppp/secret/print"))
    assert list(api("/ppp/secret/print")) == []
    emu.faults.drop_after = 0
    with pytest.raises(librouteros.exceptions.ConnectionClosed):
        list(api("/ppp/secret/print"))
    api.close()
    api = librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=3)
    assert list(api("/ppp/secret/print")) == []  # the drop was one-shot
    api.close()


def test_refuse_and_hang(emu):
    emu.set_refuse(True)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(emu.address, timeout=1)
    emu.set_refuse(False)
    emu.faults.hang = True
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        librouteros.connect("127.0.0.1", "admin", "s3cret-router", port=emu.port, timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_ros_duration():
    assert ros_duration(0) == "0s"
    assert ros_duration(3725) == "1h2m5s"
    assert ros_duration(694861) == "1w1d1h1m1s"
