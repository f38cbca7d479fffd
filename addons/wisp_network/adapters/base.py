"""The one interface every provisioning backend implements.

The suite computes, for every service, the state a router must hold
(:class:`ServiceState`) and hands the whole desired set of one router to
:meth:`Backend.apply`. A backend reads what the router actually holds, compares,
and changes only the difference, so applying the same desired state twice writes
nothing the second time (idempotent jobs, cheap periodic reconcile).
"""

import abc
import dataclasses
import datetime
import re
import time


class BackendError(Exception):
    """The router or RADIUS database refused, failed or did not answer.

    ``transient`` tells the job queue whether a retry may succeed (timeout,
    connection refused) or not (bad credentials, a refused command).
    Messages never contain a password.
    """

    def __init__(self, message, transient=True, report=None):
        super().__init__(message)
        self.transient = transient
        # an apply that failed for some logins: the ApplyReport of the others
        self.report = report


class BackendUnsupported(BackendError):
    """The backend cannot do this at all (e.g. ping from a RADIUS router without API
    access): nothing was contacted, so it says nothing about the router's health."""

    def __init__(self, message):
        super().__init__(message, transient=False)


@dataclasses.dataclass(frozen=True)
class SpeedProfile:
    """A plan's speed as the NAS enforces it (kbit/s; 0 burst = no burst)."""

    name: str
    download_kbps: int
    upload_kbps: int
    burst_download_kbps: int = 0
    burst_upload_kbps: int = 0
    burst_threshold_pct: int = 75
    burst_time_s: int = 8

    @property
    def rate_limit(self):
        """MikroTik rate-limit string, ``rx/tx`` from the router's point of view.

        The router's rx is the subscriber's upload, so upload comes first:
        ``up/down [burst-up/burst-down threshold-up/threshold-down time/time]``.
        """
        rate = f"{self.upload_kbps}k/{self.download_kbps}k"
        if not (self.burst_download_kbps or self.burst_upload_kbps):
            return rate
        burst_up = self.burst_upload_kbps or self.upload_kbps
        burst_down = self.burst_download_kbps or self.download_kbps
        thr_up = self.upload_kbps * self.burst_threshold_pct // 100
        thr_down = self.download_kbps * self.burst_threshold_pct // 100
        return (
            f"{rate} {burst_up}k/{burst_down}k {thr_up}k/{thr_down}k "
            f"{self.burst_time_s}/{self.burst_time_s}"
        )


@dataclasses.dataclass(frozen=True)
class ServiceState:
    """What one subscriber service must look like on its NAS.

    ``kind`` is ``pppoe``, ``hotspot`` or ``dhcp`` (IPoE: the DHCP server knows
    the subscriber by its CPE's MAC, so ``login`` is that MAC, ``AA:BB:CC:DD:EE:FF``
    as RouterOS prints it and sends it in RADIUS ``User-Name``, ``mac`` the same
    MAC, ``password`` empty and ``remote_address`` required). ``restricted`` puts
    the login's address in the ``wisp-restricted`` address list (RouterOS) or the
    restricted RADIUS group, which the router's firewall sends to the captive page.
    A terminated service is simply absent from the desired set. ``remote_address`` is
    the subscriber's IPv4 address, ``ipv6_prefix`` the IPv6 prefix delegated to its
    router (PPPoE; hotspot and DHCP logins have none), both empty when dynamic.

    ``uptime_limit_s`` (0: none) is the login's total online time: the NAS refuses
    the login and ends its session once the online time it has counted reaches it
    (RouterOS hotspot ``limit-uptime``; RADIUS ``Max-All-Session`` checked by the
    ``wisp_uptime_counter`` sqlcounter over ``radacct``, which answers the rest as
    ``Session-Timeout``).
    """

    login: str
    password: str = dataclasses.field(repr=False)  # kept out of logs and tracebacks
    kind: str
    profile: SpeedProfile
    restricted: bool = False
    remote_address: str = ""
    comment: str = ""
    ipv6_prefix: str = ""
    mac: str = ""
    uptime_limit_s: int = 0


MAC_LOGIN = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}")


def check_dhcp_state(state):
    """Raise unless a ``dhcp`` state can be provisioned: its login is its MAC (upper
    case, colons: the form the NAS uses) and it has the address the lease hands out."""
    if not MAC_LOGIN.fullmatch(state.mac) or state.login != state.mac:
        raise BackendError(
            f"DHCP service {state.comment or state.login!r}: login {state.login!r} must be "
            f"its CPE MAC in the form AA:BB:CC:DD:EE:FF (MAC {state.mac!r})",
            transient=False,
        )
    if not state.remote_address:
        raise BackendError(
            f"DHCP service {state.comment or state.login!r} (MAC {state.mac}) has no "
            "address: a DHCP lease needs the address it hands out",
            transient=False,
        )


@dataclasses.dataclass
class ApplyReport:
    """What :meth:`Backend.apply` changed; empty lists mean nothing was written."""

    created: list = dataclasses.field(default_factory=list)
    updated: list = dataclasses.field(default_factory=list)
    removed: list = dataclasses.field(default_factory=list)

    @property
    def changed(self):
        return bool(self.created or self.updated or self.removed)


