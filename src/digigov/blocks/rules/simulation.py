"""Policy simulation: the whole population under today's rules and under a reform, side by side.

Each chunk of whole households (population.py) becomes two array-built simulations, one on the nation's rules
and one on the reformed rules, and every scheme is computed in both: no per-person loop. Per person we keep
only what the tables need (household income per head, age, each scheme's yearly amount in both worlds), then
total by scheme, by income-per-head decile and by age group. Results are files, not tables: CSV and Parquet
(written with DuckDB) and a JSON summary under DIGIGOV_WAREHOUSE_DIR/simulations/<run id>/.

Definitions, also in docs/rules.md:
- yearly cost: the as-of month's amount x 12 for monthly schemes, the as-of year's amount for yearly ones, and
  the as-of month's amount once for one-off schemes (their claim windows cover a year's events);
- a beneficiary is someone eligible with an amount above zero; a household scheme counts its recipient, the
  household's head (as offers do), and its cost falls in the head's age group;
- deciles split people by their household's monthly income per head, at the population's tenth percentiles;
- in the "all schemes" rows, beneficiaries are people who receive at least one scheme.
"""

import csv
import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.consent.actions import population_access_record
from digigov.blocks.registries.queries import agency_get
from digigov.blocks.registries.synthetic import nation_counts
from digigov.blocks.rules.mapping import elements_needed
from digigov.blocks.rules.population import _period_for, population_arrays, simulation_from_chunk
from digigov.blocks.rules.reform import PolicyReform, reform_system
from digigov.blocks.rules.scan import _household_recipients
from digigov.blocks.rules.schemes import SCHEMES
from digigov.platform.errors import NotFound

DEFAULT_CHUNK_SIZE = 20_000  # households per chunk, as for scans
LEGAL_BASIS = "Policy analysis: costing a proposed change to public schemes (rules as code)"
YEARLY_FACTOR = {"monthly": 12, "yearly": 1, "one_off": 1}
# (label, lowest age, highest age or None)
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-24", 18, 24),
    ("25-44", 25, 44),
    ("45-64", 45, 64),
    ("65-74", 65, 74),
    ("75+", 75, None),
)
TABLES = ("schemes", "deciles", "age_groups")
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
ALL = "all"


def _simulations_dir() -> Path:
    return Path(settings.DIGIGOV_WAREHOUSE_DIR) / "simulations"


@dataclass
class _PersonColumns:
    income_per_head: numpy.ndarray
    age: numpy.ndarray
    baseline: numpy.ndarray  # (schemes, persons) yearly amounts received
    reform: numpy.ndarray


def _yearly_amounts(*, simulation: Any, chunk: Any, as_of: dt.date, recipient: numpy.ndarray) -> numpy.ndarray:
    households = simulation.populations["household"]
    amounts = numpy.zeros((len(SCHEMES), len(chunk.person_ids)), dtype=numpy.float64)
    for row, scheme in enumerate(SCHEMES):
        eligible = numpy.asarray(
            simulation.calculate(scheme.eligible, _period_for(variable=scheme.eligible, as_of=as_of))
        )
        amount = numpy.asarray(simulation.calculate(scheme.amount, _period_for(variable=scheme.amount, as_of=as_of)))
        paid = numpy.where(eligible, amount, 0.0)
        if scheme.entity == "household":
            paid = households.project(paid) * recipient
        amounts[row] = paid * YEARLY_FACTOR[scheme.recurrence]
    return amounts


