"""FreeRADIUS with many routers: 50,000 logins over 10 NAS on one database.

Runs the adapter (``addons/wisp_network/adapters/radius.py``) against a
throw-away PostgreSQL database holding FreeRADIUS's schema, and the real
radiusd with the shipped configuration (``deploy/freeradius``) in production
mode (``-f``: threads, no debug), reading its 10 clients from the ``nas``
table. Prints:

* provisioning: the full apply of every NAS (wall time, SQL statements);
* an unchanged re-apply of every NAS: statements, rows written (must be 0);
* a one-login sync (``apply(logins={x})`` with a changed password, then the
  same again, unchanged): median and p99 over 200 logins;
* Access-Requests (PAP, each NAS from its own loopback address with its own
  secret, to its own logins): throughput and latency p50/p99 at 1, 8 and 32
  outstanding requests, and the CPU radiusd's PostgreSQL backends spent per
  request (the SQL per request is fixed by the queries: 2 SELECTs for an
  accepted active login, 5 for a restricted one, see ``tests/network/test_radius_multinas.py``).

No Odoo needed. The machine may be shared: figures vary with its load.

    bin/wisp bench --only radius -- --services 50000 --nas 10
"""

import argparse
import os
import pathlib
import random
import select
import socket
import statistics
import sys
import time

from common import load_module

ROOT = pathlib.Path(__file__).resolve().parent.parent
EMULATORS = ROOT / "addons" / "wisp_network" / "tests" / "emulators"
ADAPTERS = ROOT / "addons" / "wisp_network" / "adapters"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load_modules():
    load_module("wisp_network_adapters", ADAPTERS / "__init__.py", package=True)
    sys.path.insert(0, str(EMULATORS))
    import radius_harness
    from wisp_network_adapters import base, radius

    return radius_harness, base, radius


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


class WriteCounter:
    """Counts the statements of a backend and those that write."""

    def __init__(self, backend):
        self.statements = self.writes = 0
        real = backend._execute
        real_values = backend._execute_values

        def execute(cur, query, params=None):
            self.statements += 1
            text = query if isinstance(query, str) else query.as_string(cur)
            if text.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                self.writes += 1
            return real(cur, query, params)

        def execute_values(cur, query, rows, template=None):
            rows = list(rows)
            if rows:
                self.statements += 1
                self.writes += 1
            return real_values(cur, query, rows, template)

        backend._execute = execute
        backend._execute_values = execute_values


def provision(backends, desired):
    started = time.perf_counter()
    counters = [WriteCounter(b) for b in backends]
    reports = [b.apply(desired[b.nas.address]) for b in backends]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "statements": sum(c.statements for c in counters),
        "writes": sum(c.writes for c in counters),
        "created": sum(len(r.created) for r in reports),
        "changed": sum(len(r.created) + len(r.updated) + len(r.removed) for r in reports),
    }


def one_login_syncs(backends, desired, samples, base):
    """``(changed, unchanged)`` times of one-login applies; a changed one commits
    a write (its WAL flush is most of the time), an unchanged one only reads."""
    times, unchanged = [], []
    rng = random.Random(7)
    for i in range(samples):
        backend = backends[i % len(backends)]
        service = rng.choice(desired[backend.nas.address])
        changed = base.ServiceState(
            login=service.login,
            password=f"{service.password}-{i}",
            kind=service.kind,
            profile=service.profile,
        )
        started = time.perf_counter()
        report = backend.apply([changed], logins={service.login})
        times.append(time.perf_counter() - started)
        assert report.updated == [service.login], report
        started = time.perf_counter()
        report = backend.apply([changed], logins={service.login})
        unchanged.append(time.perf_counter() - started)
        assert not report.changed, report
    return times, unchanged


# -------------------------------------------------------------- Access-Requests


def build_requests(radiusd, nases, desired, count, passwords):
    """Pre-built Access-Requests, round robin over the NAS: ``[(nas index, id, bytes)]``."""
    import pyrad.packet

    rng = random.Random(11)
    requests = []
    clients = [radiusd.client(secret=nas.secret) for nas in nases]  # packet builders only
    for i in range(count):
        index = i % len(nases)
        nas = nases[index]
        service = rng.choice(desired[nas.address])
        packet = clients[index].CreateAuthPacket(
            code=pyrad.packet.AccessRequest,
            User_Name=service.login,
            NAS_IP_Address=nas.address,
            NAS_Port=1,
            Service_Type="Framed-User",
            Framed_Protocol="PPP",
            message_authenticator=True,
        )
        packet.id = (i // len(nases)) % 256
        packet["User-Password"] = packet.PwCrypt(passwords[service.login])
        requests.append((index, packet.id, packet.RequestPacket()))
    return requests


def fire(radiusd, nases, requests, outstanding, timeout=5.0):
    """Send ``requests``, ``outstanding`` in flight: ``(seconds, latencies, accepts)``."""
    sockets = []
    for nas in nases:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((nas.address, 0))
        sock.setblocking(False)
        sockets.append(sock)
    by_fd = {sock.fileno(): index for index, sock in enumerate(sockets)}
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLIN)
    target = (radiusd.host, radiusd.auth_port)
    in_flight = {}
    latencies = []
    accepts = 0
    position = 0
    started = time.perf_counter()
    deadline = started + timeout + len(requests) * 0.05
    while position < len(requests) or in_flight:
        while position < len(requests) and len(in_flight) < outstanding:
            index, packet_id, data = requests[position]
            if (index, packet_id) in in_flight:
                break  # that id is still out: wait for its answer
            sockets[index].sendto(data, target)
            in_flight[(index, packet_id)] = time.perf_counter()
            position += 1
        for fd, _event in poller.poll(100):
            index = by_fd[fd]
            while True:
                try:
                    data = sockets[index].recv(4096)
                except BlockingIOError:
                    break
                sent = in_flight.pop((index, data[1]), None)
                if sent is not None:
                    latencies.append(time.perf_counter() - sent)
                    accepts += data[0] == 2  # Access-Accept
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{len(in_flight)} requests unanswered")
    seconds = time.perf_counter() - started
    for sock in sockets:
        sock.close()
    return seconds, latencies, accepts