@dataclasses.dataclass(frozen=True)
class PingResult:
    sent: int
    received: int
    min_ms: float
    avg_ms: float
    max_ms: float

    @property
    def loss_pct(self):
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0


@dataclasses.dataclass(frozen=True)
class Usage:
    """Byte counters of one login since the backend started counting.

    ``monotonic``: a total that never restarts from zero (RADIUS accounting
    folded per login); a lower reading is a late correction, not a reset.
    Otherwise a lower reading means the counter restarted (a RouterOS queue
    is dropped with its session).
    """

    login: str
    download_bytes: int
    upload_bytes: int
    monotonic: bool = False


@dataclasses.dataclass(frozen=True)
class Session:
    """One subscriber session open on a NAS right now.

    ``started`` is a naive UTC datetime (Odoo's convention); bytes count from the
    session's start, from the subscriber's side (download: sent to the subscriber).
    ``session_id`` is unique on its NAS while the session lives (RouterOS
    ``session-id`` or the active entry's ``.id``; RADIUS ``Acct-Session-Id``).
    ``nas`` is the address of the NAS that holds it.
    """

    login: str
    session_id: str
    kind: str  # pppoe, hotspot, dhcp
    nas: str = ""
    address: str = ""
    mac: str = ""
    started: datetime.datetime | None = None
    download_bytes: int = 0
    upload_bytes: int = 0

    def uptime_seconds(self, now=None):
        if self.started is None:
            return 0
        now = now or datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        return max(0, int((now - self.started).total_seconds()))


class Backend(abc.ABC):
    """A NAS the suite provisions. Every method may raise :class:`BackendError`."""

    # True when ``apply`` itself drops the sessions of the logins it changed (so
    # they reconnect with the new settings); otherwise the job runner kicks them.
    kicks_on_apply = False

    @abc.abstractmethod
    def read_state(self):
        """Return ``{login: ServiceState}`` for every entry the suite manages."""

    @abc.abstractmethod
    def apply(self, desired, logins=None):
        """Make the NAS hold exactly ``desired`` (an iterable of ServiceState).

        With ``logins`` (a set), only those logins are compared and changed: a
        login in ``logins`` but absent from ``desired`` is removed. Without it the
        whole managed set is reconciled and every unknown managed entry removed.
        Returns an :class:`ApplyReport`.
        """

    @abc.abstractmethod
    def disconnect(self, login):
        """Drop the login's active session so a new speed or status applies now.

        Returns True when a session was found and dropped.
        """

    def disconnect_many(self, logins, deadline=None):
        """:meth:`disconnect` for several logins, stopping at ``deadline``
        (``time.monotonic()``); returns ``{login: True | False | BackendError}``,
        so one login's failure leaves the others' outcomes. Backends that can
        kick concurrently override it."""
        results = {}
        for login in sorted(set(logins)):
            if deadline is not None and time.monotonic() >= deadline:
                results[login] = BackendError(
                    f"the disconnect of {login} was not tried before the batch's deadline"
                )
                continue
            try:
                results[login] = self.disconnect(login)
            except BackendError as exc:
                results[login] = exc
        return results

    @abc.abstractmethod
    def ping(self, address, count=5):
        """Ping ``address`` from the NAS; returns a :class:`PingResult`."""

    @abc.abstractmethod
    def read_usage(self):
        """Return a list of :class:`Usage`, one per login that has counters."""

    def first_logins(self, since):
        """``{login: first session start (naive UTC)}`` for the logins of ``since``
        (``{login: naive UTC datetime}``) that have had a session since that moment.

        By default from the open sessions (:meth:`read_sessions`), a session that
        runs across ``since`` counting from it: one that came and went between two
        reads is not seen (the NAS's own online-time counter still counted it).
        Backends that keep ended sessions read those too.
        """
        if not since:
            return {}
        starts = {}
        for session in self.read_sessions(set(since)):
            start = max(session.started or since[session.login], since[session.login])
            starts[session.login] = min(start, starts.get(session.login, start))
        return starts

    @abc.abstractmethod
    def read_sessions(self, logins=None):
        """Return the open sessions (a list of :class:`Session`), of ``logins`` (a set)
        only when given. A login may have several (hotspot shared users)."""

    def read_session_ends(self, sessions):
        """``{(login, session id): (stop, cause)}`` for those of ``sessions`` (pairs)
        that ended, where the backend keeps ended sessions (``stop`` naive UTC,
        ``cause`` as the NAS reported it). The default knows none: a router forgets
        a session when it ends."""
        return {}

    def read_usage_since(self, cursor):
        """Return ``(usages, cursor)``: the counters changed since the read that
        returned ``cursor`` (None: all), and the cursor for the next read. The
        default reads everything every time and has no cursor."""
        return self.read_usage(), None

    def close(self):  # noqa: B027 - optional hook, most backends hold a connection
        """Release the connection; the default has nothing to release."""

    def _secrets(self):
        """Every password and secret this backend holds now: never in a message."""
        return ()

    def _scrub(self, text):
        # longest first: a secret that contains another is hidden whole
        for word in sorted(set(self._secrets()), key=len, reverse=True):
            if word:
                text = text.replace(word, "***")
        return text
