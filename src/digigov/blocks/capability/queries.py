"""Reads of the capability records, as counts at given dates: the KPI definitions turn them into figures."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q

from digigov.blocks.capability.models import DataProject, Hosting, StaffMember, System

# The data-standards catalogue's classification scale, least to most protected. The government's cloud policy
# lets systems holding up to confidential data run on commercial cloud; sensitive ones stay on government
# infrastructure, so they are not "eligible" and do not count in the cloud KPI.
CLASSIFICATIONS = ("open", "restricted", "confidential", "sensitive")
CLOUD_ELIGIBLE = CLASSIFICATIONS[:3]


def working_days_between(*, start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (asked on Monday, shared on Tuesday: 1).
    Public holidays are not recorded on the platform yet, so they count as working days (the strict reading)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    extra = sum(1 for offset in range(1, rest + 1) if (start + dt.timedelta(days=offset)).weekday() < 5)
    return weeks * 5 + extra


@dataclass(frozen=True)
class SkillCounts:
    staff: int
    digital_literacy: int
    data_analytics: int


@dataclass(frozen=True)
class CloudCounts:
    systems: int
    eligible: int
    on_commercial_cloud: int


def _in_service(on: dt.date, *, joined: str = "joined_on", left: str = "left_on") -> Q:
    return Q(**{f"{joined}__lte": on}) & (Q(**{f"{left}__isnull": True}) | Q(**{f"{left}__gt": on}))


def _skill_counts(on: dt.date) -> dict[str, Count]:
    here = _in_service(on)
    return {
        "staff": Count("id", filter=here),
        "digital_literacy": Count("id", filter=here & Q(digital_literacy_on__lte=on)),
        "data_analytics": Count("id", filter=here & Q(data_analytics_on__lte=on)),
    }


def skills_at(*, dates: Sequence[dt.date], agency_code: str = "") -> list[SkillCounts]:
    """Officers in service on each date, and how many of them were certified by then (one query for all dates)."""
    if not dates:
        return []
    staff = StaffMember.objects.filter(agency_code=agency_code) if agency_code else StaffMember.objects.all()
    counts = {f"{name}_{i}": aggregate for i, on in enumerate(dates) for name, aggregate in _skill_counts(on).items()}
    row = staff.aggregate(**counts)
    return [
        SkillCounts(
            staff=row[f"staff_{i}"],
            digital_literacy=row[f"digital_literacy_{i}"],
            data_analytics=row[f"data_analytics_{i}"],
        )
        for i in range(len(dates))
    ]


def skills_by_agency(*, on: dt.date) -> dict[str, SkillCounts]:
    rows = StaffMember.objects.values("agency_code").annotate(**_skill_counts(on)).order_by("agency_code")
    return {row.pop("agency_code"): SkillCounts(**row) for row in rows}


def _cloud_counts(on: dt.date) -> dict[str, Count]:
    here = _in_service(on, joined="commissioned_on", left="retired_on")
    eligible = here & Q(classification__in=CLOUD_ELIGIBLE)
    return {
        "systems": Count("id", filter=here),
        "eligible": Count("id", filter=eligible),
        "on_commercial_cloud": Count(
            "id", filter=eligible & Q(hosting=Hosting.COMMERCIAL_CLOUD, commercial_cloud_since__lte=on)
        ),
    }


def cloud_at(*, dates: Sequence[dt.date], agency_code: str = "") -> list[CloudCounts]:
    """Systems in service on each date, those eligible for commercial cloud, and those running there."""
    if not dates:
        return []
    systems = System.objects.filter(agency_code=agency_code) if agency_code else System.objects.all()
    row = systems.aggregate(
        **{f"{name}_{i}": aggregate for i, on in enumerate(dates) for name, aggregate in _cloud_counts(on).items()}
    )
    return [
        CloudCounts(
            systems=row[f"systems_{i}"],
            eligible=row[f"eligible_{i}"],
            on_commercial_cloud=row[f"on_commercial_cloud_{i}"],
        )
        for i in range(len(dates))
    ]


def cloud_by_agency(*, on: dt.date) -> dict[str, CloudCounts]:
    rows = System.objects.values("agency_code").annotate(**_cloud_counts(on)).order_by("agency_code")
    return {row.pop("agency_code"): CloudCounts(**row) for row in rows}


@dataclass(frozen=True)
class ProjectRow:
    code: str
    name: str
    kind: str
    lead_agency_code: str
    agency_codes: tuple[str, ...]
    started_on: dt.date
    data_requested_on: dt.date | None
    data_shared_on: dt.date | None
    fusion_working_days: int | None


def project_list(*, agency_code: str = "") -> list[ProjectRow]:
    """Every cross-agency project (a few dozen a year: filtered here rather than with JSON lookups, which
    SQLite lacks), or those an agency takes part in."""
    rows = [
        ProjectRow(**{**row, "agency_codes": tuple(row["agency_codes"])})
        for row in DataProject.objects.values(
            "code",
            "name",
            "kind",
            "lead_agency_code",
            "agency_codes",
            "started_on",
            "data_requested_on",
            "data_shared_on",
            "fusion_working_days",
        )
    ]
    return [row for row in rows if not agency_code or agency_code in row.agency_codes]


def system_list() -> list[System]:
    return list(System.objects.all())
