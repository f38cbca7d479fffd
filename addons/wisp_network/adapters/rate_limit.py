"""The one reader of MikroTik ``rate-limit`` strings (PPP/hotspot profiles and
the RADIUS ``Mikrotik-Rate-Limit`` attribute).

RouterOS documents the format as
``rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
[rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]``, seen
from the router: rx is the subscriber's upload, tx its download. Its defaults:
a missing tx value takes the rx value; a missing burst threshold is the rate
itself; a missing burst time is 1 s. Rates take ``k``/``M``/``G`` suffixes,
burst times RouterOS durations (``8``, ``8s``, ``1m``, ``1m30s``).
"""

import re

from .base import SpeedProfile

_RATE = re.compile(r"(\d+(?:\.\d+)?)([kKmMgG]?)")
_RATE_FACTOR = {"": 0.001, "k": 1, "m": 1000, "g": 1000000}  # to kbit/s
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
_DURATION_S = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
DEFAULT_BURST_TIME_S = 1


def _kbps(token, value):
    match = _RATE.fullmatch(token)
    if not match:
        raise ValueError(f"rate-limit {value!r}: {token!r} is not a rate")
    return round(float(match.group(1)) * _RATE_FACTOR[match.group(2).lower()])


def _seconds(token, value):
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return round(float(token))
    units = _DURATION.findall(token)
    if not units or "".join(n + u for n, u in units) != token:
        raise ValueError(f"rate-limit {value!r}: {token!r} is not a duration")
    return round(sum(float(number) * _DURATION_S[unit] for number, unit in units))


def _pair(token):
    """``rx/tx`` -> (rx, tx); a missing tx takes rx."""
    rx, _, tx = token.partition("/")
    return rx, tx or rx


def parse_rate_limit(value, name=None):
    """A :class:`SpeedProfile` from a rate-limit string (named ``name``, default the string).

    ``SpeedProfile`` keeps one threshold percentage: it is taken from the rx
    (upload) side, the side RouterOS also falls back on. Priority and minimum
    rates (fifth and sixth parts) have no place in a profile and are ignored.
    Raises ``ValueError`` naming the bad token.
    """
    value = (value or "").strip()
    name = value if name is None else name
    parts = [_pair(part) for part in value.split()]
    if not parts:
        return SpeedProfile(name=name, download_kbps=0, upload_kbps=0)
    if len(parts) > 6:
        raise ValueError(f"rate-limit {value!r}: more than six parts")
    up, down = (_kbps(token, value) for token in parts[0])
    fields = {"name": name, "upload_kbps": up, "download_kbps": down}
    if len(parts) >= 2:
        burst_up, burst_down = (_kbps(token, value) for token in parts[1])
        threshold_pct = 100  # documented: no threshold means the rate itself
        if len(parts) >= 3:
            thr_up, thr_down = (_kbps(token, value) for token in parts[2])
            rate, threshold = (up, thr_up) if up else (down, thr_down)
            threshold_pct = round(100 * threshold / rate) if rate else 100
        burst_time = DEFAULT_BURST_TIME_S
        if len(parts) >= 4:
            burst_time = _seconds(parts[3][0], value)
        fields.update(
            burst_upload_kbps=burst_up,
            burst_download_kbps=burst_down,
            burst_threshold_pct=threshold_pct,
            burst_time_s=burst_time,
        )
    if len(parts) >= 5 and not re.fullmatch(r"[1-8]", parts[4][0]):
        raise ValueError(f"rate-limit {value!r}: priority {parts[4][0]!r} is not 1..8")
    return SpeedProfile(**fields)
