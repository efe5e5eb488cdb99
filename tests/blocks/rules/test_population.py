"""Population runs on the seeded test nation: arrays read in bulk from the registries, simulations built from
arrays, and the same answers as single cases computed through the API's code path."""

import datetime as dt

import numpy
import pytest
from django.utils import timezone

from digigov.blocks.registries import bulk
from digigov.blocks.registries.queries import AccessContext, agency_get, person_attributes_get
from digigov.blocks.rules import engine
from digigov.blocks.rules.mapping import DERIVED, FEEDS, HOUSEHOLD_ROLES
from digigov.blocks.rules.population import evaluate_population, population_arrays
from digigov.blocks.rules.schemes import SCHEMES

AS_OF = dt.date(2025, 6, 15)
SCHEME_VARIABLES = [v for s in SCHEMES for v in (s.eligible, s.amount)]


@pytest.fixture
def everyone(nation):
    return evaluate_population(as_of=AS_OF, variables=[*SCHEME_VARIABLES, "age", "income_per_head"], chunk_size=40)


def test_every_registered_person_is_evaluated_once(nation, everyone):
    assert len(everyone.person_id) == nation.residents
    assert len(numpy.unique(everyone.person_id)) == len(everyone.person_id)
    for name in SCHEME_VARIABLES:
        assert everyone.values[name].shape == everyone.person_id.shape


def test_chunks_hold_whole_households(nation):
    seen: set[int] = set()
    for chunk in population_arrays(as_of=AS_OF, chunk_size=25):
        households = set(chunk.household_ids.tolist())
        assert not households & seen  # no household is split across two chunks
        seen |= households
        assert len(chunk.person_inputs["birth_date"]) == len(chunk.person_ids)
        assert len(chunk.household_inputs["housing_type"]) == len(chunk.household_ids)


def test_the_chunk_size_does_not_change_the_answers(nation, everyone):
    small = evaluate_population(as_of=AS_OF, variables=["senior_support", "conservancy_rebate"], chunk_size=7)
    order = numpy.argsort(everyone.person_id)
    small_order = numpy.argsort(small.person_id)
    for name in ["senior_support", "conservancy_rebate"]:
        assert numpy.array_equal(everyone.values[name][order], small.values[name][small_order])


def test_the_nation_has_people_who_qualify_for_the_registry_fed_schemes(everyone):
    for name in ["retirement_payout", "conservancy_rebate", "property_tax_rebate", "gst_voucher"]:
        assert everyone.values[name].sum() > 0, name


def _situation_of(*, household_id: int, as_of: dt.date) -> tuple[dict, dict[str, int]]:
    """The household as an API user would describe it, from the same registry rows."""
    rows = bulk.household_members_read(first_household_id=household_id, last_household_id=household_id)
    housing = dict(bulk.households_read(after_id=household_id - 1, limit=1))[household_id]
    month, year = f"{as_of:%Y-%m}", str(as_of.year)
    persons, roles = {}, {"parents": [], "children": [], "other_members": []}
    plural = {"parent": "parents", "child": "children", "other_member": "other_members"}
    for pid, _hh, role, born, citizenship, employment, income in rows:
        persons[str(pid)] = {
            "birth_date": {"ETERNITY": born.isoformat()},
            "citizenship": {month: citizenship},
            "employment_status": {month: employment},
            "monthly_income": {month: income},
            "annual_income": {year: income * 12, str(as_of.year - 1): income * 12},
        }
        roles[plural[HOUSEHOLD_ROLES[role]]].append(str(pid))
    household = {**{k: v for k, v in roles.items() if v}, "housing_type": {month: housing}}
    return {"persons": persons, "households": {str(household_id): household}}, {p: i for i, p in enumerate(persons)}


def test_population_values_match_single_cases_through_the_api_code_path(nation, everyone):
    people = [int(p) for p in everyone.person_id]
    by_person = {pid: i for i, pid in enumerate(people)}
    # A few households with someone qualifying for something, and one without.
    interesting = numpy.flatnonzero(everyone.values["senior_support"] + everyone.values["childcare_subsidy"] > 0)
    sample = {int(everyone.household_id[i]) for i in interesting[:3]} | {int(everyone.household_id[0])}
    month, year = f"{AS_OF:%Y-%m}", str(AS_OF.year)
    for household_id in sorted(sample):
        situation, _ = _situation_of(household_id=household_id, as_of=AS_OF)
        for person in situation["persons"].values():
            for scheme in SCHEMES:
                if scheme.entity == "person":
                    person[scheme.amount] = {year if scheme.recurrence == "yearly" else month: None}
        for household in situation["households"].values():
            for scheme in SCHEMES:
                if scheme.entity == "household":
                    household[scheme.amount] = {year if scheme.recurrence == "yearly" else month: None}
        answer = engine.situation_calculate(situation=situation)
        for pid, values in answer["persons"].items():
            for scheme in (s for s in SCHEMES if s.entity == "person"):
                single = next(iter(values[scheme.amount].values()))
                assert single == pytest.approx(everyone.values[scheme.amount][by_person[int(pid)]]), (pid, scheme.key)
        for values in answer["households"].values():
            member = by_person[int(next(iter(answer["persons"])))]
            for scheme in (s for s in SCHEMES if s.entity == "household"):
                single = next(iter(values[scheme.amount].values()))
                assert single == pytest.approx(everyone.values[scheme.amount][member]), (household_id, scheme.key)


def test_derived_elements_agree_with_the_registries(nation):
    """The rules compute age and income per head themselves; they must read what an officer reads."""
    today = timezone.localdate()  # the registries compute person.age on the local date
    computed = evaluate_population(as_of=today, variables=["age", "income_per_head"], chunk_size=100)
    access = AccessContext(
        accessor=None, agency=agency_get(code="SSA"), purpose="rules consistency test", legal_basis="test"
    )
    compared = 0
    for index in range(0, len(computed.person_id), 13):
        verified = person_attributes_get(
            person_id=int(computed.person_id[index]),
            elements=["person.date_of_birth", "person.age", "household.income_per_head"],
            access=access,
        )
        assert verified["household.income_per_head"].value == computed.values["income_per_head"][index]
        # The rules' age is the age on the first day of the month: equal unless the birthday is this month.
        if dt.date.fromisoformat(verified["person.date_of_birth"].value).month != today.month:
            assert verified["person.age"].value == computed.values["age"][index]
            compared += 1
    assert compared > 10


def test_every_mapped_element_is_in_the_registries_catalogue():
    from digigov.blocks.registries.catalogue import ELEMENTS

    keys = {element[0] for element in ELEMENTS}
    assert {feed.element for feed in FEEDS} <= keys
    assert set(DERIVED) <= keys
