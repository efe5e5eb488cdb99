"""KPI computation at national scale: DuckDB over the Parquet warehouse against the same SQL on the operational DB.

Phases, each in a child process so that its time and peak memory (ru_maxrss) are its own:
  generate  synthetic events straight to Parquet, registered in a scratch warehouse (not timed as a KPI phase)
  full      full recompute: every daily rollup from all raw events, then the KPI figures (platform, agency,
            service, month)
  incr      incremental update: 1 million new events folded into the rollups of the days they touch, then the
            KPI figures (writing the new events to Parquet is not counted: the export does that as they come)
  oltp      the rollup SQL on an SQLite table holding 1 million of the same events (the operational database's
            engine here), and the same SQL by DuckDB over the same 1 million rows in Parquet

The operational side runs on 1 million rows only, and its time is extrapolated linearly to the warehouse's event
count (a full GROUP BY scan grows at least linearly), which the output says. Default 10 million events (under
about 5 minutes on 2 cores); `--full` runs 100 million. Last line:
`BENCH kpi full_100m_s=<n> incr_1m_s=<n> vs_oltp=<r> peak_gb=<n>` (`full_10m_s` without `--full`), where vs_oltp is
the extrapolated operational-database time for the same event count over the warehouse's full recompute time.
"""

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLTP_ROWS = 1_000_000
INCREMENT = 1_000_000


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digigov.platform.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _services() -> list:
    from digigov.blocks.kpi.synthetic import ServiceRef

    # A national catalogue's shape: 60 services across 12 agencies, a quarter of them for businesses.
    return [ServiceRef(slug=f"service-{i:02d}", agency_code=f"AG{i % 12:02d}",
                       audience="business" if i % 4 == 0 else "citizen") for i in range(60)]


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # Linux reports KiB


def _kpis() -> int:
    from digigov.blocks.kpi import warehouse

    con = warehouse.connect()
    warehouse.views_create(con=con)
    groups = sum(len(warehouse.figures_by(group=g, con=con)) for g in ("platform", "agency_code", "service_slug",
                                                                       "month"))
    con.close()
    return groups


def phase_generate(*, directory: Path, events: int) -> dict:
    from django.conf import settings

    from digigov.blocks.kpi import synthetic, warehouse

    settings.DIGIGOV_WAREHOUSE_DIR = directory
    started = time.perf_counter()
    files = synthetic.history_to_parquet(services=_services(), months=24, events=events, seed=1,
                                         directory=directory / "incoming")
    generated = time.perf_counter() - started
    warehouse.events_import(files=files)
    return {"generate_s": generated, "import_s": time.perf_counter() - started - generated, "peak_gb": _peak_gb()}


def phase_full(*, directory: Path) -> dict:
    from django.conf import settings

    from digigov.blocks.kpi import warehouse

    settings.DIGIGOV_WAREHOUSE_DIR = directory
    started = time.perf_counter()
    rows = warehouse.rollup_rebuild()
    groups = _kpis()
    return {"seconds": time.perf_counter() - started, "rollup_rows": rows, "groups": groups, "peak_gb": _peak_gb()}


def phase_incr(*, directory: Path) -> dict:
    from django.conf import settings

    from digigov.blocks.kpi import synthetic, warehouse

    settings.DIGIGOV_WAREHOUSE_DIR = directory
    files = synthetic.history_to_parquet(services=_services(), months=1, events=INCREMENT, seed=2,
                                         directory=directory / "incoming", prefix="increment")
    started = time.perf_counter()
    months = warehouse.events_import(files=files)
    groups = _kpis()
    return {"seconds": time.perf_counter() - started, "months": months, "groups": groups, "peak_gb": _peak_gb()}


def _sqlite_rollup_sql() -> str:
    from digigov.blocks.kpi.warehouse import ROLLUP_SQL

    # The same statement, less two DuckDB spellings SQLite lacks (a ::BIGINT cast and GROUP BY ALL).
    sql = ROLLUP_SQL.format(source="events")
    return sql.replace("::BIGINT", "").replace("GROUP BY ALL", "GROUP BY 1, 2, 3, 4, 5")


