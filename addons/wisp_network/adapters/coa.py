"""RFC 5176 Disconnect-Requests to many NAS at once, within a deadline.

One UDP socket per NAS, single-threaded (``select``): a NAS gets one request
until it has answered once, then up to ``window`` outstanding; a request
unanswered after ``attempts`` sends of ``timeout`` seconds each marks its NAS
unresponsive, and every other request for that NAS fails at once instead of
waiting in turn. Other NAS are not slowed down by it, and nothing runs past
``deadline``. The packets are pyrad's (the Request Authenticator and the
reply's Response Authenticator are checked with each NAS's own secret).
"""

import collections
import contextlib
import dataclasses
import ipaddress
import select
import socket
import time

ACK = "ack"
NAK = "nak"
NO_ANSWER = "no answer"
UNRESPONSIVE = "unresponsive"
REFUSED = "refused"
DEADLINE = "deadline"

MAX_WINDOW = 255  # one socket per NAS: 256 identifiers


@dataclasses.dataclass
class Disconnect:
    """One Disconnect-Request: where it goes, with which secret, for whom."""

    key: object  # the caller's handle on the outcome
    nas: str
    secret: bytes
    attributes: dict
    packet: object = None
    raw: bytes = b""
    sends: int = 0
    due: float = 0.0


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one request: ``status`` is one of the module's constants;
    ``sends`` counts the packets actually sent; ``cause`` is a NAK's Error-Cause."""

    status: str
    sends: int = 0
    cause: object = None


class _Nas:
    def __init__(self, address, port):
        self.address = address
        self.queue = collections.deque()
        self.in_flight = {}
        self.free_ids = collections.deque(range(256))
        self.answered = False
        self.failure = None
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        try:
            # connected: the kernel drops datagrams from any other address
            self.sock.connect((address, port))
        except OSError:  # no route to it from here
            self.failure = REFUSED

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def send_disconnects(
    requests, *, port, dictionary, timeout=3.0, attempts=2, window=16, deadline=None
):
    """Send every :class:`Disconnect`; returns ``{key: Outcome}``.

    ``deadline`` is a ``time.monotonic()`` value; requests not answered by then
    end with ``DEADLINE`` (those never sent have ``sends == 0``).
    """
    batch = _Batch(port, dictionary, timeout, max(1, attempts), max(1, min(window, MAX_WINDOW)))
    try:
        for request in requests:
            batch.add(request)
        batch.run(deadline)
    finally:
        batch.close()
    return batch.outcomes


class _Batch:
    def __init__(self, port, dictionary, timeout, attempts, window):
        self.port = port
        self.dictionary = dictionary
        self.timeout = timeout
        self.attempts = attempts
        self.window = window
        self.lanes = {}
        self.outcomes = {}

    def add(self, request):
        lane = self.lanes.get(request.nas)
        if lane is None:
            lane = self.lanes[request.nas] = _Nas(request.nas, self.port)
        if lane.failure:
            self.finish(request, lane.failure)
        else:
            lane.queue.append(request)

    def close(self):
        for lane in self.lanes.values():
            lane.close()

    def finish(self, request, status, cause=None):
        self.outcomes[request.key] = Outcome(status, request.sends, cause)

    def give_up(self, lane, status):
        """The NAS failed: its outstanding and waiting requests fail with it."""
        lane.failure = status
        for request in lane.in_flight.values():
            self.finish(request, status)
        lane.in_flight.clear()
        while lane.queue:
            self.finish(lane.queue.popleft(), UNRESPONSIVE)

    def transmit(self, lane, request, now):
        request.sends += 1
        request.due = now + self.timeout
        try:
            lane.sock.send(request.raw)
        except OSError:  # e.g. ICMP port unreachable reported on a connected socket
            self.give_up(lane, REFUSED)

    def send_next(self, lane, now):
        """Retransmit what is due (or give the NAS up), then fill its window."""
        import pyrad.packet

        for request in list(lane.in_flight.values()):
            if lane.failure is None and request.due <= now:
                if request.sends >= self.attempts:
                    self.give_up(lane, NO_ANSWER)
                else:
                    self.transmit(lane, request, now)
        # one request until the NAS has answered once
        limit = self.window if lane.answered else 1
        while lane.failure is None and lane.queue and len(lane.in_flight) < limit:
            request = lane.queue.popleft()
            request.packet = pyrad.packet.CoAPacket(
                code=pyrad.packet.DisconnectRequest,
                id=lane.free_ids.popleft(),
                secret=request.secret,
                dict=self.dictionary,
                **request.attributes,
            )
            request.raw = request.packet.RequestPacket()
            lane.in_flight[request.packet.id] = request
            self.transmit(lane, request, now)

    def run(self, deadline):
        lanes = list(self.lanes.values())
        while any(lane.queue or lane.in_flight for lane in lanes):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                for lane in lanes:
                    for request in [*lane.in_flight.values(), *lane.queue]:
                        self.finish(request, DEADLINE)
                    lane.in_flight.clear()
                    lane.queue.clear()
                return
            for lane in lanes:
                self.send_next(lane, now)
            waiting = [lane for lane in lanes if lane.in_flight]
            if not waiting:
                continue
            wake = min(r.due for lane in waiting for r in lane.in_flight.values())
            if deadline is not None:
                wake = min(wake, deadline)
            readable, _w, _x = select.select(
                [lane.sock for lane in waiting], [], [], max(0.0, wake - time.monotonic())
            )
            for lane in waiting:
                if lane.sock in readable:
                    self.read_replies(lane)

    def read_replies(self, lane):
        import pyrad.packet

        while lane.failure is None:
            try:
                raw = lane.sock.recv(4096)
            except BlockingIOError:
                return
            except OSError:
                self.give_up(lane, REFUSED)
                return
            request = lane.in_flight.get(raw[1]) if len(raw) >= 20 else None
            if request is None:
                continue  # garbage, or a late duplicate answer
            try:
                reply = request.packet.CreateReply(packet=raw)
            except pyrad.packet.PacketError:
                continue
            if not request.packet.VerifyReply(reply, raw):
                continue  # not signed with this NAS's secret: not its answer
            del lane.in_flight[request.packet.id]
            lane.free_ids.append(request.packet.id)
            lane.answered = True
            if reply.code == pyrad.packet.DisconnectACK:
                self.finish(request, ACK)
            else:
                self.finish(request, NAK, (reply.get("Error-Cause") or [None])[0])
