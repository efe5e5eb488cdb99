"""The KPI warehouse: a columnar copy of the transaction events and their daily rollups, computed by DuckDB.

Layout under `settings.DIGIGOV_WAREHOUSE_DIR`:

    events/part-<version>.parquet    one file per exported batch; never rewritten once committed
    rollup/<YYYY-MM>-v<version>.parquet   daily rollups of one month (one row per day, agency, service,
                                     channel, audience); an update writes a new version of the months it touches
    hist/<YYYY-MM>-v<version>.parquet     decisions per month, agency, service and time bucket (for medians)
    state.json                       the commit point: id watermark, the files in use, ids still awaited

Readers open only the files `state.json` names, so a refresh that dies half way leaves them on the last
complete version, and any number of web processes read while one refresh writes (Parquet files take no lock,
unlike a DuckDB database file, which one process at a time may open for writing).

Rollup counts are sums, so a new batch is aggregated on its own and added to the rollup rows of the days it
touches: history is never rescanned. Medians cannot be added up, so each decision's time to decision falls
into a logarithmic bucket (8 per doubling, about 9% wide) and the median is read off the merged histogram by
interpolating inside its bucket: within about 4% of the exact median, from rollups alone.
"""

# SQL here is composed only from this module's constants, fixed column names and file paths the warehouse names
# itself; values that come from a request (agency, service, dates) always travel as bound parameters.
# ruff: noqa: S608

import contextlib
import csv
import datetime as dt
import fcntl
import json
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from django.conf import settings
from django.db.models import Q

from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.kpi.queries import SATISFIED_SCORES, Figures

BATCH = 100_000
# Ids below the watermark that were missing from an exported batch: a transaction still open when the batch was
# read commits its row later (PostgreSQL hands out ids before commit). They are looked for again until this
# many seconds have passed; a rolled-back insert never appears.
GAP_WAIT_SECONDS = 600
GAP_LIMIT = 900  # they travel as one IN (...) list: stay under SQLite's oldest bound-parameter limit
BUCKETS_PER_DOUBLING = 8

EVENT_COLUMNS = (
    ("id", "BIGINT"), ("source_event_id", "UUID"), ("kind", "VARCHAR"), ("occurred_at", "TIMESTAMPTZ"),
    ("application_id", "UUID"), ("agency_code", "VARCHAR"), ("service_slug", "VARCHAR"), ("audience", "VARCHAR"),
    ("channel", "VARCHAR"), ("prefilled", "BOOLEAN"), ("digital_end_to_end", "BOOLEAN"), ("outcome", "VARCHAR"),
    ("seconds_to_decision", "INTEGER"), ("satisfaction", "SMALLINT"),
)
# Each stored event also carries its day in the platform's time zone, cut once on export: grouping by a stored
# date is about ten times faster than converting every timestamp on every recompute.
STORED_COLUMNS = (*EVENT_COLUMNS, ("day", "DATE"))
DAY_SQL = "CAST(occurred_at AS DATE)"
ROLLUP_KEYS = ("day", "agency_code", "service_slug", "channel", "audience")
ROLLUP_MEASURES = ("submitted", "prefilled", "decided", "digital_end_to_end", "ratings", "satisfied",
                   "decision_seconds_sum", "decision_count")
HIST_KEYS = ("month", "agency_code", "service_slug", "bucket")

_SATISFIED = ", ".join(str(score) for score in SATISFIED_SCORES)
# The one definition of a daily rollup, used alike for a new batch and for a recompute from scratch.
ROLLUP_SQL = f"""
    SELECT day, agency_code, service_slug, channel, audience,
        count(*) FILTER (WHERE kind = 'submitted') AS submitted,
        count(*) FILTER (WHERE kind = 'submitted' AND prefilled) AS prefilled,
        count(*) FILTER (WHERE kind = 'decided') AS decided,
        count(*) FILTER (WHERE kind = 'decided' AND digital_end_to_end) AS digital_end_to_end,
        count(*) FILTER (WHERE kind = 'rated') AS ratings,
        count(*) FILTER (WHERE kind = 'rated' AND satisfaction IN ({_SATISFIED})) AS satisfied,
        coalesce(sum(seconds_to_decision) FILTER (WHERE kind = 'decided'), 0)::BIGINT AS decision_seconds_sum,
        count(seconds_to_decision) FILTER (WHERE kind = 'decided') AS decision_count
    FROM {{source}} GROUP BY ALL
"""
HIST_SQL = f"""
    SELECT date_trunc('month', day)::DATE AS month, agency_code, service_slug,
        CAST(floor(log2(seconds_to_decision + 1) * {BUCKETS_PER_DOUBLING}) AS SMALLINT) AS bucket,
        count(*) AS decisions
    FROM {{source}} WHERE kind = 'decided' AND seconds_to_decision IS NOT NULL GROUP BY ALL
"""


