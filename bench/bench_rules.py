"""The proactive offers scan at a million residents, against the naive way, and the single eligibility check.

- scan: `digigov rules scan` over 1,000,000 seeded residents, all schemes, end to end from the registries to the
  offers and their outbox events, as a separate process: wall-clock seconds, CPU seconds of the process and its
  workers, and peak memory (the resident memory of the process and its workers added up, sampled). Run on a
  SQLite file (var/bench_rules.sqlite3) and on PostgreSQL (database digigov_bench_rules), each seeded once and
  kept for the next run (another --residents count has its own: var/bench_rules_<count>.sqlite3 and so on).
  Every run starts from no scan, so the first scan offers to everyone eligible (the most a scan ever writes);
  then the next scan, a year later, offers only to the newly eligible.
- naive: the same schemes computed one person at a time through the API's code path
  (engine.situation_calculate, the person's household as the situation) on a 2,000-person sample, extrapolated
  to the population; the ratio is naive time over the scan's time on SQLite. Reading the sample is not timed.
- check: the single eligibility check with explanation at application time (bench_rules_check.measure_check).

Last line: `BENCH rules scan_1m_s=<n> peak_gb=<n> vs_naive=<r> check_p99_ms=<n>` (the first scan on SQLite).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DIGIGOV = str(ROOT / ".venv" / "bin" / "digigov")


def _database_names(residents: int) -> tuple[str, str]:
    """The SQLite URL and PostgreSQL database name for a population: one pair per size, each seeded once."""
    suffix = "" if residents == 1_000_000 else f"_{residents}"
    return f"sqlite:///{ROOT / 'var' / f'bench_rules{suffix}.sqlite3'}", f"digigov_bench_rules{suffix}"

AS_OF = "2026-06-15"
NEXT_AS_OF = "2027-06-15"

PREPARE = """
import json, os
import django
django.setup()
from django.db import connection, transaction
from digigov.platform.seeding import nation_seed
nation_seed(residents=int(os.environ["BENCH_RESIDENTS"]), seed=1, progress=True)
# Every run starts from no scan: the scan then offers to everyone eligible (the most it ever writes).
with transaction.atomic(), connection.cursor() as cursor:
    for table in ("rules_offer", "rules_scanchunk", "rules_scan"):
        cursor.execute(f"DELETE FROM {table}")
    cursor.execute("DELETE FROM platform_event WHERE type = 'rules.offers_made'")
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
"""

NAIVE = """
import json, os, time
import django
django.setup()
from digigov.blocks.registries import bulk
from digigov.blocks.rules import engine
from digigov.blocks.rules.mapping import HOUSEHOLD_ROLES
from digigov.blocks.rules.population import _period_for
from digigov.blocks.rules.schemes import SCHEMES
import datetime as dt

as_of = dt.date.fromisoformat(os.environ["BENCH_AS_OF"])
month, year = f"{as_of:%Y-%m}", str(as_of.year)
plural = {"parent": "parents", "child": "children", "other_member": "other_members"}
sample = int(os.environ["BENCH_SAMPLE"])
situations = []
for household_id, housing in bulk.households_read(after_id=0, limit=sample):
    rows = bulk.household_members_read(first_household_id=household_id, last_household_id=household_id)
    persons, roles = {}, {"parents": [], "children": [], "other_members": []}
    for pid, _hh, role, born, citizenship, employment, income in rows:
        persons[str(pid)] = {
            "birth_date": {"ETERNITY": born.isoformat()}, "citizenship": {month: citizenship},
            "employment_status": {month: employment}, "monthly_income": {month: income},
            "annual_income": {year: income * 12, str(as_of.year - 1): income * 12},
        }
        roles[plural[HOUSEHOLD_ROLES[role]]].append(str(pid))
    for pid in persons:
        # One calculation per person: their household as the situation, every scheme asked for them.
        situation = json.loads(json.dumps({"persons": persons, "households": {
            str(household_id): {**{k: v for k, v in roles.items() if v}, "housing_type": {month: housing}}}}))
        for scheme in SCHEMES:
            period = _period_for(variable=scheme.eligible, as_of=as_of)
            if scheme.entity == "person":
                situation["persons"][pid][scheme.eligible] = {period: None}
            else:
                situation["households"][str(household_id)][scheme.eligible] = {period: None}
        situations.append(situation)
        if len(situations) == sample:
            break
    if len(situations) == sample:
        break
engine.situation_calculate(situation=situations[0])  # warm-up: loading the rules is not a calculation
started = time.perf_counter()
for situation in situations:
    engine.situation_calculate(situation=situation)
