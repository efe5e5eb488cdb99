"""Proactive offers: every scheme evaluated for the whole population, compared with the previous scan, and
an offer for each person newly eligible.

The population is planned into chunks of whole households (then people registered at no household). Each chunk's
registry columns are read in bulk (by local worker processes themselves, or by the scanning process, which sends
the arrays to a Dask distributed cluster), an OpenFisca simulation is built from arrays and every scheme is
computed at once: no per-person loop. Results are one bit mask per person, recorded chunk by chunk, each in its
own transaction with its offers and their events (on PostgreSQL by the local workers themselves, so writing is
spread over the cores; otherwise by the scanning process), so an interrupted scan resumes with the chunks it had
not recorded.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy
from django.db import connection
from django.utils.translation import gettext as _
from tqdm import tqdm

from digigov.blocks.registries import bulk
from digigov.blocks.rules import actions, queries
from digigov.blocks.rules.distributed import (
    chunk_evaluate_task,
    chunk_portable,
    chunk_read_evaluate_record_task,
    runner_open,
)
from digigov.blocks.rules.mapping import ROLE_INDEX
from digigov.blocks.rules.models import Scan, ScanChunk
from digigov.blocks.rules.population import PopulationChunk, _chunk, _period_for, simulation_from_chunk
from digigov.blocks.rules.schemes import SCHEMES
from digigov.platform.errors import Conflict

DEFAULT_CHUNK_SIZE = 20_000  # households per chunk: about 57,000 people, some 60 MB of simulation


def chunk_plans(*, chunk_size: int) -> Iterator[tuple[str, int, int]]:
    """(kind, first id, last id) of each chunk: `chunk_size` households, then people in no household."""
    after = 0
    while households := bulk.households_read(after_id=after, limit=chunk_size):
        yield ScanChunk.Kind.HOUSEHOLDS, households[0][0], households[-1][0]
        after = households[-1][0]
    after = 0
    while rows := bulk.persons_without_household_read(after_id=after, limit=chunk_size):
        yield ScanChunk.Kind.LONE_PERSONS, rows[0][0], rows[-1][0]
        after = rows[-1][0]


def chunk_read(*, kind: str, first_id: int, last_id: int, chunk_size: int) -> PopulationChunk | None:
    """The registry columns of a chunk's people, as they are now (None if nobody is left in it)."""
    if kind == ScanChunk.Kind.HOUSEHOLDS:
        households = _households_between(first=first_id, last=last_id)
        rows = bulk.household_members_read(first_household_id=first_id, last_household_id=last_id)
    else:
        households = []
        rows = [
            row
            for row in bulk.persons_without_household_read(after_id=first_id - 1, limit=chunk_size)
            if row[0] <= last_id
        ]
    return _chunk(rows=rows, households=households) if rows else None


