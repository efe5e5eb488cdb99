"""Reads of the rules block: scans, their per-person results, and people's offers."""

import io
from typing import Any

import numpy
from django.db.models import QuerySet

from digigov.blocks.rules.models import Offer, Scan, ScanChunk
from digigov.blocks.rules.schemes import SCHEMES
from digigov.blocks.services.queries import service_for_scheme
from digigov.platform.errors import NotFound


def eligibility_unpack(*, blob: bytes) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(person ids, eligibility bit masks) of one chunk, as stored by the scan."""
    with numpy.load(io.BytesIO(bytes(blob))) as packed:
        return packed["person_id"], packed["eligible"]


def scan_latest_completed() -> Scan | None:
    return Scan.objects.filter(status=Scan.Status.COMPLETED).order_by("-finished_at", "-pk").first()


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