def phase_oltp(*, directory: Path) -> dict:
    from digigov.blocks.kpi import synthetic, warehouse

    sample = synthetic.history_to_parquet(services=_services(), months=12, events=OLTP_ROWS, seed=3,
                                          directory=directory / "oltp", prefix="oltp")
    con = warehouse.connect()
    source = f"read_parquet({warehouse._sql_list(sample)})"  # noqa: SLF001 (same quoting as the warehouse)
    database = sqlite3.connect(directory / "oltp.sqlite3")
    columns = [name for name, _type in warehouse.STORED_COLUMNS]
    # The operational table's shape (Django's TransactionEvent): UTC text timestamps, booleans as integers; with
    # the warehouse's stored day column too, so that both engines run the very same aggregation.
    database.execute(f"CREATE TABLE events (pk INTEGER PRIMARY KEY AUTOINCREMENT, {', '.join(columns)})")
    database.execute("CREATE INDEX kpi_event_group_idx ON events (kind, agency_code, service_slug)")
    database.execute("CREATE INDEX kpi_event_occurred_idx ON events (occurred_at)")
    database.execute("CREATE INDEX kpi_event_day_idx ON events (day, agency_code, service_slug, channel, audience)")
    select = ", ".join(
        "strftime(timezone('UTC', occurred_at), '%Y-%m-%d %H:%M:%S')" if c == "occurred_at"
        else f"{c}::VARCHAR" if c in {"source_event_id", "application_id", "day"}
        else f"{c}::INTEGER" if c in {"prefilled", "digital_end_to_end"} else c for c in columns
    )
    cursor = con.execute(f"SELECT {select} FROM {source}")  # noqa: S608 (our own column names and file paths)
    marks = ", ".join("?" for _ in columns)
    while chunk := cursor.fetchmany(100_000):
        database.executemany(f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks})", chunk)  # noqa: S608
    database.commit()
    started = time.perf_counter()
    oltp_rows = database.execute(_sqlite_rollup_sql()).fetchall()
    oltp_s = time.perf_counter() - started
    started = time.perf_counter()
    duck_rows = con.execute(warehouse.ROLLUP_SQL.format(source=source)).fetchall()
    duck_s = time.perf_counter() - started
    database.close()
    con.close()
    return {"rows": OLTP_ROWS, "oltp_s": oltp_s, "duckdb_s": duck_s, "oltp_groups": len(oltp_rows),
            "duckdb_groups": len(duck_rows), "peak_gb": _peak_gb()}


def _child(phase: str, directory: Path, events: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--dir", str(directory), "--events", str(events)],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="Also 100 million events (several minutes).")
    parser.add_argument("--events", type=int, default=0, help="Override the event count (for quick runs).")
    parser.add_argument("--phase", choices=["generate", "full", "incr", "oltp"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _django()
        run = {"generate": lambda: phase_generate(directory=args.dir, events=args.events),
               "full": lambda: phase_full(directory=args.dir), "incr": lambda: phase_incr(directory=args.dir),
               "oltp": lambda: phase_oltp(directory=args.dir)}[args.phase]
        print(json.dumps(run()))
        return

    sizes = [args.events] if args.events else [10_000_000] + ([100_000_000] if args.full else [])
    results = {}
    scratch_root = Path(tempfile.mkdtemp(prefix="bench-kpi-"))
    try:
        oltp = _child("oltp", scratch_root / "oltp", 0)
        print(f"[oltp] rollup SQL over {OLTP_ROWS:,} rows: SQLite {oltp['oltp_s']:.2f} s, DuckDB over Parquet "
              f"{oltp['duckdb_s']:.2f} s (x{oltp['oltp_s'] / oltp['duckdb_s']:.0f}); groups {oltp['oltp_groups']:,} "
              f"vs {oltp['duckdb_groups']:,}", flush=True)
        for events in sizes:
            directory = scratch_root / f"w{events}"
            made = _child("generate", directory, events)
            print(f"[{events:,}] generated in {made['generate_s']:.1f} s, registered in {made['import_s']:.1f} s",
                  flush=True)
            full = _child("full", directory, events)
            incr = _child("incr", directory, events)
            oltp_extrapolated = oltp["oltp_s"] * events / OLTP_ROWS
            print(f"[{events:,}] full recompute + KPIs {full['seconds']:.2f} s ({full['rollup_rows']:,} rollup rows, "
                  f"peak {full['peak_gb']:.2f} GB); incremental 1M + KPIs {incr['seconds']:.2f} s (months "
                  f"{', '.join(incr['months'])}, peak {incr['peak_gb']:.2f} GB); same SQL on SQLite extrapolated "
                  f"from 1M rows: {oltp_extrapolated:.0f} s", flush=True)
            results[events] = (full, incr, oltp_extrapolated / full["seconds"])
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)

    largest = max(results)
    full, incr, ratio = results[largest]
    peak = max(max(f["peak_gb"], i["peak_gb"]) for f, i, _r in results.values())
    label = f"full_{largest // 1_000_000}m_s"
    if largest != 100_000_000:
        print(f"Run without --full: the last line reports {label} instead of full_100m_s.")
    print(f"vs_oltp = SQLite time extrapolated linearly from {OLTP_ROWS:,} rows to {largest:,} events, over the "
          f"warehouse's full recompute of {largest:,} events.")
    print(f"BENCH kpi {label}={full['seconds']:.2f} incr_1m_s={incr['seconds']:.2f} vs_oltp={ratio:.1f} "
          f"peak_gb={peak:.2f}")


if __name__ == "__main__":
    main()
