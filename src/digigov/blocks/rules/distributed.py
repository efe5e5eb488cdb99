"""Where a scan's chunks are computed: local worker processes, or a Dask distributed cluster.

The chunk function travels to the workers by reference, so this module imports nothing from Django at load
time: a Dask worker on another machine imports it, sets Django up from its own environment
(DJANGO_SETTINGS_MODULE), and computes from the arrays it is sent, never touching the database; the scanning
process reads the registries and records the results. Local worker processes read their chunks themselves and
record them too, each chunk in its own transaction, so that writing a million offers is spread over the cores
(on SQLite they take turns: one writer at a time).
"""

import concurrent.futures
import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy


def _django_ready() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digigov.platform.settings")
        django.setup()


def chunk_portable(chunk: Any) -> dict[str, Any]:
    """A PopulationChunk as plain values for pickling. OpenFisca's EnumArray loses its enum when pickled, so
    coded inputs travel as (codes, enum class) and are rebuilt on the worker."""
    from openfisca_core.indexed_enums import EnumArray

    def portable(values: dict[str, Any]) -> dict[str, Any]:
        return {
            name: (numpy.asarray(array), array.possible_values) if isinstance(array, EnumArray) else array
            for name, array in values.items()
        }

    return {
        "person_ids": chunk.person_ids,
        "household_ids": chunk.household_ids,
        "person_household_ids": chunk.person_household_ids,
        "person_roles": chunk.person_roles,
        "person_inputs": portable(chunk.person_inputs),
        "household_inputs": portable(chunk.household_inputs),
    }


def chunk_evaluate_task(arrays: dict[str, Any], as_of: dt.date) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Every scheme's eligibility for one chunk sent as chunk_portable()."""
    _django_ready()
    from openfisca_core.indexed_enums import EnumArray

    from digigov.blocks.rules.population import PopulationChunk
    from digigov.blocks.rules.scan import chunk_evaluate

    def restored(values: dict[str, Any]) -> dict[str, Any]:
        return {name: EnumArray(*array) if isinstance(array, tuple) else array for name, array in values.items()}

    chunk = PopulationChunk(
        **{
            **arrays,
            "person_inputs": restored(arrays["person_inputs"]),
            "household_inputs": restored(arrays["household_inputs"]),
        }
    )
    try:
        return chunk_evaluate(chunk=chunk, as_of=as_of)
    except Exception as error:
        # Some OpenFisca errors cannot be unpickled, which would break the whole pool: send the text instead.
        raise RuntimeError(f"{type(error).__name__}: {error}") from None


def _chunk_read_evaluate(
    kind: str, first_id: int, last_id: int, chunk_size: int, as_of: dt.date
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Read one chunk from the registries through the worker's own connection, then evaluate it."""
    _django_ready()
    from digigov.blocks.rules.scan import chunk_evaluate, chunk_read

    population = chunk_read(kind=kind, first_id=first_id, last_id=last_id, chunk_size=chunk_size)
    if population is None:
        empty = numpy.array([], dtype=numpy.int64)
        return empty, empty, numpy.array([], dtype=numpy.uint16)
    try:
        return chunk_evaluate(chunk=population, as_of=as_of)
    except Exception as error:
        raise RuntimeError(f"{type(error).__name__}: {error}") from None


def chunk_read_evaluate_record_task(
    scan_id: int, index: int, chunk_plan: tuple[str, int, int, int], as_of: dt.date
) -> int:
    """Read, evaluate and record one chunk in a local worker: its eligibility, offers and their events commit in
    one transaction of the worker's own connection, as the scanning process would write them, compared with the
    previous scan's results the worker inherited (ProcessRunner). Returns the number of offers made."""
    _django_ready()
    from digigov.blocks.rules import actions, queries

    person_ids, household_ids, eligible = _chunk_read_evaluate(*chunk_plan, as_of)
    return actions.scan_chunk_record(
        scan=queries.scan_get(scan_id=scan_id),
        index=index,
        person_ids=person_ids,
        household_ids=household_ids,
        eligible=eligible,
        previous=_inherited.get("previous"),
        services=queries.services_by_scheme(),
    )


_inherited_connections: list[Any] = []
# What the scanning process sets before its local workers are forked, so they inherit it rather than receive it
# with every task: the previous scan's results are 60 MB for 5.9 million people, and sending them with each of
# a hundred chunks cost more than computing the chunks.
_inherited: dict[str, Any] = {}


def _connections_detach() -> None:
    """In a forked worker: leave the parent's database connections alone (closing a PostgreSQL one would end
    the parent's session) and let Django open the worker's own when it first reads."""
    from django.db import connections

    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None:
            _inherited_connections.append(wrapper.connection)  # kept referenced: never closed, never collected
            wrapper.connection = None


class Runner(Protocol):
    def submit(self, function: Callable, *args: Any) -> Any: ...

    def first_completed(self, futures: Iterable[Any]) -> set[Any]: ...

    def close(self) -> None: ...


class ProcessRunner:
    """Local worker processes. Forked, so they start with the rules already loaded and with `inherited` (see
    _inherited); they never use the parent's database connection."""

    def __init__(self, *, workers: int, inherited: dict[str, Any] | None = None) -> None:
        _inherited.clear()
        _inherited.update(inherited or {})
        # A forking pool starts all its processes at the first submit, after _inherited is set.
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_connections_detach
        )

    def submit(self, function: Callable, *args: Any) -> Any:
        return self.pool.submit(function, *args)

    def first_completed(self, futures: Iterable[Any]) -> set[Any]:
        done, _pending = concurrent.futures.wait(list(futures), return_when=concurrent.futures.FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        _inherited.clear()


class DaskRunner:
    """A Dask distributed cluster, reached through its scheduler's address (tcp://host:8786)."""

    def __init__(self, *, address: str) -> None:
        from distributed import Client

        self.client = Client(address, set_as_default=False)

    def submit(self, function: Callable, *args: Any) -> Any:
        # pure=False: two chunks with equal arrays are still two tasks.
        return self.client.submit(function, *args, pure=False)

    def first_completed(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait

        with self.client.as_current():
            return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()

    @property
    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))


def runner_open(
    *, scheduler: str | None, workers: int, inherited: dict[str, Any] | None = None
) -> ProcessRunner | DaskRunner:
    """Dask if given a scheduler, else local processes, which inherit `inherited` (values tasks may read)."""
    return DaskRunner(address=scheduler) if scheduler else ProcessRunner(workers=workers, inherited=inherited)
