"""The Blueprint KPI catalogue: each KPI's formula over platform data, its target and its exclusions, in code.

Targets are the 2018 Digital Government Blueprint's, as refreshed in 2020 (due 2023). Where the Blueprint gives a
range ("75-80%") the figure meets the target at the range's lower end. Transaction KPIs are read from the warehouse
rollups (DuckDB over Parquet); catalogue KPIs from the service and data-standards catalogues as they stand now,
through those blocks' queries; officer, cloud and project KPIs from the capability block's records, as they stood
at the end of the period (through capability.queries).
"""

import datetime as dt
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


# A window of days, both ends inclusive; a missing start means "from the first record".
Window = tuple[dt.date | None, dt.date]


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str  # name, formula, target and exclusion rules are translatable (lazy) strings
    formula: str
    target: str  # as the Blueprint states it
    target_value: float | None  # the bar the figure must reach (or stay under, when lower is better)
    unit: str  # "share", "days", "working days" or "projects"
    source: str  # "transactions", "service catalogue", "data standards catalogue" or a capability record
    higher_is_better: bool = True
    audience: str = ""  # transactions KPIs: only this audience's transactions
    from_figures: Callable[[Figures], Measure] | None = None  # transactions KPIs: measure from rollup figures
    from_catalogue: Callable[[Scope], Measure] | None = None  # catalogue KPIs
    # Capability KPIs: one measure per window, for an agency or all ("" ), from the records as they stood.
    from_records: Callable[[str, Sequence[Window]], list[Measure]] | None = None
    breakdowns: tuple[str, ...] = ("agency_code", "service_slug")  # the drill-downs that make sense
    exclusion_rules: str = ""  # who or what the definition itself leaves out, and why

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


# The Blueprint's analytics target is a head count in a public service of about 145,000 officers: the same share
# of whatever workforce the capability records hold.
ANALYTICS_TRAINED_TARGET, BLUEPRINT_WORKFORCE = 20_000, 145_000


def _skills(attribute: str) -> Callable[[str, Sequence[Window]], list[Measure]]:
    def compute(agency_code: str, windows: Sequence[Window]) -> list[Measure]:
        from digigov.blocks.capability.queries import skills_at

        counts = skills_at(dates=[end for _start, end in windows], agency_code=agency_code)
        return [_share(getattr(c, attribute), c.staff) for c in counts]
    return compute


def _cloud(agency_code: str, windows: Sequence[Window]) -> list[Measure]:
    from digigov.blocks.capability.queries import cloud_at

    counts = cloud_at(dates=[end for _start, end in windows], agency_code=agency_code)
    return [_share(c.on_commercial_cloud, c.eligible) for c in counts]


def _projects_a_year(agency_code: str, windows: Sequence[Window]) -> list[Measure]:
    from digigov.blocks.capability.queries import project_list

    starts = [p.started_on for p in project_list(agency_code=agency_code)]
    measures = []
    for _start, end in windows:
        year_before = end - dt.timedelta(days=365)
        count = sum(1 for started in starts if year_before < started <= end)
        measures.append(Measure(value=float(count), numerator=count))
    return measures


def _fusion_days(agency_code: str, windows: Sequence[Window]) -> list[Measure]:
    from digigov.blocks.capability.queries import project_list

    shared = [(p.data_shared_on, p.fusion_working_days) for p in project_list(agency_code=agency_code)
              if p.data_shared_on and p.fusion_working_days is not None]
    measures = []
    for start, end in windows:
        days = [d for on, d in shared if (start is None or on >= start) and on <= end]
        measures.append(Measure(value=float(statistics.median(days)) if days else None, denominator=len(days)))
    return measures