def _evaluate(*, reform: PolicyReform, as_of: dt.date, chunk_size: int) -> _PersonColumns:
    reformed = reform_system(reform=reform)
    parts: list[tuple[numpy.ndarray, ...]] = []
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    for chunk in population_arrays(as_of=as_of, chunk_size=chunk_size):
        recipient = _household_recipients(chunk)
        baseline = simulation_from_chunk(chunk=chunk, as_of=as_of)
        # A second simulation of the same arrays, computed on the reformed rules: population.py builds on the
        # nation's rules, and a reform that only changes parameters shares all of their variables, so the
        # rules the simulation computes with can be swapped before anything is computed.
        changed = simulation_from_chunk(chunk=chunk, as_of=as_of)
        changed.tax_benefit_system = reformed
        income = baseline.populations["household"].project(numpy.asarray(baseline.calculate("income_per_head", month)))
        parts.append(
            (
                income,
                numpy.asarray(baseline.calculate("age", month)),
                _yearly_amounts(simulation=baseline, chunk=chunk, as_of=as_of, recipient=recipient),
                _yearly_amounts(simulation=changed, chunk=chunk, as_of=as_of, recipient=recipient),
            )
        )
    if not parts:
        empty = numpy.zeros((len(SCHEMES), 0))
        return _PersonColumns(numpy.zeros(0), numpy.zeros(0, dtype=int), empty, empty)
    return _PersonColumns(
        income_per_head=numpy.concatenate([p[0] for p in parts]),
        age=numpy.concatenate([p[1] for p in parts]),
        baseline=numpy.concatenate([p[2] for p in parts], axis=1),
        reform=numpy.concatenate([p[3] for p in parts], axis=1),
    )


def _figures(*, baseline: numpy.ndarray, reform: numpy.ndarray, group: numpy.ndarray, groups: int) -> list[dict]:
    """Per group: cost in both worlds and beneficiaries, gained and lost, for each scheme and all schemes."""
    rows: list[dict] = []
    keys = [scheme.key for scheme in SCHEMES]
    for index, key in enumerate([*keys, ALL]):
        if key == ALL:
            base_amount, reform_amount = baseline.sum(axis=0), reform.sum(axis=0)
            base_gets, reform_gets = (baseline > 0).any(axis=0), (reform > 0).any(axis=0)
        else:
            base_amount, reform_amount = baseline[index], reform[index]
            base_gets, reform_gets = base_amount > 0, reform_amount > 0

        def per_group(values: numpy.ndarray) -> numpy.ndarray:
            return numpy.bincount(group, weights=values.astype(numpy.float64), minlength=groups)

        figures = {
            "cost_baseline": per_group(base_amount),
            "cost_reform": per_group(reform_amount),
            "beneficiaries_baseline": per_group(base_gets),
            "beneficiaries_reform": per_group(reform_gets),
            "gained": per_group(reform_gets & ~base_gets),
            "lost": per_group(base_gets & ~reform_gets),
        }
        for g in range(groups):
            row = {"scheme": key, "group": g}
            row.update({name: round(float(values[g]), 2) for name, values in figures.items()})
            for name in ("beneficiaries_baseline", "beneficiaries_reform", "gained", "lost"):
                row[name] = int(row[name])
            row["cost_difference"] = round(row["cost_reform"] - row["cost_baseline"], 2)
            rows.append(row)
    return rows


def _decile_bounds(income: numpy.ndarray) -> numpy.ndarray:
    if len(income) == 0:
        return numpy.zeros(9)
    return numpy.quantile(income, numpy.linspace(0.1, 0.9, 9))


def _tables(columns: _PersonColumns) -> dict[str, list[dict]]:
    people = len(columns.age)
    schemes = _figures(
        baseline=columns.baseline, reform=columns.reform, group=numpy.zeros(people, dtype=numpy.int64), groups=1
    )
    for row in schemes:
        del row["group"]

    bounds = _decile_bounds(columns.income_per_head)
    decile = numpy.searchsorted(bounds, columns.income_per_head, side="right").astype(numpy.int64)
    people_by_decile = numpy.bincount(decile, minlength=10)
    deciles = _figures(baseline=columns.baseline, reform=columns.reform, group=decile, groups=10)
    edges = [0.0, *bounds.tolist()]
    for row in deciles:
        g = row.pop("group")
        row.update(
            decile=g + 1,
            income_per_head_from=round(edges[g], 2),
            income_per_head_below=round(float(bounds[g]), 2) if g < 9 else None,
            people=int(people_by_decile[g]),
        )

    age_group = numpy.zeros(people, dtype=numpy.int64)
    for index, (_label, low, _high) in enumerate(AGE_GROUPS):
        age_group[columns.age >= low] = index
    people_by_age = numpy.bincount(age_group, minlength=len(AGE_GROUPS))
    age_groups = _figures(baseline=columns.baseline, reform=columns.reform, group=age_group, groups=len(AGE_GROUPS))
    for row in age_groups:
        g = row.pop("group")
        row.update(age_group=AGE_GROUPS[g][0], people=int(people_by_age[g]))
    return {"schemes": schemes, "deciles": deciles, "age_groups": age_groups}


