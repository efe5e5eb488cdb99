"""Policy simulation on the seeded nation: reforms move costs and beneficiaries the way they should, the
breakdowns add up to the totals, and the exports parse."""

import argparse
import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest
from django.core.management.base import CommandError

from digigov.blocks.rules import simulation_cli
from digigov.blocks.rules.reform import example_reforms, reform_parse
from digigov.blocks.rules.simulation import ALL, simulation_run
from digigov.platform.errors import ValidationFailed

AS_OF = dt.date(2027, 1, 1)


def _reform(changes: str, name: str = "Test reform") -> str:
    return f"name: {name}\nchanges:\n{changes}"


def _run(text: str, tmp_path: Path, as_of: dt.date = AS_OF):
    return simulation_run(actor=None, reform=reform_parse(text=text), as_of=as_of, agency_code="SSA", out_dir=tmp_path)


def _scheme(result, key: str) -> dict:
    return next(row for row in result.tables["schemes"] if row["scheme"] == key)


def _same_amount_for_every_birth_order(value: int) -> str:
    return "".join(
        f"  - {{parameter: ssa.baby_bonus.amount.{order}, from: 2027-01-01, value: {value}}}\n"
        for order in ("first", "second", "third_and_later")
    )


@pytest.fixture
def bigger_bonus(nation, tmp_path):
    return _run(_reform(_same_amount_for_every_birth_order(20000)), tmp_path)


def test_a_reform_that_changes_nothing_costs_nothing(nation, tmp_path):
    result = _run(_reform("  - {parameter: ssa.baby_bonus.amount.first, from: 2030-01-01, value: 99999}\n"), tmp_path)
    total = _scheme(result, ALL)
    assert total["cost_baseline"] > 0
    assert total["cost_difference"] == 0
    assert total["gained"] == total["lost"] == 0


def test_a_higher_one_off_amount_costs_beneficiaries_times_the_new_amount(bigger_bonus):
    row = _scheme(bigger_bonus, "baby_bonus")
    assert row["beneficiaries_baseline"] > 0, "the seeded nation has recent births"
    assert row["beneficiaries_reform"] == row["beneficiaries_baseline"]
    # Each household with a newborn (no twins in the seeded nation) gets exactly the one new amount.
    assert row["cost_reform"] == row["beneficiaries_reform"] * 20000
    assert row["cost_difference"] > 0
    assert row["gained"] == row["lost"] == 0
    others = [r for r in bigger_bonus.tables["schemes"] if r["scheme"] not in ("baby_bonus", ALL)]
    assert all(r["cost_difference"] == 0 for r in others)


def test_raising_an_age_threshold_loses_beneficiaries_and_lowering_it_gains_them(nation, tmp_path):
    higher = _scheme(
        _run(_reform("  - {parameter: ssa.senior_support.min_age, from: 2027-01-01, value: 80}\n"), tmp_path),
        "senior_support",
    )
    assert higher["lost"] > 0 and higher["gained"] == 0
    assert higher["beneficiaries_reform"] == higher["beneficiaries_baseline"] - higher["lost"]
    assert higher["cost_difference"] < 0
    lower = _scheme(
        _run(_reform("  - {parameter: ssa.senior_support.min_age, from: 2027-01-01, value: 55}\n"), tmp_path),
        "senior_support",
    )
    assert lower["gained"] > 0 and lower["lost"] == 0
    assert lower["cost_difference"] > 0


def test_deciles_and_age_groups_add_up_to_the_totals(bigger_bonus):
    for table in ("deciles", "age_groups"):
        for scheme in {row["scheme"] for row in bigger_bonus.tables["schemes"]}:
            total = _scheme(bigger_bonus, scheme)
            rows = [row for row in bigger_bonus.tables[table] if row["scheme"] == scheme]
            for figure in ("cost_baseline", "cost_reform", "beneficiaries_baseline", "gained", "lost"):
                assert sum(row[figure] for row in rows) == pytest.approx(total[figure]), (table, scheme, figure)
        people = sum(row["people"] for row in bigger_bonus.tables[table] if row["scheme"] == ALL)
        assert people == bigger_bonus.summary["people"] > 0
    assert len({row["decile"] for row in bigger_bonus.tables["deciles"]}) == 10