@dataclass
class State:
    version: int = 0
    watermark: int = 0
    events: list[str] = field(default_factory=list)
    rollup: dict[str, str] = field(default_factory=dict)
    hist: dict[str, str] = field(default_factory=dict)
    gaps: dict[str, float] = field(default_factory=dict)
    refreshed_at: str = ""


@dataclass(frozen=True)
class RefreshResult:
    exported: int
    batches: int
    months: list[str]
    watermark: int


def warehouse_dir() -> Path:
    return Path(settings.DIGIGOV_WAREHOUSE_DIR)


def state_get(*, directory: Path | None = None) -> State:
    path = (directory or warehouse_dir()) / "state.json"
    if not path.exists():
        return State()
    return State(**json.loads(path.read_text()))


def _state_commit(*, directory: Path, state: State) -> None:
    state.refreshed_at = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
    tmp = directory / "state.json.tmp"
    tmp.write_text(json.dumps(state.__dict__, indent=1))
    os.replace(tmp, directory / "state.json")  # atomic: readers see the old state or the new, never half


@contextlib.contextmanager
def _writer_lock(*, directory: Path, blocking: bool) -> Iterator[bool]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session; days are cut in the platform's time zone, like the KPI pages show them."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")
    con.execute("SET enable_progress_bar = false")
    return con


def _sql_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _empty_rollup_sql() -> str:
    columns = ", ".join(
        [f"NULL::DATE AS {ROLLUP_KEYS[0]}", *(f"NULL::VARCHAR AS {k}" for k in ROLLUP_KEYS[1:]),
         *(f"0::BIGINT AS {m}" for m in ROLLUP_MEASURES)]
    )
    return f"SELECT {columns} WHERE false"


def views_create(
    *, con: duckdb.DuckDBPyConnection, directory: Path | None = None, state: State | None = None,
    in_memory: bool = False,
) -> None:
    """`rollup`, `hist` and `events` views over the files the committed state names; with `in_memory`, `rollup`
    and `hist` are tables loaded from those files instead (a few MB even for 100 million events)."""
    directory = directory or warehouse_dir()
    state = state or state_get(directory=directory)
    rollup = [directory / "rollup" / name for name in state.rollup.values()]
    hist = [directory / "hist" / name for name in state.hist.values()]
    events = [directory / "events" / name for name in state.events]
    kind = "TABLE" if in_memory else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} rollup AS "
                + (f"SELECT * FROM read_parquet({_sql_list(rollup)})" if rollup else _empty_rollup_sql()))
    con.execute(f"CREATE OR REPLACE {kind} hist AS " + (
        f"SELECT * FROM read_parquet({_sql_list(hist)})" if hist
        else "SELECT NULL::DATE AS month, NULL::VARCHAR AS agency_code, NULL::VARCHAR AS service_slug, "
             "0::SMALLINT AS bucket, 0::BIGINT AS decisions WHERE false"))
    empty_events = "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in STORED_COLUMNS) + " WHERE false"
    con.execute("CREATE OR REPLACE VIEW events AS "
                + (f"SELECT * FROM read_parquet({_sql_list(events)})" if events else empty_events))


