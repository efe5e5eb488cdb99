"""One eligibility check at application time, with its explanation: p50 and p99 over seeded residents.

Each check is the whole path an application takes (rules/eligibility.py): read the person's household from the
registries, build the simulation from arrays, compute the scheme with OpenFisca's tracer on, turn the trace into
explanation lines, and record every member's access. Schemes rotate so every one is measured.

`measure_check(samples=...)` runs against the database Django is set up with (bench/bench_rules.py calls it
after its own seeding); the checks' access records are rolled back. Run alone, this script seeds a scratch
SQLite nation first. Last line: `BENCH rules_check p50_ms=<n> p99_ms=<n> samples=<n>` (target p99 <= 50 ms).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _person_ids(*, samples: int) -> list[int]:
    from digigov.blocks.registries import bulk

    households = bulk.households_read(after_id=0, limit=samples)
    if not households:
        raise SystemExit("No households registered: seed the nation first.")
    rows = bulk.household_members_read(first_household_id=households[0][0], last_household_id=households[-1][0])
    by_household: dict[int, list[int]] = {}
    for row in rows:
        by_household.setdefault(row[1], []).append(row[0])
    # A different member of each household, so heads, spouses, children and elderly parents all appear.
    members = [ids[i % len(ids)] for i, ids in enumerate(by_household.values())]
    return (members * (samples // len(members) + 1))[:samples]


def measure_check(*, samples: int) -> dict:
    """p50/p99 in milliseconds of `samples` checks, after one warm-up check (loading the rules is not a check)."""
    from django.db import transaction
    from django.utils import timezone

    from digigov.blocks.registries.queries import AccessContext, agency_get
    from digigov.blocks.rules.eligibility import eligibility_check
    from digigov.blocks.rules.schemes import SCHEMES

    person_ids = _person_ids(samples=samples)
    agencies = {scheme.agency: agency_get(code=scheme.agency) for scheme in SCHEMES}
    as_of = timezone.localdate()
    timings = []
    with transaction.atomic():
        for index, person_id in enumerate([person_ids[0], *person_ids]):
            scheme = SCHEMES[index % len(SCHEMES)]
            context = AccessContext(
                accessor=None, agency=agencies[scheme.agency], purpose="Benchmark", legal_basis="Benchmark"
            )
            started = time.perf_counter()
            eligibility_check(scheme_key=scheme.key, person_id=person_id, as_of=as_of, access=context)
            timings.append((time.perf_counter() - started) * 1000)
        transaction.set_rollback(True)
    timings = sorted(timings[1:])
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "samples": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--residents", type=int, default=5000, help="size of the scratch nation")
    parser.add_argument("--database-url", default="", help="an empty database to use instead of scratch SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digigov-check-") as folder:
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(folder) / 'check.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digigov.platform.settings")
        sys.path.insert(0, str(ROOT / "src"))
        import django
        from django.core.management import call_command

        django.setup()
        from digigov.platform.seeding import nation_seed

        call_command("migrate", verbosity=0)
        nation_seed(residents=args.residents, seed=1)
        figures = measure_check(samples=args.samples)
    print(f"one check with explanation over {figures['samples']} residents: mean {figures['mean_ms']} ms")
    print(f"BENCH rules_check p50_ms={figures['p50_ms']} p99_ms={figures['p99_ms']} samples={figures['samples']}")


if __name__ == "__main__":
    main()