_CATALOGUE = [
    Kpi(id="citizen_satisfaction", name=_("Citizens very or extremely satisfied with digital services"),
        formula=_("Ratings of 5 or 6 on the 6-point scale over all ratings, for services whose audience is citizens."),
        target=_("75-80%"), target_value=0.75, unit="share", source="transactions", audience="citizen",
        from_figures=lambda f: _share(f.satisfied, f.ratings),
        exclusion_rules=_("Ratings of business services count in the business KPI instead.")),
    Kpi(id="business_satisfaction", name=_("Businesses very or extremely satisfied with digital services"),
        formula=_("Ratings of 5 or 6 on the 6-point scale over all ratings, for services whose audience is "
                  "businesses."),
        target=_("75-80%"), target_value=0.75, unit="share", source="transactions", audience="business",
        from_figures=lambda f: _share(f.satisfied, f.ratings),
        exclusion_rules=_("Ratings of citizen services count in the citizen KPI instead.")),
    Kpi(id="e_payment", name=_("Services that offer e-payment"),
        formula=_("Active services in the catalogue that take payment online, over all active services."),
        target=_("100%"), target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(lambda s: bool(s.offers_e_payment)),
        exclusion_rules=_("Services withdrawn from the catalogue are left out.")),
    Kpi(id="e_signature", name=_("Services that offer a digital option instead of a wet-ink signature"),
        formula=_("Active services that accept a digital signature or sign-in as consent, over all active services."),
        target=_("100%"), target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(lambda s: bool(s.offers_e_signature)),
        exclusion_rules=_("Services withdrawn from the catalogue are left out.")),
    Kpi(id="prefill_services", name=_("Services that pre-fill forms with government-verified data"),
        formula=_("Active services whose e-form has at least one field bound to a data element (so it is filled from "
                "verified records with consent), over all active services."),
        target=_("100%"), target_value=1.0, unit="share", source="service catalogue",
        from_catalogue=_services_share(_prefills),
        exclusion_rules=_("Services withdrawn from the catalogue are left out.")),
    Kpi(id="digital_end_to_end", name=_("Transactions completed digitally end to end"),
        formula=_("Decided transactions applied for online and decided and notified on the platform, over all "
                "decided transactions."),
        target=_("90-95%"), target_value=0.90, unit="share", source="transactions",
        from_figures=lambda f: _share(f.digital_end_to_end, f.decided),
        exclusion_rules=_("Applications not yet decided are counted when they are decided.")),
    Kpi(id="machine_readable_data", name=_("Core data fields machine-readable and available through APIs"),
        formula=_("Data elements in the data-standards catalogue (all served by GET /api/data-elements) with a data "
                "type and a machine-checkable form: a standard format for dates, numbers, money, yes/no, email and "
                "phone, a stated format for text, a list of allowed values for codes; over all data elements."),
        target=_("100%"), target_value=1.0, unit="share", source="data standards catalogue",
        from_catalogue=_data_elements, breakdowns=("agency_code",)),
    Kpi(id="median_days_to_decision", name=_("Median days from application to decision"),
        formula=_("Median time from submission to decision over decided transactions, read from a histogram with "
                "8 buckets per doubling (within about 4% of the exact median)."),
        target=_("no Blueprint target (context for the other KPIs)"), target_value=None, unit="days",
        source="transactions", higher_is_better=False, from_figures=_median_days,
        exclusion_rules=_("Applications not yet decided are left out until they are decided.")),
    Kpi(id="officer_digital_literacy", name=_("Officers with basic digital literacy"),
        formula=_("Officers in service at the end of the period who have passed the basic digital literacy "
                "assessment, over all officers in service then."),
        target=_("100%"), target_value=1.0, unit="share", source="officer training records",
        from_records=_skills("digital_literacy"), breakdowns=("agency_code",),
        exclusion_rules=_("Officers who have left the service by the end of the period are not counted.")),
    Kpi(id="officer_data_analytics", name=_("Officers trained in data analytics or data science"),
        formula=_("Officers in service at the end of the period who have passed a data analytics or data science "
                "course, over all officers in service then."),
        target=_("20,000 of about 145,000 officers, scaled to the workforce (13.8%)"),
        target_value=round(ANALYTICS_TRAINED_TARGET / BLUEPRINT_WORKFORCE, 4), unit="share",
        source="officer training records", from_records=_skills("data_analytics"), breakdowns=("agency_code",),
        exclusion_rules=_("Officers who have left the service by the end of the period are not counted.")),
    Kpi(id="commercial_cloud", name=_("Eligible systems on commercial cloud"),
        formula=_("Systems in service at the end of the period that are eligible for commercial cloud and run there, "
                "over all eligible systems in service then. Eligible: the system's data classification is open, "
                "restricted or confidential."),
        target=_("at least 70%"), target_value=0.70, unit="share", source="system inventory",
        from_records=_cloud, breakdowns=("agency_code",),
        exclusion_rules=_("Systems holding sensitive data are not eligible for commercial cloud under the "
                        "government's cloud policy, so they are left out of both counts; retired systems too.")),
    Kpi(id="cross_agency_projects", name=_("Cross-agency AI or data-analytics projects a year"),
        formula=_("AI or data-analytics projects with at least two agencies that started in the 12 months up to "
                "the end of the period."),
        target=_("10 a year"), target_value=10.0, unit="projects", source="project records",
        from_records=_projects_a_year, breakdowns=("agency_code",),
        exclusion_rules=_("Projects of a single agency are not cross-agency and are not recorded here.")),
    Kpi(id="data_fusion_days", name=_("Time to fuse and share core data for a cross-agency project"),
        formula=_("Median working days (Monday to Friday) from the project's request for core data to the fused "
                "data reaching the project team, over projects whose data was shared in the period."),
        target=_("at most 7 working days"), target_value=7.0, unit="working days", source="project records",
        higher_is_better=False, from_records=_fusion_days, breakdowns=("agency_code",),
        exclusion_rules=_("Projects still waiting for their data are counted once it is shared.")),
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
            "id": self.kpi.id, "name": str(self.kpi.name), "period": self.period, "value": self.value,
            "target": self.kpi.target_value, "target_text": str(self.kpi.target), "unit": self.kpi.unit,
            "numerator": self.numerator, "denominator": self.denominator, "met": self.met,
            "source": self.kpi.source, "formula": str(self.kpi.formula),
            "exclusion_rules": str(self.kpi.exclusion_rules),
            "exclusions": self.exclusions,
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

    if service_slug and "service_slug" not in kpi.breakdowns:
        return []  # e.g. officers, systems, projects and data elements belong to agencies, not services
    if kpi.from_catalogue:
        # The catalogue as it stands today: no history to show per month or per period.
        return [figure("now", kpi.from_catalogue(scope))]
    if kpi.from_records:
        windows = [period_window(period=period)] + (month_windows(period=period) if by_month else [])
        labels = [period.label] + [start.strftime("%Y-%m") for start, _end in windows[1:]]
        return [figure(label, measure) for label, measure in zip(labels, kpi.from_records(agency_code, windows),
                                                                 strict=True)]
    where = warehouse.Slice(agency_code=agency_code, service_slug=service_slug, audience=kpi.audience,
                            start=period.start, end=period.end, excluded_services=scope.excluded_services)
    found = [figure(period.label, kpi.from_figures(warehouse.figures(where=where)))]
    if by_month:
        found += [figure(month, kpi.from_figures(f))
                  for month, f in warehouse.figures_by(group="month", where=where).items()]
    return found


def kpi_list(
    *, period: str = "all", agency_code: str = "", service_slug: str = "", by_month: bool = False, fresh: bool = True,
    kpi_ids: Sequence[str] = (),
) -> list[KpiFigure]:
    """Every KPI. `fresh` first folds events not yet in the warehouse into it (a few batches at most, and not at
    all while another process is refreshing: then the last complete refresh is shown)."""
    if fresh:
        warehouse.refresh(max_batches=5, blocking=False)
    parsed = period_parse(text=period)
    return [row for kpi in KPIS.values() if not kpi_ids or kpi.id in kpi_ids
            for row in kpi_compute(kpi=kpi, period=parsed, agency_code=agency_code, service_slug=service_slug,
                                   by_month=by_month)]


# How far back a trend goes when the period is "all".
TREND_MONTHS = 24


def _today() -> dt.date:
    return timezone.localdate()


def period_window(*, period: Period) -> Window:
    """The period's days up to today (records describe the past; a period still running ends today)."""
    return period.start, min(period.end or _today(), _today())


def month_windows(*, period: Period) -> list[tuple[dt.date, dt.date]]:
    """Each month of the period (for "all", the last TREND_MONTHS months), each ending today at the latest."""
    today = _today()
    last = min(period.end or today, today)
    if period.start:
        first = period.start
    else:
        year, month = divmod(last.year * 12 + last.month - 1 - (TREND_MONTHS - 1), 12)
        first = dt.date(year, month + 1, 1)
    windows = []
    start = first.replace(day=1)
    while start <= last:
        year, month = divmod(start.year * 12 + start.month, 12)
        after = dt.date(year, month + 1, 1)
        windows.append((start, min(after - dt.timedelta(days=1), last)))
        start = after
    return windows


def kpi_breakdown(*, kpi: Kpi, period: Period, group: str, agency_code: str = "") -> dict[str, KpiFigure]:
    """The KPI for each agency (group="agency_code") or each service (group="service_slug") in the period."""
    if group not in kpi.breakdowns:
        return {}
    exclusions = _exclusions(kpi=kpi)
    excluded = tuple(sorted({e["service_slug"] for e in exclusions if e["service_slug"]}))

    def figure(measure: Measure) -> KpiFigure:
        return KpiFigure(kpi=kpi, period=period.label, value=measure.value, numerator=measure.numerator,
                         denominator=measure.denominator, met=kpi.met(value=measure.value), exclusions=exclusions)

    if kpi.from_figures:
        where = warehouse.Slice(agency_code=agency_code, audience=kpi.audience, start=period.start, end=period.end,
                                excluded_services=excluded)
        return {key: figure(kpi.from_figures(f)) for key, f in warehouse.figures_by(group=group, where=where).items()}
    if kpi.from_catalogue:
        from digigov.blocks.registries.queries import agency_list
        from digigov.blocks.services.queries import service_list

        if group == "agency_code":
            keys = [a.code for a in agency_list() if not agency_code or a.code == agency_code]
            scopes = {code: Scope(period=period, agency_code=code, excluded_services=excluded) for code in keys}
        else:
            scopes = {s.slug: Scope(period=period, agency_code=agency_code, service_slug=s.slug,
                                    excluded_services=excluded)
                      for s in service_list(agency=agency_code) if s.slug not in excluded}
        found = {key: figure(kpi.from_catalogue(scope)) for key, scope in scopes.items()}
        return {key: f for key, f in found.items() if f.denominator}
    from digigov.blocks.registries.queries import agency_list

    window = period_window(period=period)
    found = {a.code: figure(kpi.from_records(a.code, [window])[0])
             for a in agency_list() if not agency_code or a.code == agency_code}
    return {key: f for key, f in found.items() if f.value is not None or f.denominator}
