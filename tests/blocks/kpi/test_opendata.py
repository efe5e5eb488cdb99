import csv
import io
import json

import duckdb
import pytest

from digigov.blocks.kpi import warehouse
from digigov.blocks.kpi.datasets import DATASETS


@pytest.fixture
def published(history, warehouse_dir, client):
    return client


def _parse(body: bytes, file_format: str, tmp_path) -> list[dict]:
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    if file_format == "json":
        return json.loads(body)
    path = tmp_path / "download.parquet"
    path.write_bytes(body)
    con = duckdb.connect()
    cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_kpi_list_has_value_target_period_and_exclusions(published):
    listed = published.get("/api/kpi/kpis").json()
    assert {row["id"] for row in listed} >= {"citizen_satisfaction", "e_payment", "machine_readable_data"}
    for row in listed:
        assert {"id", "name", "value", "target", "period", "exclusions"} <= set(row)
    digital = next(row for row in listed if row["id"] == "digital_end_to_end")
    assert digital["period"] == "all" and 0 < digital["value"] <= 1 and digital["target"] == 0.9


@pytest.mark.parametrize("file_format", ["csv", "json", "parquet"])
def test_kpi_downloads_parse_back_to_the_listed_figures(published, file_format, tmp_path):
    listed = {row["id"]: row for row in published.get("/api/kpi/kpis").json()}
    response = published.get(f"/api/kpi/datasets/kpis.{file_format}")
    assert response.status_code == 200
    rows = [row for row in _parse(response.content, file_format, tmp_path) if row["period"] in {"all", "now"}]
    assert {row["id"] for row in rows} == set(listed)
    for row in rows:
        expected = listed[row["id"]]["value"]
        value = None if row["value"] in (None, "") else float(row["value"])
        assert value == pytest.approx(expected) if expected is not None else value is None


@pytest.mark.parametrize("file_format", ["csv", "json", "parquet"])
def test_rollup_downloads_add_up_to_the_warehouse_figures(published, file_format, tmp_path):
    response = published.get(f"/api/kpi/datasets/rollup-daily.{file_format}")
    assert response.status_code == 200
    rows = _parse(response.content, file_format, tmp_path)
    figures = warehouse.figures()
    assert sum(int(row["submitted"]) for row in rows) == figures.submitted > 0
    assert sum(int(row["satisfied"]) for row in rows) == figures.satisfied


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_the_dictionary_lists_every_column_of_the_dataset(published, dataset):
    dictionary = published.get(f"/api/kpi/datasets/{dataset}/dictionary").json()
    header = next(csv.reader(io.StringIO(published.get(f"/api/kpi/datasets/{dataset}.csv").content.decode())))
    assert [column["name"] for column in dictionary["columns"]] == header
    assert all(column["type"] and column["description"] for column in dictionary["columns"])


@pytest.mark.parametrize("path", ["/api/kpi/datasets/nope.csv", "/api/kpi/datasets/kpis.xlsx",
                                  "/api/kpi/datasets/kpis", "/api/kpi/datasets/nope/dictionary"])
def test_an_unknown_dataset_or_format_is_not_found(published, path):
    response = published.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
