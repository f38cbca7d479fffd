"""A MikroTik RouterOS API server, emulated at the wire level on loopback.

No RouterOS exists on the test machine, so this fixture speaks the RouterOS API
protocol itself and the real ``librouteros`` client talks to it exactly as it
talks to a router (the adapter under test never knows):

* sentences of length-prefixed words ending with an empty word, with the full
  variable-length length encoding (1 to 5 bytes);
* ``/login`` with name/password (RouterOS >= 6.43) and the older MD5
  challenge/response; a wrong password gets ``!trap`` "invalid user name or
  password (6)" and the connection is closed; a command before login gets
  ``!fatal not logged in``;
* ``!re`` / ``!done`` / ``!trap`` replies, ``.tag``, ``=.proplist=`` and query
  words (``?name=x``, ``?=name=x``, ``?name``, ``?-name``, ``?<name=x``,
  ``?>name=x`` and the ``?#`` stack operations ``! & | .`` and indexes);
* the menus the suite uses, with RouterOS's field names, defaults and ``.id``
  values such as ``*1A``: ``/ppp/secret``, ``/ppp/profile``, ``/ppp/active``,
  ``/ip/hotspot/user``, ``/ip/hotspot/user/profile``, ``/ip/hotspot/active``,
  ``/ip/firewall/address-list``, ``/ip/dhcp-server/lease`` (static leases keyed by
  MAC and server; a MAC is checked and printed upper case), ``/queue/simple``, ``/ping``,
  ``/system/resource`` and ``/system/identity``; commands print/getall, add,
  set, unset, remove (comma-separated id lists) and queue reset-counters.

Sessions are simulated like RouterOS does them: :meth:`RouterOSEmulator.connect_session`
puts a login in ``/ppp/active`` or ``/ip/hotspot/active``, creates the dynamic
simple queue ``<pppoe-LOGIN>`` / ``<hotspot-LOGIN>`` from the profile's
rate-limit and, when the profile has an ``address-list``, a dynamic entry for
the client's address; removing the active entry removes both again.
:meth:`RouterOSEmulator.bind_lease` binds a static DHCP lease (``status=bound``,
``active-address``, ``expires-after``, ``last-seen``), puts the address in the
lease's ``address-lists`` and, when the lease has a ``rate-limit``, makes its dynamic
queue (``dhcp-ds<HOST-NAME/MAC>``, target the address); :meth:`~RouterOSEmulator.expire_lease`
puts it back to ``waiting`` and drops both.

Time passes: hotspot users take ``limit-uptime`` as RouterOS does (``3600``,
``1h``, ``01:00:00``; printed ``1h``); :meth:`RouterOSEmulator.advance` adds online
time to every hotspot session and its user's ``uptime``, and logs a user out when
it reaches its limit; :meth:`~RouterOSEmulator.connect_session` refuses a user
that has reached it ("user X has reached uptime limit").

Faults, per instance: :meth:`~RouterOSEmulator.set_refuse` closes the listening
socket (connection refused) and reopens it on the same port; ``faults.hang``
accepts connections but never answers; ``faults.delay`` slows every reply;
``faults.drop_after`` closes the connection after N more sentences;
:meth:`~RouterOSEmulator.trap_next` makes the next matching command trap.
Adding a second entry with an existing name traps like RouterOS
("failure: secret with the same name already exists").

Real-router behaviour, per instance: ``version="7.18.2"`` (or later) answers a
print without rows with ``!empty`` before ``!done``; ``hotspot_zero_address``
prints ``address=0.0.0.0`` for hotspot users without one; ``sensitive=False``
puts the API user in a group without the ``sensitive`` policy (``/user``,
``/user/group``) and leaves passwords out of every print; ``tls_certificate``
serves api-ssl with a certificate naming 127.0.0.1 (``"ip-san"``), one with a
common name only (``"cn-only"``), or none (``None``: anonymous Diffie-Hellman,
as RouterOS without a certificate).

Everything received is counted (``round_trips``, ``log``, :meth:`writes`) so
tests and benchmarks can assert how many API round trips and writes a client made.
"""

import contextlib
import dataclasses
import datetime
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

# --------------------------------------------------------------------------- wire


class ProtocolError(Exception):
    """The peer sent bytes that are not a valid API sentence."""


def encode_length(length):
    """Encode a word length as RouterOS does (1 to 5 bytes, big endian)."""
    if length < 0:
        raise ValueError(f"negative length {length}")
    if length < 0x80:
        return bytes([length])
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    if length < 0x100000000:
        return b"\xf0" + length.to_bytes(4, "big")
    raise ValueError(f"length {length} does not fit the API encoding")


def length_size(first_byte):
    """How many bytes the length starting with ``first_byte`` takes in total."""
    if first_byte < 0x80:
        return 1
    if first_byte < 0xC0:
        return 2
    if first_byte < 0xE0:
        return 3
    if first_byte < 0xF0:
        return 4
    if first_byte == 0xF0:
        return 5
    # 0xF8..0xFF are reserved control bytes; RouterOS never sends them to us.
    raise ProtocolError(f"reserved control byte 0x{first_byte:02x}")


def decode_length(data):
    """Decode a complete encoded length (as returned by :func:`encode_length`)."""
    size = length_size(data[0])
    if len(data) != size:
        raise ProtocolError(f"length prefix needs {size} bytes, got {len(data)}")
    if size == 1:
        return data[0]
    if size == 5:
        return int.from_bytes(data[1:], "big")
    value = data[0] & (0xFF >> size)  # drop the 10 / 110 / 1110 marker bits
    for byte in data[1:]:
        value = value << 8 | byte
    return value


def encode_word(word):
    raw = word.encode("utf-8", "surrogateescape") if isinstance(word, str) else word
    return encode_length(len(raw)) + raw


def encode_sentence(words):
    return b"".join(encode_word(word) for word in words) + b"\x00"


def decode_sentences(data):
    """Split ``data`` into complete sentences; returns ``(sentences, rest)``."""
    sentences, words, pos, end = [], [], 0, 0
    while pos < len(data):
        size = length_size(data[pos])
        if pos + size > len(data):
            break
        length = decode_length(data[pos : pos + size])
        start = pos + size
        if start + length > len(data):
            break
        pos = start + length
        if length == 0:
            sentences.append(words)
            words, end = [], pos
        else:
            words.append(data[start:pos].decode("utf-8", "surrogateescape"))
    return sentences, data[end:]


