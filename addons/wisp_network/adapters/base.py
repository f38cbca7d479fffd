"""The one interface every provisioning backend implements.

The suite computes, for every service, the state a router must hold
(:class:`ServiceState`) and hands the whole desired set of one router to
:meth:`Backend.apply`. A backend reads what the router actually holds, compares,
and changes only the difference, so applying the same desired state twice writes
nothing the second time (idempotent jobs, cheap periodic reconcile).
"""

import abc
import dataclasses


class BackendError(Exception):
    """The router or RADIUS database refused, failed or did not answer.

    ``transient`` tells the job queue whether a retry may succeed (timeout,
    connection refused) or not (bad credentials, a refused command).
    Messages never contain a password.
    """

    def __init__(self, message, transient=True):
        super().__init__(message)
        self.transient = transient


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

    ``kind`` is ``pppoe`` or ``hotspot``. ``restricted`` puts the login's address
    in the ``wisp-restricted`` address list (RouterOS) or the restricted RADIUS
    group, which the router's firewall sends to the captive page. A terminated
    service is simply absent from the desired set. ``remote_address`` is the
    subscriber's IPv4 address, ``ipv6_prefix`` the IPv6 prefix delegated to its
    router (PPPoE; hotspot users have none), both empty when dynamic.
    """

    login: str
    password: str
    kind: str
    profile: SpeedProfile
    restricted: bool = False
    remote_address: str = ""
    comment: str = ""
    ipv6_prefix: str = ""


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
    """Byte counters of one login since the backend started counting."""

    login: str
    download_bytes: int
    upload_bytes: int


class Backend(abc.ABC):
    """A NAS the suite provisions. Every method may raise :class:`BackendError`."""

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

    @abc.abstractmethod
    def ping(self, address, count=5):
        """Ping ``address`` from the NAS; returns a :class:`PingResult`."""

    @abc.abstractmethod
    def read_usage(self):
        """Return a list of :class:`Usage`, one per login that has counters."""

    def close(self):  # noqa: B027 - optional hook, most backends hold a connection
        """Release the connection; the default has nothing to release."""
