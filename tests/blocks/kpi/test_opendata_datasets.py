"""The open datasets beyond the KPI list: by agency, monthly rollup, decision-time histogram, and the capability
records behind the officer, cloud and project KPIs; and the KPI list's id filter."""

import csv
import io
import json

import pytest

from digigov.blocks.capability.models import DataProject, System
from digigov.blocks.kpi import definitions, warehouse
from digigov.blocks.kpi.datasets import DATASETS


@pytest.fixture
def published(history, warehouse_dir, client):
    from digigov.blocks.capability.synthetic import capability_seed

    capability_seed(residents=300, seed=7)
    return client


def _csv(client, dataset: str) -> list[dict]:
    response = client.get(f"/api/kpi/datasets/{dataset}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_index_lists_every_dataset_with_stable_addresses(published):
    index = published.get("/api/kpi/datasets").json()
    assert [d["id"] for d in index] == list(DATASETS)
    for dataset in index:
        for file_format, url in dataset["downloads"].items():
            assert url == f"/api/kpi/datasets/{dataset['id']}.{file_format}"
            assert published.get(url).status_code == 200
        assert published.get(dataset["dictionary"]).json()["id"] == dataset["id"]


def test_the_monthly_rollup_and_the_histogram_add_up_to_the_figures(published):
    monthly = _csv(published, "rollup-monthly")  # the download folds new events into the warehouse first
    figures = warehouse.figures()
    assert sum(int(r["submitted"]) for r in monthly) == figures.submitted > 0
    assert sum(int(r["decided"]) for r in monthly) == figures.decided
    assert {r["month"] for r in monthly} == {r["day"][:7] for r in _csv(published, "rollup-daily")}
    histogram = _csv(published, "decision-time-histogram")
    assert sum(int(r["decisions"]) for r in histogram) == figures.decided
    assert all(float(r["from_seconds"]) < float(r["to_seconds"]) for r in histogram)


def test_kpis_by_agency_match_the_dashboard_drill_down(published):
    rows = json.loads(published.get("/api/kpi/datasets/kpis-by-agency.json").content)
    period = definitions.period_parse(text="all")
    expected = definitions.kpi_breakdown(kpi=definitions.KPIS["officer_digital_literacy"], period=period,
                                         group="agency_code")
    literacy = {r["agency_code"]: r for r in rows if r["id"] == "officer_digital_literacy"}
    assert set(literacy) == set(expected) and len(literacy) == 8
    for code, figure in expected.items():
        assert literacy[code]["value"] == pytest.approx(figure.value)
        assert literacy[code]["denominator"] == figure.denominator
    assert {r["id"] for r in rows} >= {"digital_end_to_end", "e_payment", "commercial_cloud"}


def test_the_records_behind_the_capability_kpis_are_published(published):
    systems = _csv(published, "systems")
    assert len(systems) == System.objects.count() > 0
    assert all(r["eligible_for_commercial_cloud"] == "false" for r in systems if r["classification"] == "sensitive")
    projects = _csv(published, "cross-agency-projects")
    assert len(projects) == DataProject.objects.count()
    assert all(len(r["agency_codes"].split()) >= 2 for r in projects)


def test_the_kpi_list_filters_by_id(published):
    rows = published.get("/api/kpi/kpis", {"id": "e_payment,data_fusion_days"}).json()
    assert {r["id"] for r in rows} == {"e_payment", "data_fusion_days"}
    assert all(r["exclusion_rules"] is not None for r in rows)
    refused = published.get("/api/kpi/kpis", {"id": "e_payment,wellbeing"})
    assert refused.status_code == 400 and "wellbeing" in refused.json()["error"]["fields"]["id"]
