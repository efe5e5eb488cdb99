"""Proactive scans on the seeded test nation: offers for the newly eligible only, no duplicates on a repeat or a
resumed scan, the population read recorded, and an inbox message whose link starts the application."""

import datetime as dt

import numpy
import pytest

from digigov.blocks.consent.models import PopulationAccess
from digigov.blocks.messaging.models import Message
from digigov.blocks.rules.models import Offer, Scan
from digigov.blocks.rules.population import evaluate_population
from digigov.blocks.rules.scan import scan_run
from digigov.blocks.rules.schemes import SCHEMES, SCHEMES_BY_KEY

EARLIER = dt.date(2025, 4, 15)  # the nation's rules start on 2025-04-01
AS_OF = dt.date(2026, 6, 15)
PERSON_SCHEMES = [s for s in SCHEMES if s.entity == "person"]
HOUSEHOLD_SCHEMES = [s for s in SCHEMES if s.entity == "household"]


def _eligible(as_of: dt.date) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(person, scheme) pairs for person schemes and (household, scheme) pairs for household schemes, computed
    by the population runs the simulation and tests use, independently of the scan."""
    values = evaluate_population(as_of=as_of, variables=[s.eligible for s in SCHEMES], chunk_size=1000)
    persons = {
        (int(pid), s.key)
        for s in PERSON_SCHEMES
        for pid in values.person_id[numpy.asarray(values.values[s.eligible], dtype=bool)]
    }
    households = {
        (int(hid), s.key)
        for s in HOUSEHOLD_SCHEMES
        for hid in values.household_id[numpy.asarray(values.values[s.eligible], dtype=bool)]
    }
    return persons, households


def _offered() -> tuple[set[tuple[int, str]], list[tuple[int, str]]]:
    rows = list(Offer.objects.values_list("person_id", "scheme_key"))
    return {r for r in rows if SCHEMES_BY_KEY[r[1]].entity == "person"}, [
        r for r in rows if SCHEMES_BY_KEY[r[1]].entity == "household"
    ]


def _household_of() -> dict[int, int]:
    values = evaluate_population(as_of=AS_OF, variables=["age"], chunk_size=1000)
    return dict(zip(values.person_id.tolist(), values.household_id.tolist(), strict=True))


def test_a_first_scan_offers_each_scheme_to_everyone_eligible_once(nation):
    outcome = scan_run(as_of=AS_OF, chunk_size=40, progress=False)
    assert outcome.finished and outcome.scan.status == Scan.Status.COMPLETED
    persons, households = _eligible(AS_OF)
    offered_persons, offered_households = _offered()
    assert offered_persons == persons
    # A household scheme is offered once per household, to one of its members.
    household_of = _household_of()
    assert sorted((household_of[p], key) for p, key in offered_households) == sorted(households)
    assert outcome.offers == len(persons) + len(households) == outcome.scan.offers_count
    assert outcome.scan.persons_count == nation.residents


def test_a_second_scan_offers_only_to_people_newly_eligible(nation):
    scan_run(as_of=EARLIER, chunk_size=50, progress=False)
    before = set(Offer.objects.values_list("id", flat=True))
    outcome = scan_run(as_of=AS_OF, chunk_size=50, progress=False)
    assert outcome.scan.previous_id is not None
    earlier_persons, _ = _eligible(EARLIER)
    later_persons, _ = _eligible(AS_OF)
    newly = later_persons - earlier_persons
    assert newly, "the nation ages between the two dates, so someone must become eligible"
    made = Offer.objects.exclude(id__in=before)
    assert {r for r in made.values_list("person_id", "scheme_key") if SCHEMES_BY_KEY[r[1]].entity == "person"} == newly


def test_repeating_a_scan_creates_no_duplicate_offers(nation):
    first = scan_run(as_of=AS_OF, chunk_size=60, progress=False)
    again = scan_run(as_of=AS_OF, chunk_size=60, progress=False)
    assert first.offers > 0
    assert again.offers == 0
    assert Offer.objects.count() == first.offers


def test_an_interrupted_scan_resumes_with_the_chunks_it_had_not_done(nation):
    stopped = scan_run(as_of=AS_OF, chunk_size=20, stop_after=2, progress=False)
    assert not stopped.finished
    scan = Scan.objects.get(pk=stopped.scan.pk)
    assert scan.status == Scan.Status.RUNNING
    assert scan.chunks.filter(done_at__isnull=False).count() == 2
    resumed = scan_run(as_of=AS_OF, chunk_size=999, progress=False)
    assert resumed.scan.pk == scan.pk and resumed.finished
    assert resumed.chunks_recorded == scan.chunks_total - 2
    persons, households = _eligible(AS_OF)
    assert Offer.objects.count() == len(persons) + len(households)
    assert Scan.objects.count() == 1


def test_an_unfinished_scan_must_be_resumed_before_another_date_is_scanned(nation):
    from digigov.platform.errors import Conflict

    scan_run(as_of=AS_OF, chunk_size=20, stop_after=1, progress=False)
    with pytest.raises(Conflict, match="has not finished"):
        scan_run(as_of=EARLIER, chunk_size=20, progress=False)


def test_the_scan_records_the_population_read_for_each_agency_it_decides_for(nation):
    before = PopulationAccess.objects.count()
    scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    records = PopulationAccess.objects.order_by("-pk")[: PopulationAccess.objects.count() - before]
    assert sorted(r.agency.code for r in records) == sorted({s.agency for s in SCHEMES})
    for record in records:
        assert record.persons_count == nation.residents
        assert record.legal_basis and "scan as of 2026-06-15" in record.purpose
        assert "person.date_of_birth" in record.elements


def test_a_new_offer_puts_a_message_in_the_inbox_whose_link_starts_the_application(nation, deliver_events):
    scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    offer = Offer.objects.filter(scheme_key="retirement_payout").select_related("service").first()
    assert offer is not None and offer.service is not None
    deliver_events()
    message = Message.objects.get(person_id=offer.person_id, template_key="offer-made", link__contains=str(offer.pk))
    assert message.subject == "You may qualify for Retirement payout, apply in one step"
    assert message.link == f"/offers/{offer.pk}/apply/"
    assert Message.objects.filter(template_key="offer-made").count() == Offer.objects.count()


def test_a_scan_the_rules_cannot_compute_is_refused_and_leaves_nothing_behind(nation):
    from digigov.blocks.rules.scan import ScanFailed

    with pytest.raises(ScanFailed, match="could not be computed as of 2020-01-15"):
        scan_run(as_of=dt.date(2020, 1, 15), chunk_size=100, progress=False)
    assert not Scan.objects.exists() and not Offer.objects.exists()
    assert scan_run(as_of=AS_OF, chunk_size=100, progress=False).finished
