"""How long `nation_seed` takes for a million residents, on a fresh SQLite file and (when DATABASE_URL
points at PostgreSQL) on PostgreSQL.

Each run migrates an empty database, then times only `nation_seed` in a separate process, so start-up and
migrations are not counted. Last line(s): `BENCH seed db=<sqlite|postgresql> residents=<n> seconds=<n>
rows_per_s=<n>`, where rows are every row written (people, households, addresses, businesses, roles).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGIGOV = str(ROOT / ".venv" / "bin" / "digigov")

CHILD = """
import json, os, sys, time
import django
django.setup()
from digigov.blocks.registries.synthetic import nation_counts
from digigov.platform.seeding import nation_seed

started = time.perf_counter()
summary = nation_seed(residents=int(os.environ["BENCH_RESIDENTS"]), seed=1, progress=True)
seconds = time.perf_counter() - started
counts = nation_counts()
print(json.dumps({"seconds": seconds, "rows": sum(counts.values()), **counts}))
"""


def run(*, label: str, database_url: str, residents: int) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
           "DIGIGOV_ENV": "development", "DEBUG": "0", "BENCH_RESIDENTS": str(residents)}
    subprocess.run([DIGIGOV, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    print(f"[{label}] seeding {residents:,} residents ...", flush=True)
    output = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, stdout=subprocess.PIPE,
                            text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(f"[{label}] {result}", flush=True)
    return (f"BENCH seed db={label} residents={residents} seconds={result['seconds']:.1f} "
            f"rows_per_s={result['rows'] / result['seconds']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--skip-sqlite", action="store_true", help="Only PostgreSQL (DATABASE_URL).")
    args = parser.parse_args()
    lines = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as workdir:
            lines.append(run(label="sqlite", database_url=f"sqlite:///{workdir}/seed.sqlite3",
                             residents=args.residents))
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        # The database must be empty: `nation_seed` refuses to seed over another nation.
        lines.append(run(label="postgresql", database_url=database_url, residents=args.residents))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