def _columns_first(rows: list[dict], first: list[str]) -> list[str]:
    return [*first, *[name for name in rows[0] if name not in first]] if rows else first


def _write(*, directory: Path, name: str, rows: list[dict], first: list[str]) -> None:
    fieldnames = _columns_first(rows, first)
    csv_path = directory / f"{name}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    # DuckDB reads the CSV back with typed columns (integers, doubles, text) and writes them as Parquet.
    connection = duckdb.connect()
    try:
        connection.read_csv(str(csv_path), header=True).write_parquet(str(directory / f"{name}.parquet"))
    finally:
        connection.close()


@dataclass(frozen=True)
class SimulationResult:
    run_id: str
    directory: Path
    summary: dict
    tables: dict[str, list[dict]]


def simulation_run(
    *,
    actor: Any,
    reform: PolicyReform,
    as_of: dt.date | None = None,
    agency_code: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    out_dir: Path | None = None,
) -> SimulationResult:
    """Cost `reform` against today's rules for everyone registered, as of `as_of` (by default the date from
    which all its changes are in force), and write the results under `out_dir` (by default the warehouse).

    The population-wide read is recorded first, in the name of `actor` (None for the command line) and the
    agency running the simulation.
    """
    as_of = as_of or reform.last_start
    agency = agency_get(code=agency_code)
    with transaction.atomic():
        population_access_record(
            actor=actor,
            agency=agency,
            elements=elements_needed(),
            purpose=_("Policy simulation: %(name)s (as of %(date)s)") % {"name": reform.name, "date": as_of},
            legal_basis=_(LEGAL_BASIS),
            persons_count=nation_counts()["residents"],
        )
    columns = _evaluate(reform=reform, as_of=as_of, chunk_size=chunk_size)
    tables = _tables(columns)
    now = timezone.now()
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    directory = (out_dir or _simulations_dir()) / run_id
    directory.mkdir(parents=True)
    _write(directory=directory, name="schemes", rows=tables["schemes"], first=["scheme"])
    _write(directory=directory, name="deciles", rows=tables["deciles"], first=["decile", "scheme"])
    _write(directory=directory, name="age_groups", rows=tables["age_groups"], first=["age_group", "scheme"])
    (directory / "reform.yaml").write_text(reform.text, encoding="utf-8")
    total = next(row for row in tables["schemes"] if row["scheme"] == ALL)
    summary = {
        "run_id": run_id,
        "created_at": now.isoformat(),
        "as_of": as_of.isoformat(),
        "reform": {"name": reform.name, "description": reform.description},
        "changes": [{"parameter": c.parameter, "from": c.start.isoformat(), "value": c.value} for c in reform.changes],
        "agency": agency.code,
        "officer_id": getattr(actor, "pk", None),
        "people": len(columns.age),
        "total": {name: value for name, value in total.items() if name != "scheme"},
    }
    (directory / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return SimulationResult(run_id=run_id, directory=directory, summary=summary, tables=tables)


def _typed(text: str) -> int | float | str | None:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def simulation_get(*, run_id: str, base_dir: Path | None = None) -> SimulationResult:
    """A finished run's summary and tables, read back from its files."""
    directory = (base_dir or _simulations_dir()) / run_id
    if not RUN_ID.match(run_id) or not (directory / "summary.json").is_file():
        raise NotFound()
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    tables = {}
    for name in TABLES:
        with (directory / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            tables[name] = [{key: _typed(value) for key, value in row.items()} for row in csv.DictReader(handle)]
    return SimulationResult(run_id=run_id, directory=directory, summary=summary, tables=tables)


def simulation_file(*, run_id: str, table: str, fmt: str) -> Path:
    """The path of one of a run's exported tables (CSV or Parquet)."""
    path = _simulations_dir() / run_id / f"{table}.{fmt}"
    if not RUN_ID.match(run_id) or table not in TABLES or fmt not in ("csv", "parquet") or not path.is_file():
        raise NotFound()
    return path
