"""Writes of the rules block: proactive scans (start, one chunk's results, finish), people's offers, and
the lifecycle of policy simulation runs (requested, started, finished or failed)."""

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

import numpy
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.consent.actions import population_access_record
from digigov.blocks.registries.queries import agency_get
from digigov.blocks.registries.synthetic import nation_counts
from digigov.blocks.rules.events import OFFERS_PER_EVENT, OffersMade, SimulationRequested
from digigov.blocks.rules.mapping import elements_needed
from digigov.blocks.rules.models import Offer, Scan, ScanChunk, SimulationRun
from digigov.blocks.rules.queries import eligibility_unpack, scan_latest_completed, services_by_scheme
from digigov.blocks.rules.reform import reform_parse
from digigov.blocks.rules.schemes import SCHEMES
from digigov.blocks.services.queries import scheme_applicants
from digigov.platform import outbox
from digigov.platform.bulk import ordered_uuids, rows_insert, uuids_for_database
from digigov.platform.errors import Conflict

LEGAL_BASIS = "Proactive support: finding people who qualify for public schemes (rules as code)"


def eligibility_pack(*, person_ids: numpy.ndarray, eligible: numpy.ndarray) -> bytes:
    buffer = io.BytesIO()
    numpy.savez_compressed(buffer, person_id=person_ids.astype(numpy.int64), eligible=eligible.astype(numpy.uint16))
    return buffer.getvalue()


def _population_read_record(*, actor: Any, scan: Scan) -> None:
    # One record per agency whose schemes the scan decides, so "who accessed my data" names each of them.
    residents = nation_counts()["residents"]
    for code in sorted({scheme.agency for scheme in SCHEMES}):
        labels = ", ".join(s.label for s in SCHEMES if s.agency == code)
        population_access_record(
            actor=actor,
            agency=agency_get(code=code),
            elements=elements_needed(),
            purpose=_("Find people who may qualify for: %(schemes)s (scan as of %(date)s)")
            % {"schemes": labels, "date": scan.as_of.isoformat()},
            legal_basis=_(LEGAL_BASIS),
            persons_count=residents,
        )


@transaction.atomic
def scan_start(*, actor: Any, as_of: dt.date, chunk_size: int, plans: Sequence[tuple[str, int, int]] | None) -> Scan:
    """Start a scan over the planned chunks ((kind, first id, last id), in order), or resume the unfinished
    scan as of the same date (`plans` are then not used). A scan as of another date must finish first."""
    unfinished = Scan.objects.select_for_update().filter(status=Scan.Status.RUNNING).order_by("-pk").first()
    if unfinished is not None:
        if unfinished.as_of != as_of:
            raise Conflict(
                _("Scan %(id)s as of %(date)s has not finished: resume it with --as-of %(date)s first.")
                % {"id": unfinished.pk, "date": unfinished.as_of.isoformat()}
            )
        entry_record(actor=actor, action="rules:scan:resume", object_type="scan", object_id=unfinished.pk)
        _population_read_record(actor=actor, scan=unfinished)
        return unfinished
    if plans is None:
        raise ValueError("A new scan needs its chunk plans")
    previous = scan_latest_completed()
    scan = Scan.objects.create(as_of=as_of, chunk_size=chunk_size, chunks_total=len(plans), previous=previous)
    ScanChunk.objects.bulk_create(
        ScanChunk(scan=scan, index=index, kind=kind, first_id=first, last_id=last)
        for index, (kind, first, last) in enumerate(plans)
    )
    entry_record(
        actor=actor,
        action="rules:scan:start",
        object_type="scan",
        object_id=scan.pk,
        detail={"as_of": as_of.isoformat(), "chunks": len(plans), "previous": previous.pk if previous else None},
    )
    _population_read_record(actor=actor, scan=scan)
    return scan


