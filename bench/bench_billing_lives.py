"""Random billing life cycles checked against the documented rule, as many as asked.

Runs wisp_billing's ``TestBillingRulesRandomLife`` with ``WISP_LIFE_SEEDS`` seeds (the
test command runs 4) on its own database and prints how many life cycles were checked
and whether every one was billed to the cent.

    bin/wisp bench --only lives -- --seeds 50
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from common import missing_modules, odoo_cli

DATABASE = "wisp_bench_lives"
TEST = "/wisp_billing:TestBillingRulesRandomLife"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    # -u tests an installed module; -i installs it first (also where an install was cut short)
    step = "-i" if missing_modules(DATABASE, "wisp_billing") else "-u"
    with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
        started = time.time()
        subprocess.run(
            odoo_cli(
                DATABASE,
                step,
                "wisp_billing",
                "--test-enable",
                f"--test-tags={TEST}",
                "--stop-after-init",
                "--http-port=8078",
                "--max-cron-threads=0",
                "--log-level=test",
                f"--logfile={log.name}",
            ),
            env=dict(os.environ, WISP_LIFE_SEEDS=str(args.seeds)),
            check=False,
        )
        text = log.read()
    lives = re.findall(r"life cycles of seed \d+: (\d+) accounts, (\d+) services", text)
    failed = len(re.findall(r"FAIL: Subtest", text))
    accounts = sum(int(a) for a, _s in lives)
    services = sum(int(s) for _a, s in lives)
    print(
        f"life cycles checked: {len(lives)} seeds, {accounts} subscribers, {services} services "
        f"over ten months in {time.time() - started:.0f} s; seeds off by a cent or more: {failed}"
    )
    if failed or len(lives) < args.seeds:
        # what went wrong: the failures, or the error that stopped the test
        print("\n".join(line for line in text.splitlines() if " ERROR " in line or "Error" in line))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
