"""The Blueprint KPIs of version 1, computed from transaction events (never typed in).

- digital end to end: decided transactions applied for online and completed on the platform, over all
  decided transactions;
- pre-filled: submitted applications with at least one answer filled from verified records, over all;
- satisfied: ratings of 5 or 6 on the 6-point scale, over all ratings;
- median days from submission to decision.
"""

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from digigov.blocks.kpi.models import KpiExclusion, TransactionEvent

SATISFIED_SCORES = (5, 6)
DIGITAL_TARGET = 0.90
PREFILL_TARGET = 1.0
SATISFACTION_TARGET = 0.75


@dataclass(frozen=True)
class Figures:
    submitted: int
    prefilled: int
    decided: int
    digital_end_to_end: int
    ratings: int
    satisfied: int
    median_days_to_decision: float | None

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def prefilled_share(self) -> float | None:
        return self._share(self.prefilled, self.submitted)

    @property
    def digital_share(self) -> float | None:
        return self._share(self.digital_end_to_end, self.decided)

    @property
    def satisfied_share(self) -> float | None:
        return self._share(self.satisfied, self.ratings)

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "prefilled_share": self.prefilled_share,
            "digital_end_to_end_share": self.digital_share,
            "satisfied_share": self.satisfied_share,
        }


_COUNTS = {
    "submitted": Count("id", filter=Q(kind="submitted")),
    "prefilled": Count("id", filter=Q(kind="submitted", prefilled=True)),
    "decided": Count("id", filter=Q(kind="decided")),
    "digital_end_to_end": Count("id", filter=Q(kind="decided", digital_end_to_end=True)),
    "ratings": Count("id", filter=Q(kind="rated")),
    "satisfied": Count("id", filter=Q(kind="rated", satisfaction__in=SATISFIED_SCORES)),
}


def _events(*, agency_code: str = "", service_slug: str = "") -> QuerySet[TransactionEvent]:
    events = TransactionEvent.objects.all()
    if agency_code:
        events = events.filter(agency_code=agency_code)
    if service_slug:
        events = events.filter(service_slug=service_slug)
    return events


def _median_days(seconds: list[int]) -> float | None:
    return round(statistics.median(seconds) / 86400, 2) if seconds else None


def figures(*, agency_code: str = "", service_slug: str = "") -> Figures:
    events = _events(agency_code=agency_code, service_slug=service_slug)
    counts = events.aggregate(**_COUNTS)
    seconds = list(events.filter(kind="decided").values_list("seconds_to_decision", flat=True))
    return Figures(**counts, median_days_to_decision=_median_days(seconds))


def figures_by(*, group: str, agency_code: str = "") -> dict[str, Figures]:
    """Figures per agency (group="agency_code") or per service (group="service_slug")."""
    events = _events(agency_code=agency_code)
    seconds: dict[str, list[int]] = defaultdict(list)
    for key, value in events.filter(kind="decided").values_list(group, "seconds_to_decision"):
        seconds[key].append(value)
    return {
        row.pop(group): Figures(**row, median_days_to_decision=_median_days(seconds.get(key, [])))
        for row in events.values(group).annotate(**_COUNTS).order_by(group)
        if (key := row[group]) is not None
    }


def monthly(*, agency_code: str = "", service_slug: str = "") -> list[tuple[str, Figures]]:
    """Figures per calendar month, oldest first, for the trend charts."""
    events = _events(agency_code=agency_code, service_slug=service_slug).annotate(month=TruncMonth("occurred_at"))
    seconds: dict[str, list[int]] = defaultdict(list)
    for month, value in events.filter(kind="decided").values_list("month", "seconds_to_decision"):
        seconds[month.strftime("%Y-%m")].append(value)
    series = []
    for row in events.values("month").annotate(**_COUNTS).order_by("month"):
        label = row.pop("month").strftime("%Y-%m")
        series.append((label, Figures(**row, median_days_to_decision=_median_days(seconds.get(label, [])))))
    return series


def summary() -> dict:
    """Everything the public KPI page and `GET /api/kpi/summary` show."""
    return {
        "targets": {
            "digital_end_to_end_share": DIGITAL_TARGET,
            "prefilled_share": PREFILL_TARGET,
            "satisfied_share": SATISFACTION_TARGET,
        },
        "platform": figures().as_dict(),
        "agencies": {code: f.as_dict() for code, f in figures_by(group="agency_code").items()},
        "services": {slug: f.as_dict() for slug, f in figures_by(group="service_slug").items()},
    }


def exclusion_list(*, kpi_id: str = "") -> list[KpiExclusion]:
    exclusions = KpiExclusion.objects.all()
    return list(exclusions.filter(kpi_id=kpi_id) if kpi_id else exclusions)