@transaction.atomic
def scan_chunk_record(
    *,
    scan: Scan,
    index: int,
    person_ids: numpy.ndarray,
    household_ids: numpy.ndarray,
    eligible: numpy.ndarray,
    previous: tuple[numpy.ndarray, numpy.ndarray] | None,
    services: dict[str, Any] | None = None,
) -> int:
    """Keep one chunk's eligibility and offer each scheme to the people newly eligible for it, compared with
    `previous` (sorted person ids and masks of the previous scan; None for the first scan, where everyone
    eligible is new), leaving out people already served (`_served`). `household_ids` gives each person's
    household. Recording a chunk already done changes nothing. Returns the number of offers made."""
    chunk = ScanChunk.objects.select_for_update().get(scan=scan, index=index)
    if chunk.done_at is not None:
        return 0
    new = eligible.astype(numpy.uint16)
    if previous is not None and len(previous[0]):
        before_ids, before_masks = previous
        at = numpy.minimum(numpy.searchsorted(before_ids, person_ids), len(before_ids) - 1)
        known = before_ids[at] == person_ids
        new = new & ~numpy.where(known, before_masks[at], 0).astype(numpy.uint16)
    services = services if services is not None else services_by_scheme()
    offers = _offers_make(scan=scan, person_ids=person_ids, household_ids=household_ids, new=new, services=services)
    chunk.done_at = timezone.now()
    chunk.persons_count = len(person_ids)
    chunk.offers_count = offers
    # The chunk keeps everyone's eligibility, served or not, so the next scan compares with the rules alone.
    chunk.result = eligibility_pack(person_ids=person_ids, eligible=eligible)
    chunk.save(update_fields=["done_at", "persons_count", "offers_count", "result"])
    entry_record(
        actor=None,
        action="rules:scan:chunk",
        object_type="scan",
        object_id=scan.pk,
        detail={"chunk": index, "persons": len(person_ids), "offers": offers},
    )
    return offers


def _served(*, person_ids: numpy.ndarray, household_ids: numpy.ndarray) -> dict[str, numpy.ndarray]:
    """Per scheme key, whether each person is already served: they (or, for a household scheme, someone in
    their household) have an open offer of it, or an application for it under way or approved. Two queries
    for the whole chunk, by the range of its person ids; the matching is done on arrays."""
    low, high = int(person_ids.min()), int(person_ids.max())
    pairs: dict[str, list[int]] = {}
    # An offer still open (from an earlier scan, or a scan of the same people resumed) is not made twice.
    for person_id, scheme_key in Offer.objects.filter(
        status=Offer.Status.OFFERED, person_id__gte=low, person_id__lte=high
    ).values_list("person_id", "scheme_key"):
        pairs.setdefault(scheme_key, []).append(person_id)
    for scheme_key, applicants in scheme_applicants(person_id_from=low, person_id_to=high).items():
        pairs.setdefault(scheme_key, []).extend(applicants)
    served: dict[str, numpy.ndarray] = {}
    for scheme in SCHEMES:
        if scheme.key not in pairs:
            continue
        person_served = numpy.isin(person_ids, numpy.asarray(pairs[scheme.key], dtype=numpy.int64))
        if scheme.entity == "household":
            # A household scheme pays the household once: the spouse's application serves the head too.
            person_served = numpy.isin(household_ids, household_ids[person_served])
        served[scheme.key] = person_served
    return served


