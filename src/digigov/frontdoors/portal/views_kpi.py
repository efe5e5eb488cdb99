"""Public performance pages.

- `/kpi/`: the live transaction figures (operational events, exact medians) for the platform, an agency or a
  service; it moves the moment the worker delivers an event.
- `/kpi/blueprint/` and `/kpi/blueprint/<kpi>/`: the Blueprint KPI dashboard, read from the warehouse rollups
  (DuckDB over Parquet) and the catalogues and capability records: each KPI with its value, target, definition,
  exclusions, monthly trend and drill-down by agency and service. Every chart is followed by a table of the
  same numbers.
"""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from digigov.blocks.kpi import datasets, definitions, warehouse
from digigov.blocks.kpi import queries as kpi
from digigov.blocks.kpi.charts import chart_build, value_text
from digigov.blocks.registries import queries as registries
from digigov.blocks.services import queries as services
from digigov.platform.errors import NotFound, ValidationFailed


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, f"portal/{template}", {"nav_active": "kpi", **context}, status=status)


def _or_404(query: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return query(**kwargs)
    except NotFound:
        raise Http404() from None


# --- live transaction figures ----------------------------------------------------------------------------------

def _kpi_cards(*, figures: kpi.Figures, series: list, days_target: float | None) -> list[dict]:
    definitions_ = [
        ("digital", _("Completed digitally end to end"), "digital_share", kpi.DIGITAL_TARGET, True,
         _("Decided applications that were made online and completed on the platform."), "decided"),
        ("prefilled", _("Pre-filled from verified records"), "prefilled_share", kpi.PREFILL_TARGET, True,
         _("Submitted applications with at least one answer filled from verified records."), "submitted"),
        ("satisfied", _("Very or extremely satisfied"), "satisfied_share", kpi.SATISFACTION_TARGET, True,
         _("Ratings of 5 or 6 on a 6-point scale."), "ratings"),
        ("days", _("Median days to a decision"), "median_days_to_decision", days_target, False,
         _("Calendar days from submitting an application to its decision."), "decided"),
    ]
    cards = []
    for key, name, attribute, target, share, description, base in definitions_:
        value = getattr(figures, attribute)
        meets = None
        if value is not None and target is not None:
            meets = value >= target if share else value <= target
        points = [(month, getattr(f, attribute)) for month, f in series]
        cards.append({
            "key": key, "name": name, "value": value, "target": target, "share": share, "meets": meets,
            "description": description, "base": getattr(figures, base),
            "chart": chart_build(points=points, target=target, share=share),
            "rows": [(month, getattr(f, attribute), getattr(f, base)) for month, f in series],
        })
    return cards


def kpi_page(request: HttpRequest) -> HttpResponse:
    agency_code = request.GET.get("agency", "").strip()[:20]
    service_slug = request.GET.get("service", "").strip()[:100]
    agencies = {a.code: a for a in registries.agency_list()}
    service_names = {s.slug: s for s in services.service_list()}
    agency = service = None
    days_target = None
    if service_slug:
        service = _or_404(services.service_get, slug=service_slug)
        agency = service.agency
        days_target = service.sla_days
        rows, row_kind = [], ""
    elif agency_code:
        agency = agencies.get(agency_code) or _or_404(registries.agency_get, code=agency_code)
        rows = [
            {"name": service_names[slug].name if slug in service_names else slug,
             "href": f"?service={slug}" if slug in service_names else "", "figures": f,
             "sla_days": service_names[slug].sla_days if slug in service_names else None}
            for slug, f in kpi.figures_by(group="service_slug", agency_code=agency.code).items()
        ]
        row_kind = "service"
    else:
        rows = [
            {"name": agencies[code].name if code in agencies else code, "href": f"?agency={code}", "figures": f,
             "sla_days": None}
            for code, f in kpi.figures_by(group="agency_code").items()
        ]
        row_kind = "agency"
    scope = {
        "agency_code": agency.code if agency and not service else "",
        "service_slug": service.slug if service else "",
    }
    figures = kpi.figures(**scope)
    series = kpi.monthly(**scope)
    return _page(request, "kpi.html", {
        "agency": agency, "service": service, "figures": figures, "rows": rows, "row_kind": row_kind,
        "cards": _kpi_cards(figures=figures, series=series, days_target=days_target),
    })


# --- the Blueprint KPI dashboard (warehouse) -------------------------------------------------------------------

def _scope(request: HttpRequest) -> dict:
    """The period, agency and service asked for; unknown agencies and services are 404s."""
    period_text = request.GET.get("period", "all").strip()[:10] or "all"
    period = definitions.period_parse(text=period_text)  # ValidationFailed for a malformed period
    agencies = {a.code: a for a in registries.agency_list()}
    all_services = {s.slug: s for s in services.service_list()}
    agency = service = None
    if slug := request.GET.get("service", "").strip()[:100]:
        service = all_services.get(slug) or _or_404(services.service_get, slug=slug)
        agency = agencies.get(service.agency.code)
    elif code := request.GET.get("agency", "").strip()[:20]:
        agency = agencies.get(code) or _or_404(registries.agency_get, code=code)
    return {"period": period, "agency": agency, "service": service, "agencies": agencies,
            "services": all_services}


def _period_error(request: HttpRequest, template: str, error: ValidationFailed, context: dict) -> HttpResponse:
    message = error.fields.get("period", "")
    return _page(request, template, {**context, "errors": [("period", message)], "error_links": [("#period", message)],
                                     "period_text": request.GET.get("period", "")[:10]}, status=400)


def kpi_dashboard(request: HttpRequest) -> HttpResponse:
    """Every Blueprint KPI for the period: value, target and whether it is met."""
    try:
        scope = _scope(request)
    except ValidationFailed as error:
        return _period_error(request, "kpi_dashboard.html", error, {"rows": []})
    warehouse.refresh(max_batches=5, blocking=False)
    agency = scope["agency"]
    rows = []
    for figure in definitions.kpi_list(period=scope["period"].label, agency_code=agency.code if agency else "",
                                       fresh=False):
        rows.append({"kpi": figure.kpi, "figure": figure, "value": value_text(figure.value, figure.kpi.unit)})
    return _page(request, "kpi_dashboard.html", {
        "rows": rows, "period_text": scope["period"].label, "agency": agency,
        "state": warehouse.state_get(), "datasets": datasets.DATASETS.values(),
    })


def _breakdown_rows(*, kpi_: definitions.Kpi, period: definitions.Period, group: str, agency_code: str,
                    names: dict, query: str) -> list[dict]:
    found = definitions.kpi_breakdown(kpi=kpi_, period=period, group=group, agency_code=agency_code)
    param = "agency" if group == "agency_code" else "service"
    rows = [{"key": key, "name": getattr(names.get(key), "name", key),
             "href": f"?{param}={key}{query}" if key in names else "", "figure": f,
             "value": value_text(f.value, kpi_.unit)} for key, f in found.items()]
    return sorted(rows, key=lambda row: str(row["name"]))


def kpi_detail(request: HttpRequest, kpi_id: str) -> HttpResponse:
    """One Blueprint KPI: its definition, value against target, monthly trend and drill-down."""
    kpi_ = definitions.KPIS.get(kpi_id)
    if kpi_ is None:
        raise Http404()
    try:
        scope = _scope(request)
    except ValidationFailed as error:
        return _period_error(request, "kpi_detail.html", error, {"kpi": kpi_, "figure": None})
    warehouse.refresh(max_batches=5, blocking=False)
    period, agency, service = scope["period"], scope["agency"], scope["service"]
    agency_code = agency.code if agency and not service else ""
    figures = definitions.kpi_compute(kpi=kpi_, period=period, agency_code=agency_code,
                                      service_slug=service.slug if service else "", by_month=True)
    figure, months = (figures[0], figures[1:]) if figures else (None, [])
    query = f"&period={period.label}" if period.label != "all" else ""
    by_agency = by_service = []
    if not service and not agency:
        by_agency = _breakdown_rows(kpi_=kpi_, period=period, group="agency_code", agency_code="",
                                    names=scope["agencies"], query=query)
    if not service:
        by_service = _breakdown_rows(kpi_=kpi_, period=period, group="service_slug", agency_code=agency_code,
                                     names=scope["services"], query=query)
    share = kpi_.unit == "share"
    exclusions = figure.exclusions if figure else []
    return _page(request, "kpi_detail.html", {
        "kpi": kpi_, "figure": figure, "value": value_text(figure.value if figure else None, kpi_.unit),
        "target_value": value_text(kpi_.target_value, kpi_.unit) if kpi_.target_value is not None else "",
        "scaled_target": round(figure.denominator * kpi_.target_value)
        if figure and kpi_.id == "officer_data_analytics" and figure.denominator else None,
        "chart": chart_build(points=[(f.period, f.value) for f in months], target=kpi_.target_value, share=share),
        "months": [{"month": f.period, "value": value_text(f.value, kpi_.unit), "numerator": f.numerator,
                    "denominator": f.denominator} for f in months],
        "breakdowns": [("kpi-by-agency", _("By agency"), _("Agency"), by_agency),
                       ("kpi-by-service", _("By service"), _("Service"), by_service)],
        "period_text": period.label, "agency": agency,
        "service": service, "exclusions": [
            {**e, "service_name": getattr(scope["services"].get(e["service_slug"]), "name", e["service_slug"])}
            for e in exclusions],
    })
