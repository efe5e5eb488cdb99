from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from digigov.blocks.kpi import datasets, definitions, queries
from digigov.platform.errors import NotFound, ValidationFailed

router = Router(tags=["KPIs"])


class FiguresOut(Schema):
    submitted: int
    prefilled: int
    decided: int
    digital_end_to_end: int
    ratings: int
    satisfied: int
    median_days_to_decision: float | None
    prefilled_share: float | None
    digital_end_to_end_share: float | None
    satisfied_share: float | None


class SummaryOut(Schema):
    targets: dict[str, Any]
    platform: FiguresOut
    agencies: dict[str, FiguresOut]
    services: dict[str, FiguresOut]


class ExclusionOut(Schema):
    service_slug: str
    reason: str
    legal_reference: str


class KpiOut(Schema):
    id: str
    name: str
    value: float | None
    target: float | None
    target_text: str
    unit: str
    period: str
    numerator: int | None
    denominator: int | None
    met: bool | None
    source: str
    formula: str
    exclusion_rules: str
    exclusions: list[ExclusionOut]


class ColumnOut(Schema):
    name: str
    type: str
    description: str


class DictionaryOut(Schema):
    id: str
    title: str
    description: str
    formats: list[str]
    columns: list[ColumnOut]


@router.get("/kpi/summary", response=SummaryOut, auth=None,
            summary="Blueprint KPIs for the platform, agencies and services")
def summary(request: HttpRequest):
    return queries.summary()


@router.get("/kpi/kpis", response=list[KpiOut], auth=None, summary="Every Blueprint KPI with its target and exclusions")
def kpis(request: HttpRequest, period: str = "all", agency: str = "", service: str = "", by_month: bool = False,
         id: str = ""):
    """`id` takes one KPI id or several separated by commas; an unknown id is a 400 naming it."""
    ids = [part.strip() for part in id.split(",") if part.strip()]
    if unknown := [kpi_id for kpi_id in ids if kpi_id not in definitions.KPIS]:
        raise ValidationFailed(fields={"id": f"No KPI has the id {', '.join(unknown)[:200]}."})
    figures = definitions.kpi_list(period=period, agency_code=agency, service_slug=service, by_month=by_month,
                                   kpi_ids=ids)
    return [figure.as_row() for figure in figures]


class DatasetOut(Schema):
    id: str
    title: str
    description: str
    downloads: dict[str, str]
    dictionary: str


@router.get("/kpi/datasets", response=list[DatasetOut], auth=None,
            summary="Every open KPI dataset with its download and dictionary addresses")
def dataset_index(request: HttpRequest):
    return [{"id": spec.id, "title": spec.title, "description": spec.description,
             "downloads": {f: f"/api/kpi/datasets/{spec.id}.{f}" for f in datasets.FORMATS},
             "dictionary": f"/api/kpi/datasets/{spec.id}/dictionary"} for spec in datasets.DATASETS.values()]


@router.get("/kpi/datasets/{dataset}/dictionary", response=DictionaryOut, auth=None,
            summary="Data dictionary of an open dataset: every column, its type and meaning")
def dictionary(request: HttpRequest, dataset: str):
    spec = datasets.dataset_get(dataset=dataset)
    return {"id": spec.id, "title": spec.title, "description": spec.description,
            "formats": list(datasets.FORMATS), "columns": [c.__dict__ for c in spec.columns]}


@router.get("/kpi/datasets/{filename}", auth=None, summary="Open dataset download as csv, json or parquet (e.g. "
            "/api/kpi/datasets/rollup-daily.parquet); GET /api/kpi/datasets lists the datasets")
def download(request: HttpRequest, filename: str):
    dataset, dot, file_format = filename.rpartition(".")
    if not dot:
        raise NotFound()
    body, content_type = datasets.dataset_file(dataset=dataset, file_format=file_format)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{dataset}.{file_format}"'
    return response