def _households_between(*, first: int, last: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    after = first - 1
    while page := bulk.households_read(after_id=after, limit=50_000):
        found.extend(h for h in page if h[0] <= last)
        if page[-1][0] >= last:
            break
        after = page[-1][0]
    return found


def _household_recipients(chunk: PopulationChunk) -> numpy.ndarray:
    """For each person, whether household schemes are offered to them: one member per household, the first
    parent in registry order (the head), or the first member where no one is a parent."""
    count = len(chunk.person_ids)
    not_parent = (chunk.person_roles != ROLE_INDEX["parent"]).astype(numpy.int8)
    order = numpy.lexsort((numpy.arange(count), not_parent, chunk.person_household_ids))
    sorted_households = chunk.person_household_ids[order]
    first = numpy.ones(count, dtype=bool)
    first[1:] = sorted_households[1:] != sorted_households[:-1]
    recipient = numpy.zeros(count, dtype=bool)
    recipient[order[first]] = True
    return recipient


def chunk_evaluate(*, chunk: PopulationChunk, as_of: dt.date) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(person ids, their household ids, eligibility masks): bit i set when the person qualifies for
    SCHEMES[i]. A household scheme counts for the one member it is offered to. The household ids come back
    so that recording can tell when another member has already applied for a household scheme."""
    simulation = simulation_from_chunk(chunk=chunk, as_of=as_of)
    households = simulation.populations["household"]
    recipient = _household_recipients(chunk)
    eligible = numpy.zeros(len(chunk.person_ids), dtype=numpy.uint16)
    for bit, scheme in enumerate(SCHEMES):
        values = numpy.asarray(
            simulation.calculate(scheme.eligible, _period_for(variable=scheme.eligible, as_of=as_of))
        )
        if scheme.entity == "household":
            values = households.project(values) & recipient
        eligible |= values.astype(numpy.uint16) << bit
    return chunk.person_ids, chunk.person_household_ids, eligible


class ScanFailed(Conflict):
    code = "scan_failed"


def _in_memory_database() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@dataclass
class ScanOutcome:
    scan: Scan
    chunks_recorded: int
    offers: int
    finished: bool


def scan_run(
    *,
    as_of: dt.date,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    scheduler: str | None = None,
    workers: int = 2,
    actor: object = None,
    stop_after: int | None = None,
    progress: bool = True,
) -> ScanOutcome:
    """Run (or resume) the scan as of `as_of`. `stop_after` records that many chunks and stops as an
    interruption would, leaving the scan to be resumed."""
    if connection.vendor == "sqlite":
        # A page cache big enough for the offer and outbox indexes the scan appends to (the default is 2 MB).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    unfinished = queries.scan_unfinished()
    plans = None if unfinished is not None else list(chunk_plans(chunk_size=chunk_size))
    scan = actions.scan_start(actor=actor, as_of=as_of, chunk_size=chunk_size, plans=plans)
    previous = queries.scan_eligibility(scan=scan.previous) if scan.previous_id else None
    services = queries.services_by_scheme()
    todo = iter(queries.scan_chunks_todo(scan=scan))
    runner = runner_open(scheduler=scheduler, workers=workers, inherited={"previous": previous})
    # Local workers read and record their chunks through their own connections, which see committed data
    # only, so reading and writing are spread over the cores too. On SQLite, one writer at a time: a worker
    # waits (busy_timeout, 20 s) while the other commits a chunk (about a second), and evaluates its next chunk
    # meanwhile; this process, recording every chunk itself, had been the bottleneck (make bench-rules: 25.3 s
    # then, 21.9 s now, for a million residents). A Dask worker may have no database at all, and a caller
    # inside a transaction (a test) has data they cannot see: then this process reads, sends the arrays and
    # records the results.
    workers_record = scheduler is None and not connection.in_atomic_block and not _in_memory_database()
    # Enough chunks in flight to keep every worker busy while the next one is read.
    in_flight_limit = 2 * getattr(runner, "workers", workers) + 1
    in_flight: dict[object, int] = {}
    recorded = offers = 0
    bar = tqdm(
        total=scan.chunks_total,
        initial=queries.scan_chunks_done(scan=scan),
        unit="chunk",
        disable=not progress,
        desc=f"Scan as of {as_of.isoformat()}",
    )
    try:

        def fill() -> None:
            while len(in_flight) < in_flight_limit and (chunk := next(todo, None)) is not None:
                plan = (chunk.kind, chunk.first_id, chunk.last_id, scan.chunk_size)
                if workers_record:
                    task = (chunk_read_evaluate_record_task, scan.pk, chunk.index, plan, as_of)
                    in_flight[runner.submit(*task)] = chunk.index
                    continue
                population = chunk_read(
                    kind=chunk.kind, first_id=chunk.first_id, last_id=chunk.last_id, chunk_size=scan.chunk_size
                )
                if population is None:  # everyone in it has left the registries since it was planned
                    empty = numpy.array([], dtype=numpy.int64)
                    actions.scan_chunk_record(
                        scan=scan,
                        index=chunk.index,
                        person_ids=empty,
                        household_ids=empty,
                        eligible=empty.astype(numpy.uint16),
                        previous=previous,
                        services=services,
                    )
                    bar.update(1)
                    continue
                in_flight[runner.submit(chunk_evaluate_task, chunk_portable(population), as_of)] = chunk.index

        fill()
        while in_flight:
            for future in runner.first_completed(in_flight):
                index = in_flight.pop(future)
                try:
                    result = future.result()
                except Exception as error:
                    abandoned = actions.scan_abandon(scan=scan)
                    raise ScanFailed(
                        _("The rules could not be computed as of %(date)s (%(error)s). %(next)s")
                        % {
                            "date": as_of.isoformat(),
                            "error": error,
                            "next": _("Nothing was recorded.")
                            if abandoned
                            else _("Run the same command again to resume."),
                        }
                    ) from error
                if workers_record:
                    offers += result  # recorded by the worker already
                else:
                    person_ids, household_ids, eligible = result
                    offers += actions.scan_chunk_record(
                        scan=scan,
                        index=index,
                        person_ids=person_ids,
                        household_ids=household_ids,
                        eligible=eligible,
                        previous=previous,
                        services=services,
                    )
                recorded += 1
                bar.update(1)
                if stop_after is not None and recorded >= stop_after:
                    return ScanOutcome(scan=scan, chunks_recorded=recorded, offers=offers, finished=False)
            fill()
    finally:
        bar.close()
        runner.close()
    scan = actions.scan_finish(scan=scan)
    return ScanOutcome(scan=scan, chunks_recorded=recorded, offers=offers, finished=True)
