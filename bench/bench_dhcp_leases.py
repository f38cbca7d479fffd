"""DHCP/IPoE provisioning at scale: N static leases on one emulated RouterOS router
and N MAC logins in a throw-away FreeRADIUS database (adapters only, no Odoo).

Prints, per backend: the first apply (all created), an unchanged re-apply (must
write nothing), and a one-MAC sync (``logins=``): wall time, API round trips or
SQL statements, writes. RouterOS then binds every lease and times the session
reads (every lease, as the poll does; one MAC, as the live form does) and the
usage read.

    bin/wisp bench --only dhcp -- --services 5000
"""

import argparse
import importlib
import pathlib
import sys
import time

from common import load_module

ROOT = pathlib.Path(__file__).resolve().parent.parent
EMULATORS = ROOT / "addons" / "wisp_network" / "tests" / "emulators"
ADAPTERS = ROOT / "addons" / "wisp_network" / "adapters"
PASSWORD = "bench-api-pw"  # the emulator's, on loopback


def mac(i):
    return "02:" + ":".join(f"{(i >> shift) & 0xFF:02X}" for shift in (24, 16, 8, 0)) + ":01"


def desired(base, count, profile):
    return [
        base.ServiceState(
            login=mac(i),
            password="",
            kind="dhcp",
            profile=profile,
            remote_address=f"100.64.{i // 250}.{i % 250 + 2}",
            comment=f"SRV{i:06d} Subscriber {i}",
            mac=mac(i),
            restricted=i % 10 == 0,
        )
        for i in range(count)
    ]


def timed(label, run, counter):
    before, started = counter(), time.perf_counter()
    report, writes = run()
    print(
        f"  {label:<26} {time.perf_counter() - started:8.3f} s  "
        f"{counter() - before:6d} round trips  {writes:6d} writes  "
        f"created {len(report.created)} updated {len(report.updated)} removed {len(report.removed)}"
    )


def bench_routeros(base, routeros, emulator_module, states):
    print(f"RouterOS: {len(states)} static leases")
    with emulator_module.RouterOSEmulator(username="wisp", password=PASSWORD) as emu:
        backend = routeros.RouterOSBackend(
            "127.0.0.1", port=emu.port, username="wisp", password=PASSWORD, use_tls=False
        )

        def apply(**kw):
            emu.reset_stats()
            report = backend.apply(states, **kw)
            return report, len(emu.writes())

        def counter():
            return backend.round_trips

        timed("first apply", apply, counter)
        timed("unchanged re-apply", apply, counter)
        timed("one-MAC sync, unchanged", lambda: apply(logins={states[0].login}), counter)
        # every CPE online: the poll's and the live form's session reads, the usage read
        for state in states:
            emu.bind_lease(state.login)
        for label, run in (
            ("sessions, every lease", backend.read_sessions),
            ("sessions, one MAC", lambda: backend.read_sessions({states[-1].login})),
            ("usage, every lease", backend.read_usage),
        ):
            before, started = backend.round_trips, time.perf_counter()
            found = run()
            print(
                f"  {label:<26} {time.perf_counter() - started:8.3f} s  "
                f"{backend.round_trips - before:6d} round trips  {len(found):6d} found"
            )
        backend.close()


def bench_radius(radius, harness, states):
    print(f"FreeRADIUS SQL: {len(states)} MAC logins")
    with harness.postgres_database("wisp_bench_dhcp") as dsn:
        nas = radius.RadiusNas("127.0.0.1", "bench-secret", shortname="bench")
        backend = radius.RadiusBackend(dsn, nas=nas)

        def apply(**kw):
            before = backend.round_trips
            report = backend.apply(states, **kw)
            # a statement beyond the advisory lock and the four bulk reads is a write
            return report, max(0, backend.round_trips - before - 5)

        def counter():
            return backend.round_trips

        timed("first apply", apply, counter)
        timed("unchanged re-apply", apply, counter)
        timed("one-MAC sync, unchanged", lambda: apply(logins={states[0].login}), counter)
        backend.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args()
    sys.path.insert(0, str(EMULATORS))
    load_module("wisp_network_adapters", ADAPTERS / "__init__.py", package=True)
    base = importlib.import_module("wisp_network_adapters.base")
    routeros = importlib.import_module("wisp_network_adapters.routeros")
    radius = importlib.import_module("wisp_network_adapters.radius")
    emulator_module = load_module("routeros_emulator", EMULATORS / "routeros_emulator.py")
    harness = load_module("radius_harness", EMULATORS / "radius_harness.py")
    profile = base.SpeedProfile("home-25", download_kbps=25000, upload_kbps=5000)
    states = desired(base, args.services, profile)
    bench_routeros(base, routeros, emulator_module, states)
    bench_radius(radius, harness, states)


if __name__ == "__main__":
    main()
