"""Cost a policy reform now (--reform FILE) or compute a simulation queued in the back office (--run-id ID).

`digigov rules simulate --reform FILE [--as-of DATE] [--out DIR] [--agency CODE]` prints the costs and writes
the files; `digigov rules simulate --run-id ID` computes a queued run as the worker does, or one that a worker
which stopped part way left running.
"""

import argparse
import datetime as dt
import uuid
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError

from digigov.blocks.rules.reform import reform_parse
from digigov.blocks.rules.simulation import ALL, SimulationResult, simulation_get, simulation_run
from digigov.blocks.rules.tasks import simulation_execute
from digigov.platform.errors import NotFound, ValidationFailed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--reform", type=Path, help="reform YAML (see docs/rules.md)")
    what.add_argument(
        "--run-id",
        type=uuid.UUID,
        help="a simulation queued in the back office, or left running by a worker that stopped (its results go "
        "to the warehouse; the other options do not apply)",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="date to simulate, YYYY-MM-DD (default: the date from which all the reform's changes are in force)",
    )
    parser.add_argument("--out", type=Path, default=None, help="directory for the results (default: the warehouse)")
    parser.add_argument(
        "--agency",
        default=None,
        help="agency code the population read is recorded for (default: the agency of the first changed parameter)",
    )


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _print(*, result: SimulationResult, stdout: TextIO) -> None:
    summary = result.summary
    stdout.write(f"{summary['reform']['name']}: {summary['people']:,} people as of {summary['as_of']}\n")
    stdout.write(f"{'scheme':<24}{'baseline':>16}{'reform':>16}{'difference':>16}{'gained':>9}{'lost':>9}\n")
    for row in result.tables["schemes"]:
        if row["scheme"] == ALL or row["cost_difference"] or row["gained"] or row["lost"]:
            stdout.write(
                f"{row['scheme']:<24}{_money(row['cost_baseline']):>16}{_money(row['cost_reform']):>16}"
                f"{_money(row['cost_difference']):>16}{row['gained']:>9}{row['lost']:>9}\n"
            )
    stdout.write(f"Results (CSV, Parquet, summary.json): {result.directory}\n")


def _queued_run(*, run_id: uuid.UUID, stdout: TextIO) -> None:
    run = simulation_execute(run_id=run_id, resume_running=True)
    if run is None:
        raise CommandError(f"Simulation {run_id} is not queued or running: nothing to compute")
    if run.status != run.Status.DONE:
        raise CommandError(f"Simulation {run_id} failed: {run.error}")
    _print(result=simulation_get(run_id=run.result_id), stdout=stdout)


def handle(*, options: dict, stdout: TextIO) -> None:
    if options.get("run_id"):
        _queued_run(run_id=options["run_id"], stdout=stdout)
        return
    path: Path = options["reform"]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None
    try:
        reform = reform_parse(text=text)
    except ValidationFailed as error:
        problems = "\n".join(f"  {field}: {message}" for field, message in error.fields.items())
        raise CommandError(f"{path} is not a valid reform:\n{problems}") from None
    # Parameters are named after the agency that owns them (ssa.baby_bonus...), as their YAML folders are.
    agency = (options.get("agency") or reform.changes[0].parameter.split(".")[0]).upper()
    try:
        result = simulation_run(
            actor=None, reform=reform, as_of=options.get("as_of"), agency_code=agency, out_dir=options.get("out")
        )
    except NotFound:
        raise CommandError(f"No agency with code {agency}") from None
    _print(result=result, stdout=stdout)