def fetch_rows(dsn, sql):
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def postgres_cpu(dsn):
    """``{pid: CPU seconds}`` of radiusd's PostgreSQL backends (application_name)."""
    backends = fetch_rows(
        dsn,
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'FreeRADIUS%%' "
        "AND datname = current_database()",
    )
    usage = {}
    for (pid,) in backends:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        usage[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return usage


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=50000)
    parser.add_argument("--nas", type=int, default=10)
    parser.add_argument("--requests", type=int, default=6000, help="per concurrency level")
    parser.add_argument("--syncs", type=int, default=200)
    args = parser.parse_args()
    harness, base, radius = load_modules()

    profile = base.SpeedProfile("Home 20M", download_kbps=20000, upload_kbps=5000)
    nases = [
        radius.RadiusNas(f"127.0.1.{i + 1}", secret=f"bench-nas-{i}", shortname=f"tower-{i}")
        for i in range(args.nas)
    ]
    desired = {nas.address: [] for nas in nases}
    passwords = {}
    for i in range(args.services):
        nas = nases[i % len(nases)]
        login = f"bench{i:06d}"
        passwords[login] = f"pw-{login}"
        desired[nas.address].append(
            base.ServiceState(
                login=login,
                password=passwords[login],
                kind="hotspot" if i % 10 == 0 else "pppoe",
                profile=profile,
                restricted=i % 50 == 0,
            )
        )

    with harness.postgres_database("wisp_bench_radius") as dsn:
        backends = [radius.RadiusBackend(dsn, nas=nas) for nas in nases]
        backends[0].apply_clients(nases)
        first = provision(backends, desired)
        second = provision(backends, desired)
        syncs, unchanged_syncs = one_login_syncs(backends, desired, args.syncs, base)
        for backend in backends:
            backend.close()
        # the syncs changed passwords: read them back as the requests need them
        for login, password in harness_passwords(dsn):
            passwords[login] = password

        print(f"services {args.services} over {args.nas} NAS on one FreeRADIUS database")
        print(
            f"provisioning (full apply of every NAS)  {first['seconds']:7.2f} s  "
            f"{first['statements']:5d} statements  {first['created']} logins created"
        )
        print(
            f"unchanged re-apply of every NAS         {second['seconds']:7.2f} s  "
            f"{second['statements']:5d} statements  {second['writes']} writes  "
            f"{second['changed']} logins changed"
        )
        print(
            "one-login sync (changed password)       "
            f"median {statistics.median(syncs) * 1000:.1f} ms  "
            f"p99 {percentile(syncs, 99) * 1000:.1f} ms  ({len(syncs)} syncs)"
        )
        print(
            "one-login sync (unchanged: reads only)  "
            f"median {statistics.median(unchanged_syncs) * 1000:.1f} ms  "
            f"p99 {percentile(unchanged_syncs, 99) * 1000:.1f} ms"
        )

        radiusd = harness.RadiusServer(dsn, debug=False).start()
        try:
            for outstanding in (1, 8, 32):
                count = args.requests // 3 if outstanding == 1 else args.requests
                requests = build_requests(radiusd, nases, desired, count, passwords)
                fire(radiusd, nases, requests[:200], outstanding)  # warm the pool and caches
                before = postgres_cpu(dsn)
                seconds, latencies, accepts = fire(radiusd, nases, requests, outstanding)
                after = postgres_cpu(dsn)
                cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)
                print(
                    f"Access-Request  {outstanding:2d} outstanding  {count / seconds:7.0f} auth/s  "
                    f"p50 {statistics.median(latencies) * 1000:5.2f} ms  "
                    f"p99 {percentile(latencies, 99) * 1000:5.2f} ms  "
                    f"accepted {accepts}/{count}  "
                    f"PostgreSQL CPU {cpu * 1000 / count:.2f} ms per request"
                )
        finally:
            radiusd.stop()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared)")


def harness_passwords(dsn):
    return fetch_rows(
        dsn, "SELECT username, value FROM radcheck WHERE attribute = 'Cleartext-Password'"
    )


if __name__ == "__main__":
    main()