# --- writing ------------------------------------------------------------------------------------------------


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _batch_to_parquet(*, con: duckdb.DuckDBPyConnection, rows: list[tuple], target: Path) -> None:
    # Neither pandas nor pyarrow is a dependency: rows go through a CSV file that DuckDB reads with fixed types.
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=target.parent, delete=False, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
        csv_path = Path(handle.name)
    try:
        columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in EVENT_COLUMNS) + "}"
        con.execute(
            f"COPY (SELECT * REPLACE (coalesce(outcome, '') AS outcome), {DAY_SQL} AS day FROM read_csv('{csv_path}', "
            f"header = false, columns = {columns}, nullstr = '', auto_detect = false) ORDER BY id) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        csv_path.unlink(missing_ok=True)


def _month_merge(
    *, con: duckdb.DuckDBPyConnection, directory: Path, state: State, delta: str, kind: str,
    keys: Sequence[str], measures: Sequence[str], version: int,
) -> list[str]:
    """Add the delta table's rows to the stored months they touch; returns those months."""
    date = keys[0]
    found = con.execute(f"SELECT DISTINCT strftime({date}, '%Y-%m') FROM {delta} ORDER BY 1").fetchall()
    months = [month for (month,) in found]
    files: dict[str, str] = getattr(state, kind)
    sums = ", ".join(f"sum({m})::BIGINT AS {m}" for m in measures)
    key_list = ", ".join(keys)
    for month in months:
        new_rows = f"SELECT {key_list}, {', '.join(measures)} FROM {delta} WHERE strftime({date}, '%Y-%m') = '{month}'"
        old = files.get(month)
        source = new_rows + (f" UNION ALL SELECT {key_list}, {', '.join(measures)} "
                             f"FROM read_parquet('{directory / kind / old}')" if old else "")
        name = f"{month}-v{version:08d}.parquet"
        con.execute(f"COPY (SELECT {key_list}, {sums} FROM ({source}) GROUP BY ALL ORDER BY ALL) "
                    f"TO '{directory / kind / name}' (FORMAT parquet, COMPRESSION zstd)")
        files[month] = name
    return months


def events_append(*, con: duckdb.DuckDBPyConnection, directory: Path, state: State, files: Sequence[Path]) -> list[str]:
    """Fold new event files into the daily rollups: aggregate only the new rows, add them to the touched months."""
    source = f"read_parquet({_sql_list(files)})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE delta_rollup AS {ROLLUP_SQL.format(source=source)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE delta_hist AS {HIST_SQL.format(source=source)}")
    version = state.version + 1
    months = _month_merge(con=con, directory=directory, state=state, delta="delta_rollup", kind="rollup",
                          keys=ROLLUP_KEYS, measures=ROLLUP_MEASURES, version=version)
    months += _month_merge(con=con, directory=directory, state=state, delta="delta_hist", kind="hist",
                           keys=HIST_KEYS, measures=("decisions",), version=version)
    state.version = version
    state.events.extend(f.name for f in files)
    return sorted(set(months))


def _unreferenced_remove(*, directory: Path, state: State) -> None:
    # Superseded month versions, and files of a refresh that died before committing.
    keep = {"events": set(state.events), "rollup": set(state.rollup.values()), "hist": set(state.hist.values())}
    for kind, names in keep.items():
        for path in (directory / kind).glob("*.parquet"):
            if path.name not in names:
                path.unlink(missing_ok=True)


def _dirs_make(directory: Path) -> None:
    for kind in ("events", "rollup", "hist"):
        (directory / kind).mkdir(parents=True, exist_ok=True)


_EVENT_FIELDS = [name for name, _type in EVENT_COLUMNS]


def refresh(
    *, directory: Path | None = None, batch: int = BATCH, max_batches: int | None = None, blocking: bool = True
) -> RefreshResult:
    """Export transaction events newer than the watermark in batches and add them to the daily rollups.

    With nothing new it reads one short query and writes nothing. `blocking=False` returns at once when another
    process is refreshing (a web request then reads the last committed state instead of waiting)."""
    directory = directory or warehouse_dir()
    exported, batches, months = 0, 0, set()
    with _writer_lock(directory=directory, blocking=blocking) as locked:
        if not locked:
            return RefreshResult(exported=0, batches=0, months=[], watermark=state_get(directory=directory).watermark)
        _dirs_make(directory)
        state = state_get(directory=directory)
        con = None  # opened on the first new row: a refresh with nothing to do stays one short query
        while max_batches is None or batches < max_batches:
            now = time.time()
            state.gaps = {k: seen for k, seen in state.gaps.items() if now - seen < GAP_WAIT_SECONDS}
            awaited = [int(k) for k in state.gaps]
            rows = list(
                TransactionEvent.objects.filter(Q(id__gt=state.watermark) | Q(id__in=awaited))
                .order_by("id").values_list(*_EVENT_FIELDS)[:batch]
            )
            if not rows:
                break
            ids = {row[0] for row in rows}
            for found in ids & set(awaited):
                state.gaps.pop(str(found), None)
            top = max(ids)
            if top > state.watermark:
                # On the first export nothing below the first id is awaited: those ids were never used.
                floor = state.watermark + 1 if state.watermark else min(ids)
                missing = (i for i in range(floor, top) if i not in ids)
                for gap in missing:
                    if len(state.gaps) >= GAP_LIMIT:
                        break
                    state.gaps[str(gap)] = now
                state.watermark = top
            target = directory / "events" / f"part-{state.version + 1:08d}.parquet"
            con = con or connect()
            _batch_to_parquet(con=con, rows=rows, target=target)
            months.update(events_append(con=con, directory=directory, state=state, files=[target]))
            _state_commit(directory=directory, state=state)
            _unreferenced_remove(directory=directory, state=state)
            exported += len(rows)
            batches += 1
        if con is not None:
            con.close()
        return RefreshResult(exported=exported, batches=batches, months=sorted(months), watermark=state.watermark)


