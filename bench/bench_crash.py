"""The crash-safety proof, run longer: the real server (gunicorn + event worker) SIGKILLed many times while
clients apply concurrently with idempotency keys; afterwards the database is checked as in
tests/reliability/test_crash_safety.py.

Last line: `BENCH crash kills=<n> acknowledged=<n> interrupted=<n> lost=<n> duplicated=<n> half_written=<n>
effects_wrong=<n> audit_verified=<0|1> seconds=<n>` (the counts after `interrupted` must be 0, audit_verified 1).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digigov.platform.settings_test")

from tests.reliability.harness import crash_check, crash_run, platform_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="digigov-crash-") as folder:
        platform = platform_create(folder=Path(folder), accounts=args.clients)
        try:
            ledger = crash_run(platform=platform, kills=args.kills, seed=args.seed, pause=(0.05, 1.0))
            state = crash_check(platform=platform, ledger=ledger, folder=Path(folder))
        finally:
            platform.close()
    acknowledged = ledger.acknowledged
    lost = len(set(acknowledged) - set(state["applications"])) + sum(len(k) for k in ledger.in_doubt.values())
    duplicated = sum(n - 1 for n in state["applications_per_key"].values()) + len(ledger.changed_ids)
    ids = set(acknowledged.values())
    half_written = sum(
        1 for i in ids if state["steps"].get(i, 0) < 1 or state["audits"].get(i) != 1 or state["events"].get(i) != 1
    )
    effects_wrong = (
        sum(1 for i in ids if state["tasks"].get(i) != 1 or state["kpis"].get(i) != 1)
        + sum(1 for n in state["messages"].values() if n != 1)
        + len(state["handled_twice"])
        + state["undelivered"]
        + len(ledger.unexpected)
    )
    audit_ok = state["audit_verify"]["exit"] == 0
    print(
        f"BENCH crash kills={args.kills} acknowledged={len(acknowledged)} interrupted={ledger.interrupted} "
        f"lost={lost} duplicated={duplicated} half_written={half_written} effects_wrong={effects_wrong} "
        f"audit_verified={int(audit_ok)} seconds={time.perf_counter() - started:.0f}"
    )
    sys.exit(1 if lost or duplicated or half_written or effects_wrong or not audit_ok else 0)


if __name__ == "__main__":
    main()
