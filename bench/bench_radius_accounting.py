"""RADIUS accounting through FreeRADIUS, and the usage read at a million rows.

1. Accounting: Start then Interim-Update for N sessions (default 10,000) sent
   to a real radiusd running without debug output (``freeradius -f``, the sql
   module on PostgreSQL), ``--outstanding`` requests at a time (pyrad clients in
   threads); once with ``deploy/freeradius/wisp-accounting.sql`` loaded (its
   trigger folds every write into ``wisp_usage``) and once without, to show
   what the fold costs.
2. Usage read with ``--rows`` radacct history rows (default 1,000,000: 50,000
   logins, 20 sessions each, one open): the old read (a sum over all of
   radacct), the adapter's first read (every total), an incremental read after
   an hour of interim updates (``--active`` open sessions updated) and one with
   nothing changed; then a purge of closed sessions older than 180 days and the
   read after it (nothing: a purge changes no total).
3. Kicks: Disconnect-Requests for ``--kicks`` sessions spread over 10 NAS
   (CoA listeners on 127.0.0.2-11, secrets in the ``nas`` table), one of which
   does not answer, with the adapter's default timeout and retries: the
   batch's wall time and what reached each NAS.

The adapter is the suite's own (``addons/wisp_network/adapters``), loaded by
path; nothing of Odoo runs. Every database is a throw-away one.

    bin/wisp bench --only radius_accounting -- --sessions 10000 --rows 1000000
"""

import argparse
import pathlib
import statistics
import threading
import time

import psycopg2
from common import load_module

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "addons" / "wisp_network" / "adapters"


harness = load_module(
    "radius_harness", ROOT / "addons" / "wisp_network" / "tests" / "emulators" / "radius_harness.py"
)
load_module("wisp_network_adapters", ADAPTERS / "__init__.py", package=True)


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


# ------------------------------------------------------------------ accounting


def send_accounting(server, sessions, outstanding):
    """Start then Interim-Update per session, ``outstanding`` senders at once.

    Returns (seconds, latencies of every request in ms, failures)."""
    import pyrad.packet

    latencies, failures = [], []
    lock = threading.Lock()

    def sender(index):
        client = server.client(timeout=5.0, retries=3)
        mine, failed = [], 0
        try:
            for number in range(index, sessions, outstanding):
                login = f"bench{number}"
                for status, up, down in (("Start", 0, 0), ("Interim-Update", 1_000, 90_000)):
                    request = client.CreateAcctPacket(
                        User_Name=login,
                        NAS_IP_Address=f"10.1.{number % 10}.1",
                        NAS_Port=number,
                        Acct_Status_Type=status,
                        Acct_Session_Id=f"s{number}",
                        Acct_Input_Octets=up,
                        Acct_Output_Octets=down,
                        Framed_IP_Address=f"100.64.{number // 250 % 250}.{number % 250 + 1}",
                    )
                    began = time.perf_counter()
                    try:
                        reply = client.SendPacket(request)
                        ok = reply.code == pyrad.packet.AccountingResponse
                    except Exception:  # a timeout after the retries: count it
                        ok = False
                    mine.append((time.perf_counter() - began) * 1000)
                    failed += not ok
        finally:
            client._CloseSocket()
        with lock:
            latencies.extend(mine)
            failures.append(failed)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(outstanding)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, sum(failures)


def accounting_run(sessions, outstanding, accounting):
    with harness.postgres_database("wisp_bench_acct", accounting=accounting) as dsn:
        server = harness.RadiusServer(dsn, debug=False).start()
        try:
            seconds, latencies, failures = send_accounting(server, sessions, outstanding)
        finally:
            server.stop()
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE acctinputoctets > 0) FROM radacct")
            rows, interim = cur.fetchone()
        conn.close()
    return {
        "seconds": seconds,
        "per_second": len(latencies) / seconds,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 99),
        "failures": failures,
        "rows": rows,
        "interim": interim,
    }


# ------------------------------------------------------------------- usage read

HISTORY_SQL = """
INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,
                     acctupdatetime, acctstoptime, acctinputoctets, acctoutputoctets)
SELECT 's' || g, 'u' || g, 'user' || (g %% %(logins)s), ('10.2.' || (g %% 10) || '.1')::inet,
       now() - make_interval(days => (%(rows)s - g) / %(logins)s * 18),
       now() - make_interval(days => (%(rows)s - g) / %(logins)s * 18),
       CASE WHEN g > %(rows)s - %(logins)s THEN NULL
            ELSE now() - make_interval(days => (%(rows)s - g) / %(logins)s * 18 - 1) END,
       (g %% 7919)::bigint * 100000, (g %% 7877)::bigint * 1000000
  FROM generate_series(1, %(rows)s) AS g
"""