def events_import(*, files: Sequence[Path], directory: Path | None = None) -> list[str]:
    """Add event files written elsewhere (synthetic history) to the warehouse, incrementally like a refresh."""
    directory = directory or warehouse_dir()
    with _writer_lock(directory=directory, blocking=True):
        _dirs_make(directory)
        state = state_get(directory=directory)
        moved = []
        for path in files:
            target = directory / "events" / path.name
            if path.resolve() != target.resolve():
                os.replace(path, target)
            moved.append(target)
        con = connect()
        months = events_append(con=con, directory=directory, state=state, files=moved)
        _state_commit(directory=directory, state=state)
        _unreferenced_remove(directory=directory, state=state)
        con.close()
        return months


def rollup_rebuild(*, directory: Path | None = None) -> int:
    """Recompute every month's rollups from all event files: the full recompute, for repairs and the benchmark."""
    directory = directory or warehouse_dir()
    with _writer_lock(directory=directory, blocking=True):
        _dirs_make(directory)
        state = state_get(directory=directory)
        state.rollup, state.hist = {}, {}
        con = connect()
        views_create(con=con, directory=directory, state=state)
        version = state.version + 1
        for kind, sql, keys in (("rollup", ROLLUP_SQL, ROLLUP_KEYS), ("hist", HIST_SQL, HIST_KEYS)):
            # One pass over the events, written as one file per month (the same layout updates maintain).
            scratch = directory / kind / f"rebuild-v{version:08d}"
            con.execute(f"COPY (SELECT *, strftime({keys[0]}, '%Y-%m') AS part FROM ({sql.format(source='events')}) "
                        f"ORDER BY {', '.join(keys)}) TO '{scratch}' (FORMAT parquet, PARTITION_BY (part), "
                        f"COMPRESSION zstd)")
            files: dict[str, str] = getattr(state, kind)
            for part in sorted(scratch.glob("part=*/*.parquet")):
                month = part.parent.name.removeprefix("part=")
                name = f"{month}-v{version:08d}.parquet"
                os.replace(part, directory / kind / name)
                files[month] = name
            for leftover in sorted(scratch.glob("**/*"), reverse=True):
                leftover.rmdir() if leftover.is_dir() else leftover.unlink()
            scratch.rmdir()
        state.version = version
        _state_commit(directory=directory, state=state)
        _unreferenced_remove(directory=directory, state=state)
        views_create(con=con, directory=directory, state=state)
        rows = con.execute("SELECT count(*) FROM rollup").fetchone()[0]
        con.close()
        return rows


# --- reading ------------------------------------------------------------------------------------------------

_readers = threading.local()


