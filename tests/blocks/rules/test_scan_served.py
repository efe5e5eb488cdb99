"""A proactive scan offers nothing to people already served: those who applied for the scheme's service and
wait for the decision, those approved (who receive it), and, for a household scheme, anyone whose household
has such an application. Drafts and refusals do not count."""

import datetime as dt

import numpy
import pytest

from digigov.blocks.rules.models import Offer
from digigov.blocks.rules.population import population_arrays
from digigov.blocks.rules.scan import chunk_evaluate, scan_run
from digigov.blocks.rules.schemes import SCHEMES
from digigov.blocks.services.models import Application, ApplicationStatus
from digigov.blocks.services.queries import scheme_applicants, service_for_scheme

AS_OF = dt.date(2026, 6, 15)
BIT = {scheme.key: bit for bit, scheme in enumerate(SCHEMES)}


def _population() -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(person ids, household ids, eligibility masks) for everyone, as the scan computes them."""
    parts = [chunk_evaluate(chunk=chunk, as_of=AS_OF) for chunk in population_arrays(as_of=AS_OF, chunk_size=10_000)]
    return tuple(numpy.concatenate([part[i] for part in parts]) for i in range(3))


def _eligible(scheme_key: str) -> list[int]:
    """The people a first scan would offer the scheme to."""
    person_ids, _households, eligible = _population()
    return person_ids[(eligible >> BIT[scheme_key]) & 1 == 1].tolist()


def _offered(scheme_key: str) -> set[int]:
    return set(Offer.objects.filter(scheme_key=scheme_key).values_list("person_id", flat=True))


@pytest.fixture
def apply(citizen):
    """An application by `person_id` for the service that decides `scheme_key`, in the given state (the
    submitting account does not matter to a scan)."""

    def make(*, person_id: int, scheme_key: str, status: str) -> Application:
        return Application.objects.create(
            service=service_for_scheme(scheme_key=scheme_key), applicant_id=person_id, account=citizen, status=status
        )

    return make


def test_people_waiting_for_a_decision_or_approved_are_not_offered_the_scheme(nation, apply):
    eligible = _eligible("retirement_payout")
    assert len(eligible) >= 6, "the seeded nation has retirees"
    in_review, more_info, approved, rejected, draft = eligible[:5]
    apply(person_id=in_review, scheme_key="retirement_payout", status=ApplicationStatus.IN_REVIEW)
    apply(person_id=more_info, scheme_key="retirement_payout", status=ApplicationStatus.MORE_INFO)
    apply(person_id=approved, scheme_key="retirement_payout", status=ApplicationStatus.APPROVED)
    apply(person_id=rejected, scheme_key="retirement_payout", status=ApplicationStatus.REJECTED)
    apply(person_id=draft, scheme_key="retirement_payout", status=ApplicationStatus.DRAFT)

    scan_run(as_of=AS_OF, chunk_size=40, progress=False)

    assert _offered("retirement_payout") == set(eligible) - {in_review, more_info, approved}


def test_applying_for_one_scheme_does_not_stop_offers_of_another(nation, apply):
    person_ids, _households, eligible = _population()
    both = (eligible >> BIT["retirement_payout"]) & (eligible >> BIT["gst_voucher"]) & 1 == 1
    person = int(person_ids[both][0])
    apply(person_id=person, scheme_key="retirement_payout", status=ApplicationStatus.SUBMITTED)

    scan_run(as_of=AS_OF, chunk_size=40, progress=False)

    assert person not in _offered("retirement_payout")
    assert person in _offered("gst_voucher")


def test_a_household_scheme_is_not_offered_when_another_member_has_applied(nation, apply):
    person_ids, household_ids, eligible = _population()
    recipients = person_ids[(eligible >> BIT["childcare_subsidy"]) & 1 == 1]
    assert len(recipients) >= 2, "the seeded nation has young children"
    # A household with a young child whose application was made by someone other than the member offered to.
    for recipient in recipients.tolist():
        household = household_ids[person_ids == recipient][0]
        others = person_ids[(household_ids == household) & (person_ids != recipient)]
        if len(others):
            break
    else:
        pytest.fail("no household with a young child has more than one member")
    apply(person_id=int(others[0]), scheme_key="childcare_subsidy", status=ApplicationStatus.SUBMITTED)

    scan_run(as_of=AS_OF, chunk_size=40, progress=False)

    members = set(person_ids[household_ids == household].tolist())
    assert not members & _offered("childcare_subsidy")
    assert _offered("childcare_subsidy") == set(recipients.tolist()) - {recipient}


def test_the_applicants_query_reads_only_the_given_range_and_open_or_approved_applications(nation, apply):
    eligible = _eligible("retirement_payout")
    first, second, refused = sorted(eligible)[:3]
    apply(person_id=first, scheme_key="retirement_payout", status=ApplicationStatus.SUBMITTED)
    apply(person_id=second, scheme_key="retirement_payout", status=ApplicationStatus.APPROVED)
    apply(person_id=refused, scheme_key="retirement_payout", status=ApplicationStatus.REJECTED)

    found = scheme_applicants(person_id_from=first, person_id_to=refused)
    assert {key: sorted(ids) for key, ids in found.items()} == {"retirement_payout": [first, second]}
    assert scheme_applicants(person_id_from=first + 1, person_id_to=refused) == {"retirement_payout": [second]}
