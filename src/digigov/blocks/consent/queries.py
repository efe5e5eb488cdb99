import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from digigov.blocks.consent.models import AccessRecord, ConsentGrant, PopulationAccess
from digigov.platform.errors import NotFound


@dataclass(frozen=True)
class AccessEntry:
    """One line of "who accessed my data": a read of this person's record, or a population-wide run."""

    accessed_at: dt.datetime
    accessor: str
    agency_code: str
    agency_name: str
    service: str
    elements: list[str]
    purpose: str
    legal_basis: str
    consent_reference: str  # the consent grant's id when the read rested on the person's consent
    population: bool  # True for a run over everyone's records (a rules scan, a policy simulation)


def access_records_for_person(*, person_id: int) -> QuerySet[AccessRecord]:
    """A person's individual access records as they may see them: newest first, without those still hidden."""
    return (
        AccessRecord.objects.select_related("agency")
        .filter(person_id=person_id)
        .filter(Q(hidden_until__isnull=True) | Q(hidden_until__lte=timezone.localdate()))
        .order_by("-accessed_at", "-id")
    )


def access_records_for_account(*, account) -> QuerySet[AccessRecord]:
    """The signed-in person's individual access records, newest first, without those still hidden."""
    if account.person_id is None:
        raise NotFound()
    return access_records_for_person(person_id=account.person_id)


def _day_bounds(*, date_from: dt.date | None, date_to: dt.date | None) -> Q:
    # Dates are the person's calendar days in the platform's time zone, both ends included.
    tz = timezone.get_current_timezone()
    q = Q()
    if date_from is not None:
        q &= Q(accessed_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to is not None:
        q &= Q(accessed_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return q


def access_entries_for_account(
    *,
    account,
    agency_code: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int | None = None,
) -> list[AccessEntry]:
    """ "Who accessed my data": reads of the person's record and the population runs that included everyone,
    newest first, optionally for one agency and a date range."""
    bounds = _day_bounds(date_from=date_from, date_to=date_to)
    records = access_records_for_account(account=account).filter(bounds)
    runs = PopulationAccess.objects.select_related("agency").filter(bounds).order_by("-accessed_at", "-id")
    if agency_code:
        records = records.filter(agency__code=agency_code)
        runs = runs.filter(agency__code=agency_code)
    if limit is not None:
        records, runs = records[:limit], runs[:limit]
    entries = [
        AccessEntry(
            accessed_at=r.accessed_at,
            accessor=r.accessor_label,
            agency_code=r.agency.code,
            agency_name=r.agency.name,
            service=r.service_ref,
            elements=list(r.elements),
            purpose=r.purpose,
            legal_basis=r.legal_basis,
            consent_reference=str(r.consent_grant_id or ""),
            population=False,
        )
        for r in records
    ] + [
        AccessEntry(
            accessed_at=r.accessed_at,
            accessor=r.accessor_label,
            agency_code=r.agency.code,
            agency_name=r.agency.name,
            service="",
            elements=list(r.elements),
            purpose=r.purpose,
            legal_basis=r.legal_basis,
            consent_reference="",
            population=True,
        )
        for r in runs
    ]
    entries.sort(key=lambda e: e.accessed_at, reverse=True)
    return entries[:limit] if limit is not None else entries


def grants_for_account(*, account) -> QuerySet[ConsentGrant]:
    if account.person_id is None:
        raise NotFound()
    return (
        ConsentGrant.objects.select_related("requester_agency")
        .filter(person_id=account.person_id)
        .order_by("-decided_at")
    )


def grant_get(*, grant_id, person_id: int) -> ConsentGrant:
    try:
        return ConsentGrant.objects.get(pk=grant_id, person_id=person_id)
    except (ConsentGrant.DoesNotExist, ValueError):
        raise NotFound() from None


def hidden_access_records_for_agency(*, agency_id: int) -> QuerySet[AccessRecord]:
    """The agency's investigation reads still hidden from the people read, newest first: for its supervisors'
    oversight of what is hidden, by whom, why and until when."""
    return AccessRecord.objects.filter(agency_id=agency_id, hidden_until__gt=timezone.localdate()).order_by(
        "-accessed_at", "-id"
    )