def test_results_are_written_as_csv_parquet_and_a_summary(bigger_bonus):
    directory = bigger_bonus.directory
    summary = json.loads((directory / "summary.json").read_text())
    assert summary["reform"]["name"] == "Test reform"
    assert summary["total"]["cost_difference"] == _scheme(bigger_bonus, ALL)["cost_difference"]
    for table in ("schemes", "deciles", "age_groups"):
        rows = duckdb.read_parquet(str(directory / f"{table}.parquet")).fetchall()
        assert len(rows) == len(bigger_bonus.tables[table])
    with (directory / "schemes.csv").open(newline="") as handle:
        (csv_row,) = [row for row in csv.DictReader(handle) if row["scheme"] == "baby_bonus"]
    assert float(csv_row["cost_reform"]) == _scheme(bigger_bonus, "baby_bonus")["cost_reform"]


def test_each_run_records_one_population_read(nation, tmp_path):
    from digigov.blocks.consent.models import PopulationAccess

    before = PopulationAccess.objects.count()
    _run(_reform("  - {parameter: ssa.baby_bonus.amount.first, from: 2027-01-01, value: 1}\n"), tmp_path)
    assert PopulationAccess.objects.count() == before + 1
    record = PopulationAccess.objects.latest("pk")
    assert "Policy simulation" in record.purpose and record.agency.code == "SSA"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: x\nchanges: [{parameter: ssa.nothing_here, from: 2027-01-01, value: 1}]", "changes[0].parameter"),
        ("name: x\nchanges: [{parameter: ssa.baby_bonus.amount.first, from: 2027-13-01, value: 1}]", "changes[0].from"),
        (
            "name: x\nchanges: [{parameter: ssa.baby_bonus.amount.first, from: 2027-01-01, value: lots}]",
            "changes[0].value",
        ),
        (
            "name: x\nchanges: [{parameter: ssa.baby_bonus.amount.first, from: 2027-01-01, value: -5}]",
            "changes[0].value",
        ),
        ("name: x\nchanges: [{parameter: ssa.baby_bonus.amount.first, from: 2027-01-01}]", "changes[0].value"),
        ("name: x\nchanges: []", "changes"),
        ("changes: [{parameter: ssa.baby_bonus.amount.first, from: 2027-01-01, value: 1}]", "name"),
        ("name: [unclosed", "reform"),
        ("just text", "reform"),
    ],
)
def test_a_bad_reform_names_the_field_to_correct(text, field):
    with pytest.raises(ValidationFailed) as raised:
        reform_parse(text=text)
    assert field in raised.value.fields


def test_the_example_reforms_are_valid():
    examples = example_reforms()
    assert examples
    for text in examples.values():
        assert reform_parse(text=text).changes


def test_the_command_prints_the_costs_and_writes_the_files(nation, tmp_path):
    reform_file = tmp_path / "reform.yaml"
    reform_file.write_text(_reform(_same_amount_for_every_birth_order(15000), name="Command reform"))
    parser = argparse.ArgumentParser()
    simulation_cli.add_arguments(parser)
    options = vars(parser.parse_args(["--reform", str(reform_file), "--out", str(tmp_path / "out")]))
    out = io.StringIO()
    simulation_cli.handle(options=options, stdout=out)
    text = out.getvalue()
    assert "Command reform" in text and "as of 2027-01-01" in text and "baby_bonus" in text
    (run_dir,) = (tmp_path / "out").iterdir()
    assert (run_dir / "schemes.parquet").is_file()


def test_the_command_refuses_a_bad_reform_with_its_problems(nation, tmp_path):
    reform_file = tmp_path / "reform.yaml"
    reform_file.write_text("name: x\nchanges: [{parameter: ssa.nope, from: 2027-01-01, value: 1}]")
    with pytest.raises(CommandError, match="ssa.nope"):
        simulation_cli.handle(options={"reform": reform_file}, stdout=io.StringIO())