def _offers_make(
    *, scan: Scan, person_ids: numpy.ndarray, household_ids: numpy.ndarray, new: numpy.ndarray, services: dict[str, Any]
) -> int:
    if not new.any():
        return 0
    served = _served(person_ids=person_ids, household_ids=household_ids)
    now = timezone.now()
    made = 0
    payloads: list[str] = []
    for bit, scheme in enumerate(SCHEMES):
        wanted = (new >> bit) & 1 == 1
        if scheme.key in served:
            wanted &= ~served[scheme.key]
        people = person_ids[wanted].tolist()
        if not people:
            continue
        service = services.get(scheme.key)
        offer_ids = ordered_uuids(len(people))
        # The ORM's per-row path would take minutes for the half a million offers a first scan of a million
        # people makes.
        constants = [
            Offer._meta.get_field(name).get_db_prep_value(value, connection)
            for name, value in (
                ("scheme_key", scheme.key),
                ("service", service.pk if service else None),
                ("scan", scan.pk),
                ("status", Offer.Status.OFFERED.value),
                ("created_at", now),
            )
        ]
        rows_insert(
            model=Offer,
            fields=("id", "person", "scheme_key", "service", "scan", "status", "created_at"),
            rows=((o, p, *constants) for o, p in zip(uuids_for_database(offer_ids), people, strict=True)),
        )
        # The JSON of OffersMade(...), one per OFFERS_PER_EVENT offers; asdict would copy every pair.
        fixed = dataclasses.asdict(OffersMade(
            scan_id=scan.pk,
            scheme_key=scheme.key,
            scheme_label=scheme.label,
            agency_code=scheme.agency,
            service_slug=service.slug if service else "",
            offers=[],
        ))
        pairs = [[o, p] for o, p in zip(offer_ids, people, strict=True)]
        payloads += [
            json.dumps({**fixed, "offers": pairs[start : start + OFFERS_PER_EVENT]})
            for start in range(0, len(pairs), OFFERS_PER_EVENT)
        ]
        made += len(people)
    outbox.publish_many(event_type=OffersMade.type, payloads=payloads)
    return made


@transaction.atomic
def scan_finish(*, scan: Scan) -> Scan:
    """Mark the scan completed once every chunk is done; it becomes the one the next scan compares with."""
    scan = Scan.objects.select_for_update().get(pk=scan.pk)
    if scan.status == Scan.Status.COMPLETED:
        return scan
    if scan.chunks.filter(done_at__isnull=True).exists():
        raise Conflict(_("The scan still has chunks to do."))
    totals = {"persons": 0, "offers": 0, "eligible": 0}
    for persons, offers, blob in scan.chunks.values_list("persons_count", "offers_count", "result"):
        totals["persons"] += persons
        totals["offers"] += offers
        if blob:
            _person_ids, eligible = eligibility_unpack(blob=blob)
            totals["eligible"] += int(numpy.unpackbits(eligible.view(numpy.uint8)).sum())
    scan.status = Scan.Status.COMPLETED
    scan.finished_at = timezone.now()
    scan.persons_count, scan.offers_count, scan.eligible_count = totals["persons"], totals["offers"], totals["eligible"]
    scan.save(update_fields=["status", "finished_at", "persons_count", "offers_count", "eligible_count"])
    entry_record(actor=None, action="rules:scan:finish", object_type="scan", object_id=scan.pk, detail=totals)
    return scan


@transaction.atomic
def scan_abandon(*, scan: Scan) -> bool:
    """Remove a scan that failed before recording any chunk (a date the rules do not cover, say), so another
    date can be scanned. A scan with chunks recorded stays, to be resumed. Returns whether it was removed."""
    scan = Scan.objects.select_for_update().get(pk=scan.pk)
    if scan.status != Scan.Status.RUNNING or scan.chunks.filter(done_at__isnull=False).exists():
        return False
    entry_record(actor=None, action="rules:scan:abandon", object_type="scan", object_id=scan.pk)
    scan.delete()
    return True


@transaction.atomic
def offer_apply(*, account: Any, offer: Offer) -> Offer:
    """The person takes up the offer: it is no longer open, and they go on to the service's application."""
    offer = Offer.objects.select_for_update(of=("self",)).select_related("service").get(pk=offer.pk)
    if offer.person_id != account.person_id:
        raise Conflict(_("This offer is not yours."))
    if offer.service is None:
        raise Conflict(_("You cannot apply for this online yet."))
    if offer.status != Offer.Status.APPLIED:
        offer.status, offer.status_changed_at = Offer.Status.APPLIED, timezone.now()
        offer.save(update_fields=["status", "status_changed_at"])
        entry_record(actor=account, action="rules:offer:apply", object_type="offer", object_id=offer.pk)
    return offer


