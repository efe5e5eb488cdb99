"""Synthetic transaction history, so a fresh demo's KPI pages have trends to show.

Each synthetic transaction is submitted, most are decided, some are rated. Shares drift month by month
the way a digitalising government's would: more applications online, more pre-filled, a little more
satisfaction. Deterministic for a given seed.
"""

import datetime as dt
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from digigov.blocks.kpi.models import TransactionEvent

BATCH = 5000


@dataclass(frozen=True)
class ServiceRef:
    slug: str
    agency_code: str
    audience: str


def _month_starts(*, months: int, today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for back in range(months, 0, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(dt.date(year, month + 1, 1))
    return starts


@transaction.atomic
def history_generate(*, services: Sequence[ServiceRef], months: int, per_month: int, seed: int) -> int:
    """Create `months` months of history before the current month, about `per_month` transactions each."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    tz = timezone.get_current_timezone()
    rows: list[TransactionEvent] = []
    created = 0
    starts = _month_starts(months=months, today=timezone.localdate())
    for index, month_start in enumerate(starts):
        progress = index / max(1, len(starts) - 1)
        online_share = 0.78 + 0.14 * progress
        prefill_share = 0.55 + 0.30 * progress
        days_in_month = 28
        for _ in range(int(per_month * rng.uniform(0.9, 1.1))):
            service = rng.choice(services)
            application_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            channel = "online" if rng.random() < online_share else "counter"
            prefilled = channel == "online" and rng.random() < prefill_share
            submitted = dt.datetime.combine(
                month_start + dt.timedelta(days=rng.randrange(days_in_month)),
                dt.time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=tz,
            )
            common = {"application_id": application_id, "agency_code": service.agency_code,
                      "service_slug": service.slug, "audience": service.audience, "channel": channel}
            rows.append(TransactionEvent(
                source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="submitted",
                occurred_at=submitted, prefilled=prefilled, **common,
            ))
            if rng.random() < 0.92:
                seconds = int(math.exp(rng.gauss(math.log(3 * 86400), 0.8)))
                decided = submitted + dt.timedelta(seconds=seconds)
                rows.append(TransactionEvent(
                    source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="decided",
                    occurred_at=decided, prefilled=prefilled, digital_end_to_end=channel == "online",
                    outcome="approved" if rng.random() < 0.83 else "rejected", seconds_to_decision=seconds, **common,
                ))
                if rng.random() < 0.35:
                    satisfied = rng.random() < 0.66 + 0.12 * progress
                    rows.append(TransactionEvent(
                        source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="rated",
                        occurred_at=decided + dt.timedelta(hours=rng.randrange(1, 72)),
                        satisfaction=rng.choice((5, 6)) if satisfied else rng.choice((1, 2, 3, 4, 4)), **common,
                    ))
            if len(rows) >= BATCH:
                TransactionEvent.objects.bulk_create(rows)
                created += len(rows)
                rows = []
    TransactionEvent.objects.bulk_create(rows)
    return created + len(rows)


# --- at scale: straight to Parquet --------------------------------------------------------------------------

# Events per synthetic transaction: one submission, 92% decided, 35% of those rated (the rates used above).
EVENTS_PER_TRANSACTION = 1 + 0.92 + 0.92 * 0.35
TRANSACTIONS_PER_FILE = 2_000_000


def _sql_text_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _history_sql(
    *, services: Sequence[ServiceRef], starts: Sequence[dt.date], seed: int, transactions: int, first: int, last: int
) -> str:
    # Every random draw is a hash of (transaction number, seed) re-hashed with the draw number: the same seed gives
    # the same history whatever the chunking or thread count, with no generator state to carry between rows.
    # (Hashing the tuple (i, seed, draw) in one call gives draws that correlate strongly with each other.)
    def draw_hash(draw: int) -> str:
        return f"hash(hash(i, {seed}) + {draw})"

    def u(draw: int) -> str:
        return f"(({draw_hash(draw)} >> 11)::DOUBLE / 9007199254740992.0)"

    def uuid_of(draw: int) -> str:
        return f"(({draw_hash(draw)}::UHUGEINT << 64) | {draw_hash(draw + 1)}::UHUGEINT)::UUID"

    months = len(starts)
    slugs = _sql_text_list([s.slug for s in services])
    agencies = _sql_text_list([s.agency_code for s in services])
    audiences = _sql_text_list([s.audience for s in services])
    month_starts = "[" + ", ".join(f"DATE '{d.isoformat()}'" for d in starts) + "]"
    # Composed from numbers and quoted service names of our own catalogue, never from a request.
    return f"""
    SELECT *, CAST(occurred_at AS DATE) AS day FROM (
    WITH base AS (
        SELECT i, (i * {months}) // {transactions} AS m, ({draw_hash(2)} % {len(services)})::INTEGER + 1 AS s,
            {u(3)} AS u3, {u(4)} AS u4, {u(5)} AS u5, {u(6)} AS u6, {u(7)} AS u7, {u(8)} AS u8, {u(9)} AS u9,
            {u(10)} AS u10, {u(11)} AS u11, {u(12)} AS u12, {u(13)} AS u13, {u(14)} AS u14
        FROM range({first}, {last}) AS r(i)
    ), tx AS (
        SELECT i, {uuid_of(20)} AS application_id,
            {agencies}[s] AS agency_code, {slugs}[s] AS service_slug, {audiences}[s] AS audience,
            m / greatest(1, {months} - 1) AS progress,
            CASE WHEN u3 < 0.78 + 0.14 * m / greatest(1, {months} - 1) THEN 'online' ELSE 'counter' END AS channel,
            ({month_starts}[m + 1] + to_days(floor(u5 * 28)::INTEGER) + to_hours(7 + floor(u13 * 16)::INTEGER)
                + to_minutes(floor(u14 * 60)::INTEGER))::TIMESTAMPTZ AS submitted_at,
            u4, u6, u9, u10, u11, u12,
            -- log-normal time to decision around three days (Box-Muller from two uniform draws)
            floor(exp(ln(3 * 86400) + 0.8 * sqrt(-2 * ln(1 - u7)) * cos(2 * pi() * u8)))::INTEGER AS seconds
        FROM base
    ), steps AS (
        SELECT *, channel = 'online' AND u4 < 0.55 + 0.30 * progress AS prefilled,
            u6 < 0.92 AS decided, u6 < 0.92 AND u9 < 0.35 AS rated,
            submitted_at + to_seconds(seconds) AS decided_at
        FROM tx
    )
    SELECT -(i * 3 + 1) AS id, {uuid_of(30)} AS source_event_id, 'submitted' AS kind, submitted_at AS occurred_at,
        application_id, agency_code, service_slug, audience, channel, prefilled,
        NULL::BOOLEAN AS digital_end_to_end, '' AS outcome, NULL::INTEGER AS seconds_to_decision,
        NULL::SMALLINT AS satisfaction
    FROM steps
    UNION ALL
    SELECT -(i * 3 + 2), {uuid_of(32)}, 'decided', decided_at, application_id, agency_code, service_slug, audience,
        channel, prefilled, channel = 'online', CASE WHEN u12 < 0.83 THEN 'approved' ELSE 'rejected' END, seconds, NULL
    FROM steps WHERE decided
    UNION ALL
    SELECT -(i * 3 + 3), {uuid_of(34)}, 'rated', decided_at + to_hours(1 + floor(u11 * 71)::INTEGER), application_id,
        agency_code, service_slug, audience, channel, NULL, NULL, '', NULL,
        CASE WHEN u10 < 0.66 + 0.12 * progress THEN 5 + (u11 < 0.5)::INTEGER
             ELSE [1, 2, 3, 4, 4][floor(u11 * 5)::INTEGER + 1] END::SMALLINT
    FROM steps WHERE rated
    )
    """  # noqa: S608


def history_to_parquet(
    *, services: Sequence[ServiceRef], months: int, events: int, seed: int, directory: Path,
    today: dt.date | None = None, prefix: str = "synthetic",
) -> list[Path]:
    """Write about `events` transaction events over `months` months before this one as Parquet files, computed by
    DuckDB in bulk (no ORM rows): for demos and benchmarks at national scale. Ids are negative so synthetic rows
    can never be mistaken for, or collide with, exported operational rows."""
    import duckdb
    from django.conf import settings

    directory.mkdir(parents=True, exist_ok=True)
    starts = _month_starts(months=months, today=today or timezone.localdate())
    transactions = max(1, round(events / EVENTS_PER_TRANSACTION))
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")  # the day column is cut in the platform's time zone
    con.execute("SET enable_progress_bar = false")
    files = []
    for number, first in enumerate(range(0, transactions, TRANSACTIONS_PER_FILE)):
        last = min(transactions, first + TRANSACTIONS_PER_FILE)
        target = directory / f"{prefix}-s{seed}-{number:05d}.parquet"
        sql = _history_sql(
            services=services, starts=starts, seed=seed, transactions=transactions, first=first, last=last
        )
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        files.append(target)
    con.close()
    return files