seconds = time.perf_counter() - started
print(json.dumps({"persons": len(situations), "seconds": seconds}))
"""

CHECK = """
import json, os, sys
import django
django.setup()
sys.path.insert(0, os.environ["BENCH_DIR"])
try:
    from bench_rules_check import measure_check
except ImportError:
    print(json.dumps({}))
else:
    print(json.dumps(measure_check(samples=int(os.environ["BENCH_CHECKS"]))))
"""


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
        "DIGIGOV_ENV": "development",
        "DEBUG": "0",
        **extra,
    }


def _child(code: str, env: dict[str, str]) -> dict:
    output = subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1] or "{}")


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for each in [process, *process.children(recursive=True)]:
        try:
            total += each.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _scan_timed(*, label: str, env: dict[str, str], as_of: str) -> dict:
    peak = 0
    before = os.times()
    started = time.perf_counter()
    scan = subprocess.Popen([DIGIGOV, "rules", "scan", "--as-of", as_of], env=env, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(scan.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, _tree_rss(watched))
            except psutil.NoSuchProcess:
                return
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = scan.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = os.times()
    if scan.returncode:
        raise SystemExit(f"[{label}] the scan failed ({scan.returncode})")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    result = {
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),
        "peak_gb": round(peak / 1e9, 2),
        "summary": output.strip().splitlines()[-1],
    }
    print(f"[{label}] {result}", flush=True)
    return result


def scan_measure(*, label: str, database_url: str, residents: int) -> tuple[dict, dict]:
    """The first scan (no previous one: everyone eligible gets an offer), then the next one a year later (only
    the newly eligible do), as a scan normally runs."""
    env = _env(database_url, BENCH_RESIDENTS=str(residents))
    subprocess.run([DIGIGOV, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    print(f"[{label}] seeding (once) and clearing earlier scans ...", flush=True)
    subprocess.run([sys.executable, "-c", PREPARE], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"[{label}] first scan of {residents:,} residents ...", flush=True)
    first = _scan_timed(label=label, env=env, as_of=AS_OF)
    print(f"[{label}] next scan, a year later ...", flush=True)
    return first, _scan_timed(label=label, env=env, as_of=NEXT_AS_OF)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000, help="People computed the naive way.")
    parser.add_argument("--checks", type=int, default=500, help="Single eligibility checks timed.")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.1f} on {os.cpu_count()} cores", flush=True)

    def lines_for(db: str, first: dict, rescan: dict) -> list[str]:
        return [
            f"BENCH rules-scan db={db} scan=first residents={args.residents} seconds={first['seconds']} "
            f"cpu_s={first['cpu_s']} peak_gb={first['peak_gb']}",
            f"BENCH rules-scan db={db} scan=next residents={args.residents} seconds={rescan['seconds']} "
            f"cpu_s={rescan['cpu_s']} peak_gb={rescan['peak_gb']}",
        ]

    sqlite_url, postgres_db = _database_names(args.residents)
    sqlite, sqlite_next = scan_measure(label="sqlite", database_url=sqlite_url, residents=args.residents)
    lines = lines_for("sqlite", sqlite, sqlite_next)
    if not args.skip_postgres:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", postgres_db], stderr=subprocess.DEVNULL)
        lines += lines_for(
            "postgresql",
            *scan_measure(
                label="postgresql",
                database_url=f"postgresql://postgres@127.0.0.1:5432/{postgres_db}",
                residents=args.residents,
            ),
        )

    env = _env(sqlite_url, BENCH_SAMPLE=str(args.sample), BENCH_AS_OF=AS_OF)
    naive = _child(NAIVE, env)
    naive_total = naive["seconds"] / naive["persons"] * args.residents
    ratio = naive_total / sqlite["seconds"]
    print(
        f"[naive] {naive['persons']:,} people in {naive['seconds']:.1f} s -> {naive_total:,.0f} s for "
        f"{args.residents:,} (x{ratio:.0f} the scan)",
        flush=True,
    )

    check = _child(CHECK, _env(sqlite_url, BENCH_DIR=str(ROOT / "bench"), BENCH_CHECKS=str(args.checks)))
    check_p99 = check.get("p99_ms", "n/a")
    print(f"[check] {check or 'bench_rules_check.measure_check is not available'}", flush=True)
    print("\n".join(lines))
    print(
        f"BENCH rules scan_1m_s={sqlite['seconds']} peak_gb={sqlite['peak_gb']} vs_naive={ratio:.0f} "
        f"check_p99_ms={check_p99}"
    )


if __name__ == "__main__":
    main()
