"""Reads of the rules block: scans, their per-person results, people's offers (their own, and their agency's
for officers, each name read recorded), and policy simulation runs."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from digigov.blocks.registries.queries import AccessContext, person_attributes_get
from digigov.blocks.rules.models import Offer, Scan, ScanChunk, SimulationRun
from digigov.blocks.rules.schemes import SCHEMES, SCHEMES_BY_KEY
from digigov.blocks.services.queries import service_for_scheme
from digigov.platform.errors import NotFound


def eligibility_unpack(*, blob: bytes) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(person ids, eligibility bit masks) of one chunk, as stored by the scan."""
    with numpy.load(io.BytesIO(bytes(blob))) as packed:
        return packed["person_id"], packed["eligible"]


def scan_latest_completed() -> Scan | None:
    return Scan.objects.filter(status=Scan.Status.COMPLETED).order_by("-finished_at", "-pk").first()


def scan_get(*, scan_id: int) -> Scan:
    return Scan.objects.get(pk=scan_id)


def scan_unfinished() -> Scan | None:
    """The scan that was started and has not completed (interrupted, or still running elsewhere)."""
    return Scan.objects.filter(status=Scan.Status.RUNNING).order_by("-pk").first()


def scan_chunks_todo(*, scan: Scan) -> list[ScanChunk]:
    return list(scan.chunks.filter(done_at__isnull=True).order_by("index").defer("result"))


def scan_chunks_done(*, scan: Scan) -> int:
    return scan.chunks.filter(done_at__isnull=False).count()


def scan_eligibility(*, scan: Scan) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Everyone's eligibility in a completed scan: person ids (sorted) and their bit masks (schemes.SCHEMES
    order), for comparing a new scan with it by binary search."""
    ids, masks = [], []
    for blob in ScanChunk.objects.filter(scan=scan, result__isnull=False).values_list("result", flat=True):
        person_id, eligible = eligibility_unpack(blob=blob)
        ids.append(person_id)
        masks.append(eligible)
    if not ids:
        return numpy.array([], dtype=numpy.int64), numpy.array([], dtype=numpy.uint16)
    person_id, eligible = numpy.concatenate(ids), numpy.concatenate(masks)
    order = numpy.argsort(person_id, kind="stable")
    return person_id[order], eligible[order]


def services_by_scheme() -> dict[str, Any]:
    """The service through which each scheme is applied for (None where there is none)."""
    return {scheme.key: service_for_scheme(scheme_key=scheme.key) for scheme in SCHEMES}


def offers_for_account(*, account: Any) -> QuerySet[Offer]:
    """The signed-in person's own offers, open ones first."""
    if account.person_id is None:
        return Offer.objects.none()
    return Offer.objects.filter(person_id=account.person_id).select_related("service").order_by("status", "-created_at")


def access_offer(*, account: Any, offer_id: Any) -> Offer:
    """One of the person's own offers; someone else's offer is "not found", as a missing one is."""
    offer = (
        Offer.objects.select_related("service").filter(pk=offer_id, person_id=account.person_id).first()
        if account.is_authenticated and account.person_id is not None
        else None
    )
    if offer is None:
        raise NotFound("No such offer.")
    return offer


def simulation_runs_for_agency(*, agency_code: str, limit: int = 20) -> list[SimulationRun]:
    """The agency's most recent simulation runs, newest first, whatever their status."""
    return list(SimulationRun.objects.filter(agency__code=agency_code).order_by("-created_at")[:limit])


def access_simulation_run(*, officer: Any, run_id: Any) -> SimulationRun:
    """A run of the officer's own agency; another agency's run is "not found", as a missing one is: reform
    plans are the agency's own until it publishes them."""
    run = (
        SimulationRun.objects.select_related("agency").filter(pk=run_id, agency_id=officer.agency_id).first()
        if getattr(officer, "agency_id", None) is not None
        else None
    )
    if run is None:
        raise NotFound()
    return run


# Why an officer reads the names of the people offered their agency's schemes (their "who accessed my data").
OFFER_FOLLOW_UP_BASIS = "Proactive support: following up offers of public schemes (rules as code)"


@dataclass(frozen=True)
class SchemeOffers:
    """How the offers of one scheme made by a scan stand now."""

    scheme_key: str
    label: str
    offered: int  # still open: neither taken up nor dismissed
    applied: int
    dismissed: int

    @property
    def total(self) -> int:
        return self.offered + self.applied + self.dismissed


@dataclass(frozen=True)
class OfferLine:
    """One offer as an officer sees it: the person's name (a recorded read), the scheme and where it stands."""

    offer_id: Any
    person_name: str
    scheme_label: str
    status: str
    status_label: str
    created_at: Any


def _agency_scheme_keys(*, agency_code: str) -> list[str]:
    return [scheme.key for scheme in SCHEMES if scheme.agency == agency_code]


def offers_counts(*, scan: Scan, agency_code: str) -> list[SchemeOffers]:
    """For each scheme of the agency, in catalogue order, the scan's offers by status (no one's data)."""
    keys = _agency_scheme_keys(agency_code=agency_code)
    counts: dict[tuple[str, str], int] = {
        (row["scheme_key"], row["status"]): row["count"]
        for row in Offer.objects.filter(scan=scan, scheme_key__in=keys)
        .values("scheme_key", "status")
        .annotate(count=Count("pk"))
        .order_by()
    }
    return [
        SchemeOffers(
            scheme_key=key,
            label=str(SCHEMES_BY_KEY[key].label),
            offered=counts.get((key, Offer.Status.OFFERED), 0),
            applied=counts.get((key, Offer.Status.APPLIED), 0),
            dismissed=counts.get((key, Offer.Status.DISMISSED), 0),
        )
        for key in keys
    ]


def offers_page_for_officer(
    *, officer: Any, scan: Scan, scheme_keys: Sequence[str], page: Any, page_size: int
) -> tuple[Page, list[OfferLine]]:
    """One page of the scan's offers of `scheme_keys` (which must be the officer's agency's schemes: anything
    else is NotFound), with each person's name read through the registries, which records the read in the
    person's "who accessed my data" with its purpose and legal basis."""
    own = set(_agency_scheme_keys(agency_code=officer.agency.code))
    if not scheme_keys or not set(scheme_keys) <= own:
        raise NotFound()
    # Ordered as the (scan, scheme_key, id) index is, so a page is a walk along it.
    offers = Offer.objects.filter(scan=scan, scheme_key__in=list(scheme_keys)).order_by("scheme_key", "id")
    found = Paginator(offers, page_size).get_page(page)
    lines = []
    for offer in found.object_list:
        scheme = SCHEMES_BY_KEY[offer.scheme_key]
        name = person_attributes_get(
            person_id=offer.person_id,
            elements=["person.full_name"],
            access=AccessContext(
                accessor=officer,
                agency=officer.agency,
                purpose=_("Follow up the offer of %(scheme)s made by the scan as of %(date)s")
                % {"scheme": scheme.label, "date": scan.as_of.isoformat()},
                service_ref=f"offer:{offer.pk}",
                legal_basis=_(OFFER_FOLLOW_UP_BASIS),
            ),
        )["person.full_name"].value
        lines.append(
            OfferLine(
                offer_id=offer.pk,
                person_name=name,
                scheme_label=str(scheme.label),
                status=offer.status,
                status_label=str(offer.get_status_display()),
                created_at=offer.created_at,
            )
        )
    return found, lines
