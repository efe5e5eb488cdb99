from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from digigov.blocks.kpi import queries

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


@router.get("/kpi/summary", response=SummaryOut, auth=None, summary="Blueprint KPIs for the platform, agencies and services")
def summary(request: HttpRequest):
    return queries.summary()