def reader(*, directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """This thread's reading connection, with the committed rollups loaded in memory. Committed files never
    change, so the tables stay exact until a refresh commits a new version; then they are loaded again. Web pages
    read through it: opening a connection and reading two dozen month files costs more than their queries."""
    directory = directory or warehouse_dir()
    state = state_get(directory=directory)
    # Each commit replaces state.json (a new inode): a warehouse emptied and rebuilt to the same version is new too.
    stamp = (directory / "state.json").stat() if state.version else None
    key = (str(directory), state.version, stamp and (stamp.st_ino, stamp.st_mtime_ns))
    cached = getattr(_readers, "current", None)
    if cached and cached[0] == key:
        return cached[1]
    if cached:
        cached[1].close()
    con = connect()
    views_create(con=con, directory=directory, state=state, in_memory=True)
    _readers.current = (key, con)
    return con


def rollup_rows(*, directory: Path | None = None, recompute: bool = False) -> list[tuple]:
    """Every rollup row, sorted; `recompute=True` computes them from the raw events instead (for checking)."""
    con = connect()
    views_create(con=con, directory=directory)
    measures = ", ".join(f"sum({m})::BIGINT" for m in ROLLUP_MEASURES)
    source = f"({ROLLUP_SQL.format(source='events')})" if recompute else "rollup"
    keys = ", ".join(ROLLUP_KEYS)
    rows = con.execute(f"SELECT {keys}, {measures} FROM {source} GROUP BY ALL ORDER BY ALL").fetchall()
    con.close()
    return rows


def median_from_histogram(*, buckets: Sequence[tuple[int, int]]) -> float | None:
    """Median seconds from (bucket, count) pairs. The k-th of a bucket's c values is placed at fraction
    (k + 0.5) / c across the bucket (geometrically), and the median is the middle value, or the mean of the two
    middle values for an even count, as for raw values."""
    ordered = sorted((bucket, count) for bucket, count in buckets if count)
    total = sum(count for _b, count in ordered)
    if not total:
        return None

    def value_at(rank: int) -> float:
        seen = 0
        for bucket, count in ordered:
            if rank < seen + count:
                return 2 ** ((bucket + (rank - seen + 0.5) / count) / BUCKETS_PER_DOUBLING) - 1
            seen += count
        raise ValueError(rank)  # unreachable: rank < total

    return (value_at((total - 1) // 2) + value_at(total // 2)) / 2


@dataclass(frozen=True)
class Slice:
    """Which rollup rows a figure covers: dates are inclusive, blank strings mean all."""

    agency_code: str = ""
    service_slug: str = ""
    audience: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    excluded_services: tuple[str, ...] = ()

    def where(self, *, with_audience: bool = True, date: str = "day") -> tuple[str, list]:
        # The histogram is kept per month (`date="month"`, the month's first day): a period that starts or ends
        # inside a month takes that whole month's decisions for its median.
        clauses, params = ["true"], []
        for column, value in (("agency_code", self.agency_code), ("service_slug", self.service_slug),
                              ("audience", self.audience if with_audience else "")):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.start:
            clauses.append(f"{date} >= date_trunc('month', ?::DATE)" if date == "month" else f"{date} >= ?")
            params.append(self.start)
        if self.end:
            clauses.append(f"{date} <= ?")
            params.append(self.end)
        if self.excluded_services:
            clauses.append(f"service_slug NOT IN ({', '.join('?' for _ in self.excluded_services)})")
            params.extend(self.excluded_services)
        return " AND ".join(clauses), params


GROUPS = {"agency_code": "agency_code", "service_slug": "service_slug", "month": "strftime(day, '%Y-%m')",
          "channel": "channel", "audience": "audience", "platform": "'platform'"}


def figures_by(
    *, group: str = "platform", where: Slice | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, Figures]:
    """KPI figures from the rollups, per agency, service, month, channel or audience (or the whole platform)."""
    where = where or Slice()
    con = con or reader()
    expression = GROUPS[group]
    clause, params = where.where()
    counts = con.execute(
        f"SELECT {expression} AS g, " + ", ".join(f"sum({m})::BIGINT" for m in ROLLUP_MEASURES[:6])
        + f" FROM rollup WHERE {clause} GROUP BY g ORDER BY g", params,
    ).fetchall()
    hist_group = {"month": "strftime(month, '%Y-%m')"}.get(group, expression) if group in {
        "agency_code", "service_slug", "month", "platform"} else None
    medians: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if hist_group:
        # The histogram has no channel or audience: medians by those would need the raw events.
        hist_clause, hist_params = where.where(with_audience=False, date="month")
        if where.audience:
            hist_clause += " AND service_slug IN (SELECT DISTINCT service_slug FROM rollup WHERE audience = ?)"
            hist_params.append(where.audience)
        for key, bucket, count in con.execute(
            f"SELECT {hist_group} AS g, bucket, sum(decisions)::BIGINT FROM hist WHERE {hist_clause} GROUP BY ALL",
            hist_params,
        ).fetchall():
            medians[key].append((bucket, count))
    result = {}
    for key, *values in counts:
        median = median_from_histogram(buckets=medians.get(key, []))
        result[key] = Figures(*values, median_days_to_decision=None if median is None else round(median / 86400, 2))
    return result


def figures(*, where: Slice | None = None) -> Figures:
    found = figures_by(group="platform", where=where)
    return found.get("platform", Figures(0, 0, 0, 0, 0, 0, None))


def event_span(*, directory: Path | None = None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with rollups."""
    con = connect()
    views_create(con=con, directory=directory)
    first, last = con.execute("SELECT min(day), max(day) FROM rollup").fetchone()
    con.close()
    return first, last