class _Reader:
    """Reads sentences from a socket with a buffer (one recv per chunk, not per byte)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def _exact(self, size):
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("peer closed the connection")
            self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def word(self):
        first = self._exact(1)
        size = length_size(first[0])
        prefix = first + (self._exact(size - 1) if size > 1 else b"")
        return self._exact(decode_length(prefix)).decode("utf-8", "surrogateescape")

    def sentence(self):
        """The next non-empty sentence (RouterOS ignores empty ones)."""
        while True:
            words = []
            while (word := self.word()) != "":
                words.append(word)
            if words:
                return words


# -------------------------------------------------------------------- menus


@dataclasses.dataclass(frozen=True)
class Menu:
    """One RouterOS menu: which properties exist and how entries behave."""

    path: str
    fields: tuple  # writable properties
    defaults: dict = dataclasses.field(default_factory=dict)  # printed when unset
    readonly: dict = dataclasses.field(default_factory=dict)  # shown, never writable
    key: tuple = ("name",)  # unique together
    duplicate: str = "failure: already have such name"
    required: tuple = ("name",)
    references: dict = dataclasses.field(default_factory=dict)  # field -> menu path
    can_add: bool = True
    can_set: bool = True
    builtin: tuple = ()  # (id, fields) entries present on a fresh router
    hidden: tuple = ()  # writable, never printed (a user's password)
    first_id: int = 0x1A


# RouterOS 7's built-in groups; a policy a group lacks is printed with "!".
_POLICIES = (
    "local",
    "telnet",
    "ssh",
    "ftp",
    "reboot",
    "read",
    "write",
    "policy",
    "test",
    "winbox",
    "password",
    "web",
    "sniff",
    "sensitive",
    "api",
    "romon",
    "rest-api",
)
FULL_POLICIES = _POLICIES
WRITE_POLICIES = tuple(
    p if p not in ("ftp", "policy", "password", "sensitive") else "!" + p for p in _POLICIES
)
READ_POLICIES = tuple(
    p if p not in ("ftp", "write", "policy", "password", "sensitive") else "!" + p
    for p in _POLICIES
)
# Fields a user whose group lacks the "sensitive" policy never sees.
SENSITIVE_FIELDS = frozenset({"password"})
API_GROUP = "wisp-api"  # the group the emulator's API user is in

MAC_TEXT = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}")
BOOLEANS = frozenset({"disabled", "dynamic", "invalid", "radius", "default", "blocked"})
# Durations RouterOS takes as 3600, 1h or 01:00:00 and prints as 1h.
DURATIONS = frozenset({"limit-uptime"})

MENUS = {
    menu.path: menu
    for menu in (
        Menu(
            "/ppp/secret",
            fields=(
                "name",
                "service",
                "caller-id",
                "password",
                "profile",
                "local-address",
                "remote-address",
                "remote-ipv6-prefix",
                "routes",
                "ipv6-routes",
                "limit-bytes-in",
                "limit-bytes-out",
                "comment",
                "disabled",
            ),
            defaults={
                "service": "any",
                "caller-id": "",
                "password": "",
                "profile": "default",
                "routes": "",
                "ipv6-routes": "",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "disabled": "false",
            },
            duplicate="failure: secret with the same name already exists",
            references={"profile": "/ppp/profile"},
        ),
        Menu(
            "/ppp/profile",
            fields=(
                "name",
                "local-address",
                "remote-address",
                "bridge",
                "incoming-filter",
                "outgoing-filter",
                "address-list",
                "dns-server",
                "rate-limit",
                "only-one",
                "change-tcp-mss",
                "use-compression",
                "use-encryption",
                "use-mpls",
                "use-upnp",
                "parent-queue",
                "queue-type",
                "insert-queue-before",
                "session-timeout",
                "idle-timeout",
                "on-up",
                "on-down",
                "comment",
            ),
            defaults={
                "only-one": "default",
                "change-tcp-mss": "default",
                "use-compression": "default",
                "use-encryption": "default",
                "use-mpls": "default",
                "use-upnp": "default",
                "address-list": "",
                "on-up": "",
                "on-down": "",
            },
            readonly={"default": "false"},
            duplicate="failure: profile with the same name already exists",
            builtin=(
                ("*0", {"name": "default", "default": "true"}),
                (
                    "*FFFFFFFE",
                    {
                        "name": "default-encryption",
                        "use-encryption": "yes",
                        "default": "true",
                    },
                ),
            ),
        ),
        Menu(
            "/ppp/active",
            fields=(),
            readonly={
                "name": "",
                "service": "pppoe",
                "caller-id": "",
                "address": "",
                "uptime": "0s",
                "encoding": "",
                "session-id": "",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "radius": "false",
            },
            key=(),
            can_add=False,
            can_set=False,
            first_id=0x80C00001,
        ),
        Menu(
            "/ip/hotspot/user",
            fields=(
                "name",
                "server",
                "password",
                "address",
                "mac-address",
                "profile",
                "routes",
                "email",
                "limit-uptime",
                "limit-bytes-in",
                "limit-bytes-out",
                "limit-bytes-total",
                "comment",
                "disabled",
            ),
            defaults={
                "server": "all",
                "password": "",
                "profile": "default",
                "disabled": "false",
            },
            readonly={
                "uptime": "0s",
                "bytes-in": "0",
                "bytes-out": "0",
                "packets-in": "0",
                "packets-out": "0",
                "dynamic": "false",
            },
            duplicate="failure: already have user with this name",
            references={"profile": "/ip/hotspot/user/profile"},
        ),
        Menu(
            "/ip/hotspot/user/profile",
            fields=(
                "name",
                "address-pool",
                "session-timeout",
                "idle-timeout",
                "keepalive-timeout",
                "status-autorefresh",
                "shared-users",
                "rate-limit",
                "address-list",
                "incoming-filter",
                "outgoing-filter",
                "incoming-packet-mark",
                "outgoing-packet-mark",
                "open-status-page",
                "transparent-proxy",
                "parent-queue",
                "queue-type",
                "insert-queue-before",
                "on-login",
                "on-logout",
                "add-mac-cookie",
                "mac-cookie-timeout",
                "advertise",
            ),
            defaults={
                "idle-timeout": "none",
                "keepalive-timeout": "2m",
                "status-autorefresh": "1m",
                "shared-users": "1",
                "add-mac-cookie": "yes",
                "mac-cookie-timeout": "3d",
                "address-pool": "none",
                "transparent-proxy": "no",
                "open-status-page": "always",
                "advertise": "no",
            },
            readonly={"default": "false"},
            duplicate="failure: profile with the same name already exists",
            builtin=(("*0", {"name": "default", "default": "true"}),),
        ),
        Menu(
            "/ip/hotspot/active",
            fields=(),
            readonly={
                "server": "hotspot1",
                "user": "",
                "domain": "",
                "address": "",
                "mac-address": "",
                "login-by": "http-chap",
                "uptime": "0s",
                "idle-time": "0s",
                "keepalive-timeout": "2m",
                "bytes-in": "0",
                "bytes-out": "0",
                "packets-in": "0",
                "packets-out": "0",
                "radius": "false",
            },
            key=(),
            can_add=False,
            can_set=False,
            first_id=0x1,
        ),
        Menu(
            "/ip/firewall/address-list",
            fields=("list", "address", "timeout", "comment", "disabled"),
            defaults={"disabled": "false"},
            readonly={"dynamic": "false", "creation-time": ""},
            key=("list", "address"),
            duplicate="failure: already have such entry",
            required=("list", "address"),
        ),
        Menu(
            "/ip/dhcp-server",
            fields=(
                "name",
                "interface",
                "address-pool",
                "lease-time",
                "authoritative",
                "add-arp",
                "use-radius",
                "address-lists",
                "comment",
                "disabled",
            ),
            defaults={
                "address-pool": "static-only",
                "lease-time": "30m",
                "authoritative": "yes",
                "use-radius": "no",
                "disabled": "false",
            },
            readonly={"dynamic": "false", "invalid": "false"},
            builtin=(("*1", {"name": "dhcp1", "interface": "ether2"}),),
        ),
        Menu(
            "/ip/dhcp-server/lease",
            fields=(
                "mac-address",
                "client-id",
                "address",
                "server",
                "address-lists",
                "rate-limit",
                "lease-time",
                "block-access",
                "always-broadcast",
                "insert-queue-before",
                "dhcp-option",
                "dhcp-option-set",
                "use-src-mac",
                "comment",
                "disabled",
            ),
            defaults={
                "server": "all",
                "client-id": "",
                "address-lists": "",
                "dhcp-option": "",
                "lease-time": "0s",
                "block-access": "no",
                "always-broadcast": "no",
                "use-src-mac": "no",
                "disabled": "false",
            },
            readonly={
                "status": "waiting",
                "last-seen": "never",
                "radius": "false",
                "dynamic": "false",
                "blocked": "false",
            },
            key=("mac-address", "server"),
            duplicate="failure: lease with such MAC address already exists",
            required=("address", "mac-address"),
        ),
        Menu(
            "/queue/simple",
            fields=(
                "name",
                "target",
                "dst",
                "parent",
                "packet-marks",
                "priority",
                "queue",
                "limit-at",
                "max-limit",
                "burst-limit",
                "burst-threshold",
                "burst-time",
                "bucket-size",
                "time",
                "comment",
                "disabled",
            ),
            defaults={
                "parent": "none",
                "packet-marks": "",
                "priority": "8/8",
                "queue": "default-small/default-small",
                "limit-at": "0/0",
                "max-limit": "0/0",
                "burst-limit": "0/0",
                "burst-threshold": "0/0",
                "burst-time": "0s/0s",
                "bucket-size": "0.1/0.1",
                "disabled": "false",
            },
            readonly={
                "rate": "0/0",
                "packet-rate": "0/0",
                "queued-packets": "0/0",
                "queued-bytes": "0/0",
                "bytes": "0/0",
                "packets": "0/0",
                "dropped": "0/0",
                "invalid": "false",
                "dynamic": "false",
            },
            required=("target",),
        ),
        Menu(
            "/user",
            fields=("name", "group", "password", "address", "comment", "disabled"),
            hidden=("password",),
        ),
        Menu(
            "/user/group",
            fields=("name", "policy", "skin", "comment"),
            builtin=(
                ("*1", {"name": "read", "policy": ",".join(READ_POLICIES)}),
                ("*2", {"name": "write", "policy": ",".join(WRITE_POLICIES)}),
                ("*3", {"name": "full", "policy": ",".join(FULL_POLICIES)}),
            ),
            first_id=0x4,
        ),
        # The menus a router's one-time setup touches (wisp_network's setup script):
        # not used by the adapter, served so the script is checked against them.
        Menu(
            "/ip/service",
            fields=("port", "address", "certificate", "tls-version", "vrf", "disabled"),
            readonly={"invalid": "false"},
            can_add=False,
            builtin=(
                ("*7", {"name": "api", "port": "8728", "disabled": "false"}),
                ("*8", {"name": "api-ssl", "port": "8729", "disabled": "false"}),
            ),
        ),
        Menu(
            "/certificate",
            fields=(
                "name",
                "common-name",
                "subject-alt-name",
                "key-usage",
                "key-size",
                "days-valid",
                "country",
                "organization",
                "trusted",
            ),
            duplicate="failure: certificate with the same name already exists",
        ),
        Menu(
            "/ip/firewall/filter",
            fields=(
                "chain",
                "action",
                "protocol",
                "src-address",
                "dst-address",
                "dst-port",
                "src-address-list",
                "dst-address-list",
                "reject-with",
                "place-before",
                "comment",
                "disabled",
            ),
            key=(),
            required=("chain",),
        ),
        Menu(
            "/ip/firewall/nat",
            fields=(
                "chain",
                "action",
                "protocol",
                "src-address",
                "dst-address",
                "dst-port",
                "src-address-list",
                "dst-address-list",
                "to-addresses",
                "to-ports",
                "place-before",
                "comment",
                "disabled",
            ),
            key=(),
            required=("chain",),
        ),
        Menu(
            "/ip/proxy",
            fields=("enabled", "port", "src-address", "cache-administrator"),
            key=(),
            can_add=False,
            builtin=(("*0", {"enabled": "no", "port": "8080"}),),
        ),
        Menu(
            "/ip/proxy/access",
            fields=(
                "action",
                "action-data",
                "src-address",
                "dst-address",
                "dst-host",
                "dst-port",
                "path",
                "method",
                "comment",
                "disabled",
            ),
            key=(),
            required=("action",),
        ),
        Menu(
            "/ip/hotspot/walled-garden",
            fields=(
                "action",
                "dst-host",
                "dst-port",
                "path",
                "server",
                "src-address",
                "method",
                "comment",
                "disabled",
            ),
            key=(),
            required=(),
        ),
        Menu(
            "/ip/hotspot/profile",
            fields=("name", "hotspot-address", "login-by", "use-radius", "radius-interim-update"),
            builtin=(("*1", {"name": "default"}),),
        ),
        Menu(
            "/radius",
            fields=(
                "service",
                "address",
                "secret",
                "authentication-port",
                "accounting-port",
                "timeout",
                "src-address",
                "comment",
                "disabled",
            ),
            key=(),
            required=("address", "service"),
        ),
        Menu(
            "/radius/incoming",
            fields=("accept", "port"),
            key=(),
            can_add=False,
            builtin=(("*0", {"accept": "no", "port": "3799"}),),
        ),
        Menu(
            "/ppp/aaa",
            fields=("use-radius", "accounting", "interim-update"),
            key=(),
            can_add=False,
            builtin=(("*0", {"use-radius": "no", "accounting": "yes"}),),
        ),
    )
}

WRITE_VERBS = frozenset({"add", "set", "unset", "remove", "reset-counters", "reset-counters-all"})
LOGIN_FAILED = "invalid user name or password (6)"


class Trap(Exception):
    """A command failed; answered with ``!trap``."""

    def __init__(self, message, category=None):
        super().__init__(message)
        self.message = message
        self.category = category


class Table:
    """The entries of one menu, in insertion order, indexed by id and by key."""

    def __init__(self, menu):
        self.menu = menu
        self.rows = {}
        self.index = {}
        self.next_id = menu.first_id
        for entry_id, fields in menu.builtin:
            row = {**menu.defaults, **menu.readonly, **fields}
            self.rows[entry_id] = row
            self._index(entry_id, row)

    def key_of(self, row):
        if not self.menu.key:
            return None
        return tuple(row.get(field, "") for field in self.menu.key)

    def _index(self, entry_id, row):
        key = self.key_of(row)
        if key is not None:
            self.index[key] = entry_id

    def _unindex(self, row):
        key = self.key_of(row)
        if key is not None:
            self.index.pop(key, None)

    def lookup(self, ref):
        """Entry id for ``ref``: an id (``*1A``) or, in named menus, a name."""
        if ref in self.rows:
            return ref
        if ref.startswith("*"):
            with contextlib.suppress(ValueError):
                normal = f"*{int(ref[1:], 16):X}"
                if normal in self.rows:
                    return normal
            raise Trap("no such item")
        if self.menu.key == ("name",) and (ref,) in self.index:
            return self.index[(ref,)]
        raise Trap("no such item")

    def insert(self, row):
        key = self.key_of(row)
        if key is not None and key in self.index:
            raise Trap(self.menu.duplicate)
        entry_id = f"*{self.next_id:X}"
        self.next_id += 1
        self.rows[entry_id] = row
        self._index(entry_id, row)
        return entry_id

    def update(self, entry_id, changes, unset=()):
        row = self.rows[entry_id]
        new = dict(row)
        new.update(changes)
        for field in unset:
            if field in self.menu.defaults:
                new[field] = self.menu.defaults[field]
            else:
                new.pop(field, None)
        old_key, new_key = self.key_of(row), self.key_of(new)
        if new_key != old_key and new_key in self.index:
            raise Trap(self.menu.duplicate)
        self._unindex(row)
        self.rows[entry_id] = new
        self._index(entry_id, new)

    def delete(self, entry_id):
        row = self.rows.pop(entry_id)
        self._unindex(row)
        return row


# ----------------------------------------------------------------- helpers


def ros_duration(seconds):
    """RouterOS duration text: ``1w2d3h4m5s``, ``0s``.

    The router's side, written from RouterOS's documentation like the rest of this
    fixture and never imported from the adapter it tests: a wrong format in the
    client cannot then hide in its test peer too."""
    seconds = int(seconds)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        value, seconds = divmod(seconds, size)
        if value:
            parts.append(f"{value}{unit}")
    return "".join(parts) or "0s"


def parse_duration(text):
    """A duration RouterOS accepts (``3600``, ``1h30m``, ``1w2d``, ``01:00:00``) in
    seconds; None when it is not one."""
    text = (text or "").strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+:\d{2}:\d{2}", text):
        hours, minutes, seconds = (int(part) for part in text.split(":"))
        return hours * 3600 + minutes * 60 + seconds
    if not re.fullmatch(r"(\d+[wdhms])+", text):
        return None
    sizes = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * sizes[u] for n, u in re.findall(r"(\d+)([wdhms])", text))


def ros_ms(value, major):
    """An RTT as RouterOS prints it: ``3ms`` (v6) or ``3ms250us`` (v7)."""
    if major < 7:
        return f"{round(value)}ms"
    micro = round(value * 1000)
    ms, us = divmod(micro, 1000)
    if ms and us:
        return f"{ms}ms{us}us"
    return f"{ms}ms" if ms else f"{us}us"


def _uptime_exhausted(user):
    limit = parse_duration(user.get("limit-uptime", "")) or 0
    return bool(limit) and (parse_duration(user.get("uptime", "0s")) or 0) >= limit


def _bool_text(value):
    lowered = value.lower()
    if lowered in ("yes", "true"):
        return "true"
    if lowered in ("no", "false"):
        return "false"
    raise Trap(f"value of {value!r} must be yes or no", category=1)


def _rate_to_bits(text):
    """First ``up/down`` pair of a rate-limit as bits/s: ``10M/20M`` -> ``10000000/20000000``."""
    units = {"k": 1000, "K": 1000, "M": 1000000, "G": 1000000000}
    pair = (text.split() or ["0/0"])[0]
    values = []
    for part in pair.split("/"):
        if part and part[-1] in units:
            values.append(str(int(float(part[:-1]) * units[part[-1]])))
        else:
            values.append(part or "0")
    return "/".join(values)


def _self_signed(directory, with_san=True):
    """Write a throw-away certificate and key for 127.0.0.1 / localhost.

    Without ``with_san`` it carries only a common name, as a certificate made
    on RouterOS with ``/certificate add common-name=…`` and nothing else.
    """
    cert_file = os.path.join(directory, "api-ssl.crt")
    key_file = os.path.join(directory, "api-ssl.key")
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        subprocess.run(
            [
                shutil.which("openssl") or "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=routeros-emulator",
                *(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"] if with_san else []),
                "-keyout",
                key_file,
                "-out",
                cert_file,
            ],
            check=True,
            capture_output=True,
        )
        return cert_file, key_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "routeros-emulator")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
    )
    if with_san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    cert = (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    with open(cert_file, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_file, key_file


# ------------------------------------------------------------------ server


@dataclasses.dataclass
class Faults:
    """Misbehaviour to inject; change the attributes at any time."""

    hang: bool = False  # accept (and read) but never answer, not even the TLS handshake
    delay: float = 0.0  # seconds to wait before every reply
    drop_after: int = None  # close the connection after this many more sentences
    ping_interval: float = 0.0  # seconds between /ping replies (RouterOS: 1 s)


@dataclasses.dataclass
class _Host:
    rtt_ms: tuple
    lost: frozenset
    status: str


class _Connection:
    def __init__(self, sock):
        self.sock = sock
        self.logged_in = False
        self.challenge = None


class RouterOSEmulator:
    """A RouterOS API endpoint on 127.0.0.1 holding its configuration in memory.

    ``with RouterOSEmulator(tls=True) as emu: ... emu.port, emu.ca_file ...``
    """

    def __init__(
        self,
        username="admin",
        password="secret",
        *,
        tls=False,
        tls_certificate="ip-san",
        version="7.16.2",
        sensitive=True,
        hotspot_zero_address=False,
        identity="MikroTik",
        host="127.0.0.1",
        port=0,
    ):
        self.username = username
        self.password = password
        self.tls = tls
        # "ip-san": names 127.0.0.1; "cn-only": a common name and no subjectAltName;
        # None: no certificate, so api-ssl offers anonymous Diffie-Hellman only.
        self.tls_certificate = tls_certificate
        self.version = version
        # RouterOS 7.18+ answers a print without rows with !empty before !done.
        self.empty_reply = tuple(int(part) for part in version.split(".")[:2]) >= (7, 18)
        # The API user's group has the "sensitive" policy (it may read passwords).
        self.sensitive = sensitive
        # A hotspot user without a static address prints address=0.0.0.0.
        self.hotspot_zero_address = hotspot_zero_address
        self.identity = identity
        self.cpu_load = 1  # /system/resource cpu-load (percent)
        self.host = host
        self.port = port
        self.faults = Faults()
        self.ca_file = None
        self.cert_pem = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._listener = None
        self._accept_thread = None
        self._connections = set()
        self._threads = set()
        self._tmpdir = None
        self._tls_context = None
        self._started = time.monotonic()
        self._traps = []
        self._hosts = {}
        self._next_address = 2
        self.refusing = False
        self.unreachable_status = "timeout"  # /ping status for hosts never set_host()
        self.reset()

    # -- life cycle --------------------------------------------------------

    def start(self):
        if self.tls and self._tls_context is None and self.tls_certificate is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            # What RouterOS's api-ssl does without a certificate.
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers("aNULL:@SECLEVEL=0")
            self._tls_context = context
        elif self.tls and self._tls_context is None:
            self._tmpdir = tempfile.mkdtemp(prefix="routeros-emu-")
            cert_file, key_file = _self_signed(self._tmpdir, self.tls_certificate == "ip-san")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            self._tls_context = context
            self.ca_file = cert_file
            with open(cert_file) as handle:
                self.cert_pem = handle.read()
        self._stopping.clear()
        self._listen()
        return self

    def stop(self):
        self._stopping.set()
        self._close_listener()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            self._kill(conn.sock)
        for thread in list(self._threads):
            thread.join(timeout=2)
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self._tls_context = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        return (self.host, self.port)

    def set_refuse(self, refuse=True):
        """Router down: close the listening socket (connection refused), or reopen it.

        Established connections are cut as well, as when a router reboots.
        """
        self.refusing = refuse
        if refuse:
            self._close_listener()
            with self._lock:
                connections = list(self._connections)
            for conn in connections:
                self._kill(conn.sock)
        elif self._listener is None:
            self._listen()

    def disconnect_clients(self):
        """Cut every established API connection (clients must reconnect)."""
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            self._kill(conn.sock)

    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(128)
        # A short accept timeout lets the loop notice stop()/set_refuse()
        # (closing a socket does not wake a thread blocked in accept on Linux).
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(
            target=self._accept_loop,
            args=(listener,),
            name="routeros-emu-accept",
            daemon=True,
        )
        self._accept_thread = thread
        thread.start()

    def _close_listener(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        thread, self._accept_thread = self._accept_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def _accept_loop(self, listener):
        while not self._stopping.is_set() and self._listener is listener:
            try:
                sock, _peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            thread = threading.Thread(
                target=self._serve, args=(sock,), name="routeros-emu-conn", daemon=True
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()

    @staticmethod
    def _kill(sock):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _serve(self, sock):
        conn = _Connection(sock)
        with self._lock:
            self._connections.add(conn)
        try:
            if self.faults.hang:
                self._swallow(sock)
                return
            if self._tls_context is not None:
                sock.settimeout(5)
                conn.sock = sock = self._tls_context.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
            reader = _Reader(sock)
            while not self._stopping.is_set() and self._answer(conn, reader.sentence()):
                pass
        except (OSError, EOFError, ProtocolError, ssl.SSLError, ValueError):
            pass
        finally:
            with self._lock:
                self._connections.discard(conn)
                self._threads.discard(threading.current_thread())
            self._kill(conn.sock)

    def _answer(self, conn, words):
        """Count, answer (or not, per the faults) one sentence; False ends the connection."""
        with self._lock:
            self.round_trips += 1
            drop = self.faults.drop_after
            if drop is not None:
                # One-shot: the connection after this one works again.
                self.faults.drop_after = drop - 1 if drop > 0 else None
        if drop is not None and drop <= 0:
            return False
        if self.faults.hang:
            return True
        replies, paced, close = self._dispatch(conn, words)
        if self.faults.delay:
            time.sleep(self.faults.delay)
        if paced and self.faults.ping_interval:
            for reply in replies:
                conn.sock.sendall(encode_sentence(reply))
                time.sleep(self.faults.ping_interval)
        else:
            conn.sock.sendall(b"".join(encode_sentence(reply) for reply in replies))
        return not close

    def _swallow(self, sock):
        """Read and drop whatever arrives until the peer gives up."""
        while not self._stopping.is_set():
            if not sock.recv(65536):
                return

    # -- state and test helpers -------------------------------------------

    def reset(self):
        """Forget all configuration, sessions and statistics (a factory-fresh router)."""
        with self._lock:
            menus = dict(MENUS)
            if self.hotspot_zero_address:
                hotspot = menus["/ip/hotspot/user"]
                menus[hotspot.path] = dataclasses.replace(
                    hotspot, defaults={**hotspot.defaults, "address": "0.0.0.0"}
                )
            self._tables = {path: Table(menu) for path, menu in menus.items()}
            group = "full"
            if not self.sensitive:
                group = API_GROUP
                policy = ",".join(p if p != "sensitive" else "!sensitive" for p in FULL_POLICIES)
                self._add(self._tables["/user/group"], {"name": group, "policy": policy}, False)
            self._add(self._tables["/user"], {"name": self.username, "group": group}, False)
            self.reset_stats()

    def reset_stats(self):
        with self._lock:
            self.round_trips = 0  # sentences received, /login included
            self.log = []  # (command, {attribute: value}) in arrival order

    def writes(self):
        """Logged commands that changed configuration (add/set/unset/remove...)."""
        with self._lock:
            return [
                (command, args)
                for command, args in self.log
                if command.rsplit("/", 1)[-1] in WRITE_VERBS
            ]

    def commands(self, verb=None):
        with self._lock:
            return [
                command
                for command, _args in self.log
                if verb is None or command.rsplit("/", 1)[-1] == verb
            ]

    def _table(self, path):
        try:
            return self._tables[path.rstrip("/")]
        except KeyError:
            raise KeyError(f"the emulator has no menu {path}") from None

    def table(self, path):
        """Every entry of a menu as the API prints it (list of dicts with ``.id``)."""
        with self._lock:
            table = self._table(path)
            return [self._printable(entry_id, row) for entry_id, row in table.rows.items()]

    def row(self, path, ref=None, **match):
        """One entry (by id/name, or by field values), or None."""
        with self._lock:
            entry_id = self._find(path, ref, match)
            if entry_id is None:
                return None
            return self._printable(entry_id, self._table(path).rows[entry_id])

    def _find(self, path, ref, match):
        table = self._table(path)
        if ref is not None:
            try:
                return table.lookup(ref)
            except Trap:
                return None
        for entry_id, row in table.rows.items():
            if all(row.get(field.replace("_", "-")) == value for field, value in match.items()):
                return entry_id
        return None

    def insert(self, path, fields=None, **kwargs):
        """Add an entry by hand, as an admin in Winbox would; returns its id."""
        values = {**(fields or {}), **{k.replace("_", "-"): v for k, v in kwargs.items()}}
        with self._lock:
            table = self._table(path)
            return self._add(table, {k: str(v) for k, v in values.items()}, check=False)

    def edit(self, path, ref, fields=None, **kwargs):
        """Change an entry by hand (manual drift)."""
        values = {**(fields or {}), **{k.replace("_", "-"): v for k, v in kwargs.items()}}
        with self._lock:
            table = self._table(path)
            entry_id = table.lookup(ref)
            table.update(entry_id, {k: str(v) for k, v in values.items()})

    def delete(self, path, ref):
        """Remove an entry by hand (manual drift)."""
        with self._lock:
            table = self._table(path)
            self._remove(table, table.lookup(ref))

    def trap_next(self, command, message, category=None):
        """The next ``command`` (e.g. ``/ppp/secret/add``) answers ``!trap message``."""
        with self._lock:
            self._traps.append((command, message, category))

    def set_host(self, address, rtt_ms=1.0, lost=(), reachable=True, status="timeout"):
        """Make ``/ping address`` answer: RTT (a number or a cycle of numbers), lost seqs."""
        rtts = tuple(rtt_ms) if isinstance(rtt_ms, (list, tuple)) else (rtt_ms,)
        with self._lock:
            if reachable:
                self._hosts[address] = _Host(rtts, frozenset(lost), status)
            else:
                self._hosts.pop(address, None)

    def connect_session(self, login, address=None, mac="02:00:00:00:00:01", uptime=0):
        """A subscriber logs in: PPPoE if ``login`` is a secret, else hotspot.
        ``uptime``: seconds the session has already run.

        Creates the active entry, the dynamic queue ``<pppoe-LOGIN>`` (or
        ``<hotspot-LOGIN>``) from the profile's rate-limit and the dynamic
        address-list entry when the profile names an ``address-list``.
        Returns the active entry id.
        """
        with self._lock:
            secret = self._find("/ppp/secret", login, {})
            kind = "pppoe" if secret is not None else "hotspot"
            users = self._table("/ppp/secret" if kind == "pppoe" else "/ip/hotspot/user")
            entry_id = secret if secret is not None else self._find("/ip/hotspot/user", login, {})
            if entry_id is None:
                raise ValueError(f"no PPP secret or hotspot user named {login!r}")
            user = users.rows[entry_id]
            if user.get("disabled") == "true":
                raise ValueError(f"{login!r} is disabled")
            if kind == "hotspot" and _uptime_exhausted(user):
                raise ValueError(f"user {login} has reached uptime limit")
            profiles = self._table(
                "/ppp/profile" if kind == "pppoe" else "/ip/hotspot/user/profile"
            )
            profile = profiles.rows[profiles.lookup(user.get("profile", "default"))]
            if address is None:
                address = (
                    user.get("remote-address")
                    or user.get("address")
                    or (f"10.200.{self._next_address // 250}.{self._next_address % 250 + 2}")
                )
                self._next_address += 1
            links = {"_since": time.monotonic() - uptime}
            if profile.get("rate-limit"):
                links["_queue"] = self._add(
                    self._table("/queue/simple"),
                    {
                        "name": f"<{kind}-{login}>",
                        "target": f"{address}/32",
                        "max-limit": _rate_to_bits(profile["rate-limit"]),
                        "dynamic": "true",
                    },
                    check=False,
                )
            address_list = profile.get("address-list")
            addresses = self._table("/ip/firewall/address-list")
            if address_list and (address_list, address) not in addresses.index:
                links["_address"] = self._add(
                    addresses,
                    {
                        "list": address_list,
                        "address": address,
                        "dynamic": "true",
                        "creation-time": time.strftime("%Y-%m-%d %H:%M:%S"),
                    },
                    check=False,
                )
            if kind == "pppoe":
                active = self._table("/ppp/active")
                return self._add(
                    active,
                    {
                        "name": login,
                        "service": "pppoe",
                        "caller-id": mac.upper(),
                        "address": address,
                        "session-id": f"0x{active.next_id:X}",
                        **links,
                    },
                    check=False,
                )
            return self._add(
                self._table("/ip/hotspot/active"),
                {
                    "user": login,
                    "address": address,
                    "mac-address": mac.upper(),
                    **links,
                },
                check=False,
            )

    def advance(self, seconds):
        """``seconds`` of online time pass for every hotspot session: the session's
        and its user's ``uptime`` grow, and a user reaching its ``limit-uptime`` is
        logged out (RouterOS ends the session at the limit)."""
        with self._lock:
            users = self._table("/ip/hotspot/user")
            active = self._table("/ip/hotspot/active")
            for entry_id, row in list(active.rows.items()):
                user_id = self._find("/ip/hotspot/user", row["user"], {})
                user = users.rows[user_id]
                limit = parse_duration(user.get("limit-uptime", "")) or 0
                used = parse_duration(user.get("uptime", "0s")) or 0
                step = min(seconds, limit - used) if limit else seconds
                row["_since"] -= step
                users.update(user_id, {"uptime": ros_duration(used + step)})
                if _uptime_exhausted(users.rows[user_id]):
                    self._remove(active, entry_id)

    def bind_lease(self, mac, host_name="cpe"):
        """A CPE gets its static lease: the lease of ``mac`` becomes ``bound`` and, as
        RouterOS does, the leased address joins each list of its ``address-lists``
        (dynamic entries, removed with the lease). Returns the lease id."""
        mac = mac.upper()
        with self._lock:
            leases = self._table("/ip/dhcp-server/lease")
            entry_id = next(
                (i for i, row in leases.rows.items() if row.get("mac-address") == mac), None
            )
            if entry_id is None:
                raise ValueError(f"no lease for {mac}")
            lease = leases.rows[entry_id]
            if lease.get("disabled") == "true":
                raise ValueError(f"the lease of {mac} is disabled")
            address = lease["address"]
            links = {}
            addresses = self._table("/ip/firewall/address-list")
            for address_list in filter(None, lease.get("address-lists", "").split(",")):
                if (address_list, address) not in addresses.index:
                    links["_address"] = self._add(
                        addresses,
                        {"list": address_list, "address": address, "dynamic": "true"},
                        check=False,
                    )
            if (
                lease.get("rate-limit")
                and lease.get("_queue") not in self._table("/queue/simple").rows
            ):
                # RouterOS makes a dynamic simple queue for the lease's address; its
                # name is not documented (its manual prints dhcp-ds<MAC> and
                # dhcp-ds<HOST-NAME/MAC>): the emulator uses the second form.
                links["_queue"] = self._add(
                    self._table("/queue/simple"),
                    {
                        "name": f"dhcp-ds<{host_name}/{mac}>",
                        "target": f"{address}/32",
                        "max-limit": _rate_to_bits(lease["rate-limit"]),
                        "dynamic": "true",
                    },
                    check=False,
                )
            leases.update(
                entry_id,
                {
                    "status": "bound",
                    "active-address": address,
                    "active-mac-address": mac,
                    "active-server": "dhcp1",
                    "host-name": host_name,
                    "expires-after": "10m",
                    "last-seen": "0s",
                    **links,
                },
            )
            return entry_id

    def expire_lease(self, mac, last_seen="10m"):
        """The CPE is gone and its lease runs out: the static lease stays, ``waiting``
        again, and RouterOS drops the lease's dynamic queue and address-list entries."""
        mac = mac.upper()
        with self._lock:
            leases = self._table("/ip/dhcp-server/lease")
            entry_id = next(
                (i for i, row in leases.rows.items() if row.get("mac-address") == mac), None
            )
            if entry_id is None:
                raise ValueError(f"no lease for {mac}")
            lease = leases.rows[entry_id]
            for link, path in (
                ("_queue", "/queue/simple"),
                ("_address", "/ip/firewall/address-list"),
            ):
                linked = self._table(path)
                if lease.get(link) in linked.rows:
                    linked.delete(lease[link])
            gone = ("active-address", "active-mac-address", "active-server", "expires-after")
            leases.update(
                entry_id,
                {"status": "waiting", "last-seen": last_seen},
                unset=(*gone, "_queue", "_address"),
            )

    def sessions(self):
        """Logins with an active session (PPP and hotspot)."""
        with self._lock:
            return sorted(
                [row["name"] for row in self._table("/ppp/active").rows.values()]
                + [row["user"] for row in self._table("/ip/hotspot/active").rows.values()]
            )

    def add_traffic(self, login, upload, download):
        """Count bytes on the login's dynamic queue (``bytes`` is ``upload/download``;
        for a DHCP service, ``login`` is the MAC of its bound lease) and, for a
        hotspot session, on its active entry (``bytes-in``/``bytes-out``)."""
        with self._lock:
            queues = self._table("/queue/simple")
            names = [
                queues.rows[lease["_queue"]]["name"]
                for lease in self._table("/ip/dhcp-server/lease").rows.values()
                if lease.get("mac-address") == login and lease.get("_queue") in queues.rows
            ]
            for name in (f"<pppoe-{login}>", f"<hotspot-{login}>", *names):
                if (name,) in queues.index:
                    entry_id = queues.index[(name,)]
                    up, down = (int(v) for v in queues.rows[entry_id]["bytes"].split("/"))
                    queues.update(entry_id, {"bytes": f"{up + upload}/{down + download}"})
                    break
            else:
                raise ValueError(
                    f"no dynamic queue for {login!r}; connect_session or bind_lease first"
                )
            # a hotspot active entry counts the session's bytes itself (in: from the client)
            active = self._table("/ip/hotspot/active")
            for entry_id, row in list(active.rows.items()):
                if row.get("user") == login:
                    active.update(
                        entry_id,
                        {
                            "bytes-in": str(int(row["bytes-in"]) + upload),
                            "bytes-out": str(int(row["bytes-out"]) + download),
                        },
                    )

    # -- command dispatch ---------------------------------------------------

    def _dispatch(self, conn, words):
        """Answer one sentence: returns (replies, paced, close_after)."""
        command, args, queries, api_attrs = words[0], {}, [], {}
        for word in words[1:]:
            if word.startswith("="):
                key, _, value = word[1:].partition("=")
                args[key] = value
            elif word.startswith("?"):
                queries.append(word[1:])
            elif word.startswith("."):
                key, _, value = word.partition("=")
                api_attrs[key] = value
        tag = api_attrs.get(".tag")
        with self._lock:
            self.log.append((command, dict(args)))

        def tagged(reply):
            return [*reply, f".tag={tag}"] if tag is not None else reply

        if command == "/login":
            replies, close = self._login(conn, args)
            return [tagged(r) for r in replies], False, close
        if not conn.logged_in:
            return [["!fatal", "not logged in"]], False, True
        if command == "/quit":
            return [["!fatal", "session terminated on request"]], False, True
        try:
            with self._lock:
                for index, (cmd, message, category) in enumerate(self._traps):
                    if cmd == command:
                        del self._traps[index]
                        raise Trap(message, category)
                rows, paced = self._run(command, args, queries)
        except Trap as trap:
            reply = ["!trap", f"=message={trap.message}"]
            if trap.category is not None:
                reply.insert(1, f"=category={trap.category}")
            return [tagged(reply), tagged(["!done"])], False, False
        replies = [tagged(["!re", *(f"={k}={v}" for k, v in row.items())]) for row in rows[:-1]]
        verb = command.rpartition("/")[2]
        if self.empty_reply and not replies and not rows[-1] and verb in ("print", "getall"):
            replies = [tagged(["!empty"])]
        done = ["!done", *(f"={k}={v}" for k, v in rows[-1].items())]
        return [*replies, tagged(done)], paced, False

    def _login(self, conn, args):
        if "name" in args and "password" in args:
            ok = args["name"] == self.username and args["password"] == self.password
        elif "name" in args and "response" in args and conn.challenge:
            digest = hashlib.md5(
                b"\x00" + self.password.encode() + bytes.fromhex(conn.challenge)
            ).hexdigest()
            ok = args["name"] == self.username and args["response"] == "00" + digest
        elif not args:
            # Pre-6.43 clients first ask for a challenge.
            conn.challenge = secrets.token_hex(16)
            return [["!done", f"=ret={conn.challenge}"]], False
        else:
            ok = False
        if not ok:
            # RouterOS answers the trap, then drops the connection.
            return [["!trap", f"=message={LOGIN_FAILED}"], ["!done"]], True
        conn.logged_in = True
        return [["!done"]], False

    def _run(self, command, args, queries):
        """Run a command; returns (rows, paced): every row but the last is a ``!re``."""
        if command in ("/ping", "/tool/ping"):
            return self._ping(args), True
        if command == "/cancel":
            return [{}], False
        path, _, verb = command.rpartition("/")
        if verb in ("print", "getall"):
            singleton = {
                "/system/resource": self._resource,
                "/system/identity": lambda: {"name": self.identity},
            }.get(path)
            if singleton is not None:
                return [singleton(), {}], False
        if path not in self._tables:
            raise Trap("no such command prefix", category=0)
        table = self._tables[path]
        verbs = {
            "print": self._cmd_print,
            "getall": self._cmd_print,
            "remove": self._cmd_remove,
        }
        if table.menu.can_add:
            verbs["add"] = lambda _table, args, _queries: [{"ret": self._add(_table, args)}]
        if table.menu.can_set:
            verbs.update(set=self._cmd_set, unset=self._cmd_unset)
        if path == "/queue/simple":
            verbs.update(
                {
                    "reset-counters": self._cmd_reset,
                    "reset-counters-all": self._cmd_reset,
                }
            )
        if verb not in verbs:
            raise Trap("no such command", category=0)
        return verbs[verb](table, args, queries), False

    def _cmd_print(self, table, args, queries):
        rows = self._print(table, args, queries)
        if "count-only" in args:
            return [{"ret": str(len(rows))}]
        return [*rows, {}]

    def _cmd_set(self, table, args, _queries):
        values = {k: v for k, v in args.items() if k not in (".id", "numbers")}
        for entry_id in self._targets(table, args):
            self._set(table, entry_id, dict(values))
        return [{}]

    def _cmd_unset(self, table, args, _queries):
        field = args.get("value-name", "")
        if field not in table.menu.fields:
            raise Trap(f"unknown parameter {field}", category=1)
        for entry_id in self._targets(table, args):
            table.update(entry_id, {}, unset=(field,))
        return [{}]

    def _cmd_remove(self, table, args, _queries):
        for entry_id in self._targets(table, args):
            self._remove(table, entry_id)
        return [{}]

    def _cmd_reset(self, table, args, _queries):
        ids = (
            list(table.rows)
            if "numbers" not in args and ".id" not in args
            else (self._targets(table, args))
        )
        for entry_id in ids:
            table.update(entry_id, {"bytes": "0/0", "packets": "0/0", "dropped": "0/0"})
        return [{}]

    def _targets(self, table, args):
        ref = args.get(".id", args.get("numbers"))
        if not ref:
            raise Trap("missing value(s) of argument(s) .id", category=1)
        # Resolve every id first: RouterOS refuses the whole list if one is unknown.
        return [table.lookup(part.strip()) for part in ref.split(",") if part.strip()]

    def _printable(self, entry_id, row):
        out = {".id": entry_id}
        for key, value in row.items():
            if not key.startswith("_"):
                out[key] = value
        if "_since" in row:
            out["uptime"] = ros_duration(time.monotonic() - row["_since"])
        return out

    def _print(self, table, args, queries):
        proplist = args.get(".proplist")
        fields = [f for f in proplist.split(",") if f] if proplist else None
        rows = []
        for entry_id, row in table.rows.items():
            item = self._printable(entry_id, row)
            for field in table.menu.hidden:
                item.pop(field, None)
            if queries and not _matches(queries, item):
                continue
            if fields is not None:
                item = {f: item[f] for f in fields if f in item}
            if not self.sensitive:
                # RouterOS leaves hidden properties out of the reply altogether.
                item = {f: v for f, v in item.items() if f not in SENSITIVE_FIELDS}
            rows.append(item)
        return rows

    def _validate(self, table, values):
        menu = table.menu
        for field in values:
            if field not in menu.fields:
                raise Trap(f"unknown parameter {field}", category=1)
        if "mac-address" in values and menu.path == "/ip/dhcp-server/lease":
            # RouterOS takes any case and prints upper case with colons.
            mac = values["mac-address"].upper()
            if not MAC_TEXT.fullmatch(mac):
                raise Trap("invalid value for argument mac-address", category=1)
            values["mac-address"] = mac
        for field, value in values.items():
            if field in BOOLEANS:
                values[field] = _bool_text(value)
            if field in DURATIONS:
                seconds = parse_duration(value)
                if seconds is None:
                    raise Trap(f"value of {field} is not a time interval", category=1)
                values[field] = ros_duration(seconds)
        for field, target in menu.references.items():
            if field in values and (values[field],) not in self._tables[target].index:
                raise Trap(f"input does not match any value of {field}", category=1)

    def _add(self, table, args, check=True):
        menu = table.menu
        values = dict(args)
        if check:
            self._validate(table, values)
            missing = [field for field in menu.required if not values.get(field)]
            if missing:
                raise Trap(f"missing value(s) of argument(s) {', '.join(missing)}", category=1)
        if menu.path == "/queue/simple" and not values.get("name"):
            values["name"] = f"queue{len(table.rows) + 1}"
        if menu.path == "/ip/firewall/address-list":
            values.setdefault("creation-time", time.strftime("%Y-%m-%d %H:%M:%S"))
        # Key fields (name) first, as RouterOS prints them.
        keys = {field: values[field] for field in menu.key if field in values}
        return table.insert({**keys, **menu.defaults, **menu.readonly, **values})

    def _set(self, table, entry_id, values):
        self._validate(table, values)
        table.update(entry_id, values)

    def _remove(self, table, entry_id):
        row = table.rows[entry_id]
        if row.get("default") == "true":
            raise Trap("failure: cannot remove default profile")
        table.delete(entry_id)
        # A closed session takes its dynamic queue and address-list entry with it.
        for link, path in (("_queue", "/queue/simple"), ("_address", "/ip/firewall/address-list")):
            linked = self._tables[path]
            if row.get(link) in linked.rows:
                linked.delete(row[link])

    def _ping(self, args):
        address = args.get("address")
        if not address:
            raise Trap("missing value(s) of argument(s) address", category=1)
        try:
            count = int(args.get("count", "4"))  # RouterOS pings until /cancel without count
        except ValueError:
            raise Trap("value of count out of range (1..4294967295)", category=1) from None
        major = int(self.version.split(".")[0])
        host = self._hosts.get(address)
        rows, times = [], []
        for seq in range(count):
            row = {"seq": str(seq), "host": address}
            if host is not None and seq not in host.lost:
                rtt = host.rtt_ms[seq % len(host.rtt_ms)]
                times.append(rtt)
                row.update(size="56", ttl="64", time=ros_ms(rtt, major))
            else:
                row["status"] = host.status if host else self.unreachable_status
            row.update(
                sent=str(seq + 1),
                received=str(len(times)),
                **{"packet-loss": str(100 * (seq + 1 - len(times)) // (seq + 1))},
            )
            if times:
                row.update(
                    {
                        "min-rtt": ros_ms(min(times), major),
                        "avg-rtt": ros_ms(sum(times) / len(times), major),
                        "max-rtt": ros_ms(max(times), major),
                    }
                )
            rows.append(row)
        return [*rows, {}]

    def _resource(self):
        return {
            "uptime": ros_duration(time.monotonic() - self._started),
            "version": f"{self.version} (stable)",
            "build-time": "2024-10-04 11:30:00",
            "factory-software": "7.1",
            "free-memory": "3662102528",
            "total-memory": "4294967296",
            "cpu": "ARM64",
            "cpu-count": "4",
            "cpu-frequency": "1700",
            "cpu-load": str(self.cpu_load),
            "free-hdd-space": "91553792",
            "total-hdd-space": "134217728",
            "architecture-name": "arm64",
            "board-name": "CCR2004-1G-12S+2XS",
            "platform": "MikroTik",
        }


def _compare(value, other):
    try:
        return (int(value) > int(other)) - (int(value) < int(other))
    except ValueError:
        return (value > other) - (value < other)


def _stack_ops(stack, ops):
    """Apply ``?#`` operations: ``!`` not, ``&`` and, ``|`` or, ``.`` dup, digit copy."""
    for op in ops:
        if op == "!":
            stack.append(not stack.pop())
        elif op in "&|":
            right, left = stack.pop(), stack.pop()
            stack.append(left and right if op == "&" else left or right)
        elif op == ".":
            stack.append(stack[-1])
        elif op.isdigit():
            stack.append(stack[int(op)])
        else:
            raise Trap(f"unknown query operation {op}", category=5)


def _test(word, row):
    """One query word: ``name``, ``-name``, ``name=x``, ``=name=x``, ``<name=x``, ``>name=x``."""
    if word.startswith("-"):
        return word[1:] not in row
    op, body = ("=", word)
    if word and word[0] in "=<>":
        op, body = word[0], word[1:]
    if "=" not in body:
        return body in row
    name, _, value = body.partition("=")
    if op == "=":
        return row.get(name, "") == value
    if name not in row:
        return False
    order = _compare(row[name], value)
    return order < 0 if op == "<" else order > 0


def _matches(queries, row):
    """Evaluate RouterOS query words (without the leading ``?``) on one row.

    Each word pushes a result on a stack, ``#`` words combine them, and the row
    matches when every value left on the stack is true.
    """
    stack = []
    for word in queries:
        if word.startswith("#"):
            _stack_ops(stack, word[1:])
        else:
            stack.append(_test(word, row))
    return all(stack)