def timed(function, repeat=5):
    """Median seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _attempt in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def usage_run(rows, active):
    from wisp_network_adapters.radius import RadiusBackend

    logins = max(1, rows // 20)
    figures = {}
    with harness.postgres_database("wisp_bench_usage", accounting=False) as dsn:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        cur = conn.cursor()
        began = time.perf_counter()
        cur.execute(HISTORY_SQL, {"rows": rows, "logins": logins})
        cur.execute(harness.ACCOUNTING_SQL.read_text())  # seeds wisp_usage, adds the trigger
        cur.execute("VACUUM ANALYZE radacct")
        cur.execute("VACUUM ANALYZE wisp_usage")
        figures["setup"] = time.perf_counter() - began

        backend = RadiusBackend(dsn)
        legacy = (
            "SELECT username, COALESCE(SUM(acctoutputoctets), 0), "
            "COALESCE(SUM(acctinputoctets), 0) FROM radacct "
            "WHERE username IS NOT NULL AND username <> '' GROUP BY username"
        )

        def full_sum():
            cur.execute(legacy)
            return cur.fetchall()

        figures["legacy"], legacy_rows = timed(full_sum, repeat=3)
        figures["first"], (usages, cursor) = timed(lambda: backend.read_usage_since(None), 3)
        figures["first_rows"] = len(usages)
        assert {u.login: (u.download_bytes, u.upload_bytes) for u in usages} == {
            login: (int(down), int(up)) for login, down, up in legacy_rows
        }, "the folded totals equal the full sum"

        # an hour: an interim update for each of `active` open sessions
        cur.execute(
            "UPDATE radacct SET acctinputoctets = acctinputoctets + 5000000, "
            "acctoutputoctets = acctoutputoctets + 70000000, acctupdatetime = now() "
            "WHERE acctstoptime IS NULL AND radacctid IN ("
            "SELECT radacctid FROM radacct WHERE acctstoptime IS NULL ORDER BY radacctid "
            "LIMIT %s)",
            (active,),
        )
        figures["incremental"], (changed, after) = timed(lambda: backend.read_usage_since(cursor))
        figures["incremental_rows"] = len(changed)
        figures["idle"], (unchanged, _cursor) = timed(lambda: backend.read_usage_since(after))
        figures["idle_rows"] = len(unchanged)

        began = time.perf_counter()
        cur.execute("SELECT wisp_purge_accounting(180)")
        figures["purged"] = cur.fetchone()[0]
        figures["purge"] = time.perf_counter() - began
        figures["after_purge"], (purged_read, _cursor) = timed(
            lambda: backend.read_usage_since(after)
        )
        figures["after_purge_rows"] = len(purged_read)
        backend.close()
        conn.close()
    return figures


# ------------------------------------------------------------------------ kicks


def kick_run(kicks, nas_count=10):
    from wisp_network_adapters.radius import RadiusBackend

    hosts = [f"127.0.0.{i + 2}" for i in range(nas_count)]
    port = harness.shared_udp_port(hosts)
    listeners = [
        harness.CoaListener(host=host, port=port, silent=i == 0).start()
        for i, host in enumerate(hosts)
    ]
    try:
        with harness.postgres_database("wisp_bench_kick") as dsn:
            with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO nas (nasname, shortname, secret) VALUES (%s, %s, %s)",
                    [(lst.host, f"nas{i}", lst.secret) for i, lst in enumerate(listeners)],
                )
                cur.execute(
                    "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress,"
                    " acctstarttime) SELECT 's' || g, 'u' || g, 'kick' || g,"
                    " ('127.0.0.' || (2 + g %% %s))::inet, now()"
                    " FROM generate_series(0, %s - 1) AS g",
                    (nas_count, kicks),
                )
            conn.close()
            backend = RadiusBackend(dsn, coa_port=port)  # default timeout and retries
            began = time.perf_counter()
            results = backend.disconnect_many([f"kick{i}" for i in range(kicks)])
            seconds = time.perf_counter() - began
            backend.close()
    finally:
        for listener in listeners:
            listener.stop()
    return {
        "seconds": seconds,
        "dropped": sum(result is True for result in results.values()),
        "failed": sum(isinstance(result, Exception) for result in results.values()),
        "silent_requests": len(listeners[0].requests),
        "answered_requests": sum(len(listener.requests) for listener in listeners[1:]),
        "timeout": backend.timeout,
        "attempts": backend.retries,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--outstanding", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kicks", type=int, default=500)
    parser.add_argument("--skip-accounting", action="store_true")
    args = parser.parse_args()

    # alternated, so neither setting always runs on a cold or a warm machine
    runs = [("stock schema only", False), ("with wisp-accounting.sql", True)] * args.rounds
    for label, accounting in [] if args.skip_accounting else runs:
        run = accounting_run(args.sessions, args.outstanding, accounting)
        print(
            f"accounting Start+Interim, {args.sessions} sessions, {label:24s}"
            f"  {run['seconds']:6.1f} s  {run['per_second']:6.0f} req/s"
            f"  p50 {run['p50']:5.1f} ms  p99 {run['p99']:5.1f} ms"
            f"  ({args.outstanding} outstanding, {run['failures']} unanswered,"
            f" {run['rows']} rows, {run['interim']} with interim counters)",
            flush=True,
        )

    usage = usage_run(args.rows, args.active)
    print(f"usage history            {args.rows} radacct rows (set-up {usage['setup']:.0f} s)")
    print(f"old read (sum of radacct)     {usage['legacy'] * 1000:8.1f} ms")
    print(
        f"first read (every total)      {usage['first'] * 1000:8.1f} ms"
        f"  {usage['first_rows']} logins"
    )
    print(
        f"incremental read, an hour     {usage['incremental'] * 1000:8.1f} ms"
        f"  {usage['incremental_rows']} logins changed"
    )
    print(
        f"incremental read, idle        {usage['idle'] * 1000:8.1f} ms"
        f"  {usage['idle_rows']} logins changed"
    )
    print(
        f"purge (closed > 180 days)     {usage['purge'] * 1000:8.1f} ms"
        f"  {usage['purged']} rows; read after it {usage['after_purge'] * 1000:.1f} ms,"
        f" {usage['after_purge_rows']} logins changed"
    )
    kick = kick_run(args.kicks)
    print(
        f"kicks: {args.kicks} sessions on 10 NAS, one silent  {kick['seconds']:6.2f} s"
        f"  {kick['dropped']} dropped, {kick['failed']} to retry;"
        f" {kick['answered_requests']} requests answered, {kick['silent_requests']} sent to"
        f" the silent NAS (timeout {kick['timeout']:g} s x {kick['attempts']} sends, then given up)"
    )
    print("(shared 2-core machine: figures vary with the other work on it)")


if __name__ == "__main__":
    main()