@transaction.atomic
def offer_dismiss(*, account: Any, offer: Offer) -> Offer:
    """The person does not want the offer; a later scan offers the scheme again only if they stop and then
    start qualifying again."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.person_id != account.person_id:
        raise Conflict(_("This offer is not yours."))
    if offer.status != Offer.Status.OFFERED:
        raise Conflict(_("This offer is no longer open."))
    offer.status, offer.status_changed_at = Offer.Status.DISMISSED, timezone.now()
    offer.save(update_fields=["status", "status_changed_at"])
    entry_record(actor=account, action="rules:offer:dismiss", object_type="offer", object_id=offer.pk)
    return offer


@transaction.atomic
def simulation_request(*, actor: Any, agency_code: str, reform_text: str, as_of: dt.date | None) -> SimulationRun:
    """Queue the costing of a reform for the agency; the worker computes it (`tasks.simulation_execute`). A
    reform that does not parse raises ValidationFailed (each problem under its field) and nothing is queued."""
    reform = reform_parse(text=reform_text)
    agency = agency_get(code=agency_code)
    run = SimulationRun.objects.create(
        agency=agency,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        reform_name=reform.name[:200],
        reform_text=reform.text,
        as_of=as_of,
    )
    entry_record(
        actor=actor,
        action="rules:simulation:request",
        object_type="simulation_run",
        object_id=run.pk,
        detail={"reform": reform.name, "as_of": as_of.isoformat() if as_of else None, "agency": agency.code},
    )
    outbox.publish(SimulationRequested(run_id=str(run.pk), agency_code=agency.code))
    return run


@transaction.atomic
def simulation_start(*, run_id: Any, resume_running: bool = False) -> SimulationRun | None:
    """Take a queued run to compute it: None when it is not queued, because another delivery of the same
    request has it or it is finished, so it is never computed twice at once. `resume_running` also takes a run
    left running by a worker that stopped part way (`digigov rules simulate --run-id`, an operator's call)."""
    statuses = [SimulationRun.Status.QUEUED, *([SimulationRun.Status.RUNNING] if resume_running else [])]
    # One conditional UPDATE: of two processes taking the same run, exactly one changes the row.
    taken = SimulationRun.objects.filter(pk=run_id, status__in=statuses).update(
        status=SimulationRun.Status.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return None
    entry_record(actor=None, action="rules:simulation:start", object_type="simulation_run", object_id=run_id)
    return SimulationRun.objects.select_related("agency", "requested_by").get(pk=run_id)


@transaction.atomic
def simulation_finish(*, run: SimulationRun, result_id: str, summary: dict) -> SimulationRun:
    """Record where a computed run's results are (`result_id`, the folder simulation.py wrote) and its totals."""
    run.status, run.finished_at = SimulationRun.Status.DONE, timezone.now()
    run.result_id, run.summary = result_id, summary
    run.save(update_fields=["status", "finished_at", "result_id", "summary"])
    entry_record(
        actor=None,
        action="rules:simulation:finish",
        object_type="simulation_run",
        object_id=run.pk,
        detail={"result": result_id, "people": summary.get("people")},
    )
    return run


@transaction.atomic
def simulation_fail(*, run: SimulationRun, error: str) -> SimulationRun:
    """A run that could not be computed ends here, with the reason the officer reads; it is not retried, since
    the same reform and date would fail the same way: the officer corrects it and submits again."""
    run.status, run.finished_at, run.error = SimulationRun.Status.FAILED, timezone.now(), error[:2000]
    run.save(update_fields=["status", "finished_at", "error"])
    entry_record(
        actor=None,
        action="rules:simulation:fail",
        object_type="simulation_run",
        object_id=run.pk,
        detail={"error": run.error},
    )
    return run
