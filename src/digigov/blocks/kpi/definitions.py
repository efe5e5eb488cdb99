"""The Blueprint KPI catalogue: each KPI's formula over platform data, its target and its exclusions, in code.

Targets are the 2018 Digital Government Blueprint's, as refreshed in 2020 (due 2023). Where the Blueprint gives a
range ("75-80%") the figure meets the target at the range's lower end. Transaction KPIs are read from the warehouse
rollups (DuckDB over Parquet); catalogue KPIs from the service and data-standards catalogues as they stand now,
through those blocks' queries. Officer, cloud and project KPIs need records the platform does not hold yet.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from digigov.blocks.kpi import queries, warehouse
from digigov.blocks.kpi.queries import Figures
from digigov.platform.errors import ValidationFailed

# Data types whose serialisation is fixed by a standard (ISO 8601 dates, JSON numbers and booleans, RFC 5322
# addresses, E.164 numbers); free text needs a stated format and a code needs its list of allowed values.
STANDARD_FORMATS = {"date", "integer", "money", "boolean", "email", "phone"}


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date | None
    end: dt.date | None


def period_parse(*, text: str) -> Period:
    """`all`, a year `2026`, a quarter `2026-Q3` or a month `2026-07`; dates inclusive."""
    text = (text or "all").strip()
    if text == "all":
        return Period(label="all", start=None, end=None)
    if match := re.fullmatch(r"(\d{4})(?:-Q([1-4])|-(\d{2}))?", text):
        year = int(match[1])
        if match[2]:
            first_month, months = (int(match[2]) - 1) * 3 + 1, 3
        elif match[3] and 1 <= int(match[3]) <= 12:
            first_month, months = int(match[3]), 1
        elif match[3]:
            raise ValidationFailed(fields={"period": "Months run from 01 to 12."})
        else:
            first_month, months = 1, 12
        start = dt.date(year, first_month, 1)
        after_year, after_month = divmod(year * 12 + first_month - 1 + months, 12)
        return Period(label=text, start=start, end=dt.date(after_year, after_month + 1, 1) - dt.timedelta(days=1))
    raise ValidationFailed(fields={"period": "Use all, a year (2026), a quarter (2026-Q3) or a month (2026-07)."})


@dataclass(frozen=True)
class Scope:
    period: Period
    agency_code: str = ""
    service_slug: str = ""
    excluded_services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    value: float | None
    numerator: int | None = None
    denominator: int | None = None


def _share(part: int, whole: int) -> Measure:
    return Measure(value=round(part / whole, 4) if whole else None, numerator=part, denominator=whole)


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    formula: str
    target: str  # as the Blueprint states it
    target_value: float | None  # the bar the figure must reach (or stay under, when lower is better)
    unit: str  # "share" or "days"
    source: str  # "transactions", "service catalogue" or "data standards catalogue"
    higher_is_better: bool = True
    audience: str = ""  # transactions KPIs: only this audience's transactions
    from_figures: Callable[[Figures], Measure] | None = None  # transactions KPIs: measure from rollup figures
    from_catalogue: Callable[[Scope], Measure] | None = None  # catalogue KPIs

    def met(self, *, value: float | None) -> bool | None:
        if value is None or self.target_value is None:
            return None
        return value >= self.target_value if self.higher_is_better else value <= self.target_value


def _services(scope: Scope) -> list:
    from digigov.blocks.services.queries import service_list

    wanted = scope.service_slug
    return [
        service for service in service_list(agency=scope.agency_code)
        if service.slug not in scope.excluded_services and (not wanted or service.slug == wanted)
    ]


def _services_share(test: Callable[[object], bool]) -> Callable[[Scope], Measure]:
    def compute(scope: Scope) -> Measure:
        services = _services(scope)
        return _share(sum(1 for service in services if test(service)), len(services))
    return compute


def _prefills(service: object) -> bool:
    from digigov.blocks.services.queries import prefill_request

    return bool(prefill_request(service=service))


def _machine_readable(element: object) -> bool:
    data_type = getattr(element, "data_type", "")
    return bool(data_type) and bool(
        getattr(element, "format", "") or getattr(element, "allowed_values", None) or data_type in STANDARD_FORMATS
    )


def _data_elements(scope: Scope) -> Measure:
    from digigov.blocks.registries.queries import element_list

    elements = list(element_list())
    if scope.agency_code:
        elements = [e for e in elements if e.owner_agency.code == scope.agency_code]
    return _share(sum(1 for e in elements if _machine_readable(e)), len(elements))


def _median_days(figures: Figures) -> Measure:
    return Measure(value=figures.median_days_to_decision, denominator=figures.decided)


_CATALOGUE = [
    Kpi(id="citizen_satisfaction", name="Citizens very or extremely satisfied with digital services",
        formula="Ratings of 5 or 6 on the 6-point scale over all ratings, for services whose audience is citizens.",
        target="75-80%", target_value=0.75, unit="share", source="transactions", audience="citizen",
        from_figures=lambda f: _share(f.satisfied, f.ratings)),
    Kpi(id="business_satisfaction", name="Businesses very or extremely satisfied with digital services",
        formula="Ratings of 5 or 6 on the 6-point scale over all ratings, for services whose audience is businesses.",
        target="75-80%", target_value=0.75, unit="share", source="transactions", audience="business",
        from_figures=lambda f: _share(f.satisfied, f.ratings)),
    Kpi(id="e_payment", name="Services that offer e-payment",
        formula="Active services in the catalogue that take payment online, over all active services.",
        target="100%", target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(lambda s: bool(s.offers_e_payment))),
    Kpi(id="e_signature", name="Services that offer a digital option instead of a wet-ink signature",
        formula="Active services that accept a digital signature or sign-in as consent, over all active services.",
        target="100%", target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(lambda s: bool(s.offers_e_signature))),
    Kpi(id="prefill_services", name="Services that pre-fill forms with government-verified data",
        formula="Active services whose e-form has at least one field bound to a data element (so it is filled from "
                "verified records with consent), over all active services.",
        target="100%", target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(_prefills)),
    Kpi(id="digital_end_to_end", name="Transactions completed digitally end to end",
        formula="Decided transactions applied for online and decided and notified on the platform, over all "
                "decided transactions.",
        target="90-95%", target_value=0.90, unit="share", source="transactions",
        from_figures=lambda f: _share(f.digital_end_to_end, f.decided)),
    Kpi(id="machine_readable_data", name="Core data fields machine-readable and available through APIs",
        formula="Data elements in the data-standards catalogue (all served by GET /api/data-elements) with a data "
                "type and a machine-checkable form: a standard format for dates, numbers, money, yes/no, email and "
                "phone, a stated format for text, a list of allowed values for codes; over all data elements.",
        target="100%", target_value=1.0, unit="share", source="data standards catalogue",
        from_catalogue=_data_elements),
    Kpi(id="median_days_to_decision", name="Median days from application to decision",
        formula="Median time from submission to decision over decided transactions, read from a histogram with "
                "8 buckets per doubling (within about 4% of the exact median).",
        target="no Blueprint target (context for the other KPIs)", target_value=None, unit="days",
        source="transactions", higher_is_better=False, from_figures=_median_days),
]
KPIS: dict[str, Kpi] = {kpi.id: kpi for kpi in _CATALOGUE}


@dataclass(frozen=True)
class KpiFigure:
    kpi: Kpi
    period: str
    value: float | None
    numerator: int | None
    denominator: int | None
    met: bool | None
    exclusions: list[dict[str, str]] = field(default_factory=list)

    def as_row(self) -> dict:
        return {
            "id": self.kpi.id, "name": self.kpi.name, "period": self.period, "value": self.value,
            "target": self.kpi.target_value, "target_text": self.kpi.target, "unit": self.kpi.unit,
            "numerator": self.numerator, "denominator": self.denominator, "met": self.met,
            "source": self.kpi.source, "formula": self.kpi.formula, "exclusions": self.exclusions,
        }


def _exclusions(*, kpi: Kpi) -> list[dict[str, str]]:
    return [
        {"service_slug": e.service_slug, "reason": e.reason, "legal_reference": e.legal_reference}
        for e in queries.exclusion_list(kpi_id=kpi.id)
    ]


def kpi_compute(
    *, kpi: Kpi, period: Period, agency_code: str = "", service_slug: str = "", by_month: bool = False
) -> list[KpiFigure]:
    """One KPI for the period (and, with `by_month`, also for each month with transactions)."""
    exclusions = _exclusions(kpi=kpi)
    scope = Scope(period=period, agency_code=agency_code, service_slug=service_slug,
                  excluded_services=tuple(sorted({e["service_slug"] for e in exclusions if e["service_slug"]})))

    def figure(label: str, measure: Measure) -> KpiFigure:
        return KpiFigure(kpi=kpi, period=label, value=measure.value, numerator=measure.numerator,
                         denominator=measure.denominator, met=kpi.met(value=measure.value), exclusions=exclusions)

    if kpi.from_catalogue:
        # The catalogue as it stands today: no history to show per month or per period.
        return [figure("now", kpi.from_catalogue(scope))]
    where = warehouse.Slice(agency_code=agency_code, service_slug=service_slug, audience=kpi.audience,
                            start=period.start, end=period.end, excluded_services=scope.excluded_services)
    found = [figure(period.label, kpi.from_figures(warehouse.figures(where=where)))]
    if by_month:
        found += [figure(month, kpi.from_figures(f))
                  for month, f in warehouse.figures_by(group="month", where=where).items()]
    return found


def kpi_list(
    *, period: str = "all", agency_code: str = "", service_slug: str = "", by_month: bool = False, fresh: bool = True
) -> list[KpiFigure]:
    """Every KPI. `fresh` first folds events not yet in the warehouse into it (a few batches at most, and not at
    all while another process is refreshing: then the last complete refresh is shown)."""
    if fresh:
        warehouse.refresh(max_batches=5, blocking=False)
    parsed = period_parse(text=period)
    return [row for kpi in KPIS.values()
            for row in kpi_compute(kpi=kpi, period=parsed, agency_code=agency_code, service_slug=service_slug,
                                   by_month=by_month)]
