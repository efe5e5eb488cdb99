"""Eligibility at application time: one scheme, one person and their household, on verified registry data."""

import datetime as dt

import pytest

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.registries import bulk
from digigov.blocks.registries.queries import AccessContext, agency_get
from digigov.blocks.rules import eligibility
from digigov.blocks.rules.engine import parameter_list, situation_calculate
from digigov.blocks.rules.mapping import HOUSEHOLD_ROLES
from digigov.blocks.rules.nation import tax_benefit_system
from digigov.blocks.rules.schemes import SCHEMES, SCHEMES_BY_KEY
from digigov.platform.errors import NotFound, ValidationFailed

AS_OF = dt.date(2026, 11, 28)
MONTH = "2026-11"
COLUMNS = {name: i for i, name in enumerate(bulk.PERSON_COLUMNS)}


def check(person_id, scheme_key, answers=None, as_of=AS_OF):
    context = AccessContext(
        accessor=None,
        agency=agency_get(code=getattr(SCHEMES_BY_KEY.get(scheme_key), "agency", "SSA")),
        purpose="Eligibility test",
        legal_basis="Test application",
    )
    return eligibility.eligibility_check(
        scheme_key=scheme_key, person_id=person_id, as_of=as_of, access=context, answers=answers
    )


def _period(variable: str) -> str:
    unit = str(tax_benefit_system().get_variable(variable).definition_period)
    return {"month": MONTH, "year": "2026"}.get(unit, "ETERNITY")


def _year(variable: str) -> str:
    # Registry values hold for the whole year, as a population run sets them (monthly ones dispatched).
    return "ETERNITY" if _period(variable) == "ETERNITY" else "2026"


def engine_situation(rows, housing_type):
    """The household as an OpenFisca web-API situation, written independently of mapping.py's converters."""
    persons, roles = {}, {"parents": [], "children": [], "other_members": []}
    for row in rows:
        pid = str(row[COLUMNS["id"]])
        income = row[COLUMNS["monthly_income"]] or 0
        persons[pid] = {
            "birth_date": {"ETERNITY": row[COLUMNS["date_of_birth"]].isoformat()},
            "citizenship": {_year("citizenship"): row[COLUMNS["citizenship"]]},
            "employment_status": {_year("employment_status"): row[COLUMNS["employment_status"]]},
            "monthly_income": {_year("monthly_income"): income},
            "annual_income": {"2025": income * 12, "2026": income * 12},
        }
        role = HOUSEHOLD_ROLES.get(row[COLUMNS["household_role"]] or "head", "other_member")
        roles[{"parent": "parents", "child": "children"}.get(role, "other_members")].append(pid)
    household = {k: v for k, v in roles.items() if v}
    household["housing_type"] = {_year("housing_type"): housing_type}
    for scheme in SCHEMES:
        target = household if scheme.entity == "household" else persons[str(rows[0][COLUMNS["id"]])]
        target[scheme.eligible] = {_period(scheme.eligible): None}
        target[scheme.amount] = {_period(scheme.amount): None}
    return {"persons": persons, "households": {"h": household}}


def sample_people(limit=16):
    """Heads of fully recorded households, older ones first so the senior schemes are reached too."""
    sampled = []
    for household_id, housing_type in bulk.households_read(after_id=0, limit=400):
        rows = bulk.household_members_read(first_household_id=household_id, last_household_id=household_id)
        complete = housing_type and all(
            row[COLUMNS[c]] is not None for row in rows for c in ("date_of_birth", "citizenship", "monthly_income")
        )
        if rows and complete:
            sampled.append((rows, housing_type))
    sampled.sort(key=lambda item: min(r[COLUMNS["date_of_birth"]] for r in item[0]))
    return sampled[: limit // 2] + sampled[-(limit // 2) :]


def test_a_check_agrees_with_the_engine_the_api_uses_for_every_scheme(nation):
    outcomes = set()
    for rows, housing_type in sample_people():
        # The person whose check is made is the first member (the one the situation's person schemes ask about).
        rows = sorted(rows, key=lambda row: row[0])
        expected = situation_calculate(situation=engine_situation(rows, housing_type))
        person_id = rows[0][COLUMNS["id"]]
        for scheme in SCHEMES:
            if scheme.key in {"housing_grant", "disability_assistance"}:
                continue  # need citizen-stated facts: covered below
            result = check(person_id, scheme.key)
            holder = (
                expected["households"]["h"] if scheme.entity == "household" else expected["persons"][str(person_id)]
            )
            should = holder[scheme.eligible][_period(scheme.eligible)]
            assert result.outcome == ("eligible" if should else "not_eligible"), (scheme.key, person_id)
            if should:
                assert result.amount == pytest.approx(holder[scheme.amount][_period(scheme.amount)], abs=0.01)
            outcomes.add(result.outcome)
    assert outcomes == {"eligible", "not_eligible"}  # the sample reaches both answers


def test_the_explanation_names_the_values_and_dated_parameters_used(citizen):
    result = check(citizen.person_id, "baby_bonus")
    assert result.outcome == "eligible" and result.amount == 11000
    text = "\n".join(line["text"] for line in result.lines)
    history = {p["name"]: p["history"] for p in parameter_list()}
    first_child = [h for h in history["ssa.baby_bonus.amount.first"] if h["start"] <= "2026-11-01"][-1]
    assert f"Cash gift for a first child: 11,000 (in force since {first_child['start']})" in text
    assert "Months after the birth in which the household can claim the cash gift: 12" in text
    # The newborn qualifies, not the applicant: counted, not named.
    newborn = next(line for line in result.lines if "claim window" in line["text"])
    assert newborn["held"] is True and "1 other member" in newborn["text"]
    rows, _housing = bulk.person_household_read(person_id=citizen.person_id)
    born = next(row[COLUMNS["date_of_birth"]] for row in rows if row[0] == citizen.person_id)
    assert f"Date of birth: {born.isoformat()} for you (verified record)" in text


def test_a_threshold_is_shown_beside_the_applicants_own_value_and_judged(citizen):
    result = check(citizen.person_id, "senior_support")
    assert result.outcome == "not_eligible"
    rows, _housing = bulk.person_household_read(person_id=citizen.person_id)
    born = next(row[COLUMNS["date_of_birth"]] for row in rows if row[0] == citizen.person_id)
    age = 2026 - born.year - ((born.month, born.day) > (11, 1))  # on the first day of the month checked
    age_line = next(line for line in result.lines if line["text"].startswith("Age from which a citizen qualifies"))
    assert "65" in age_line["text"] and f"yours: {age}" in age_line["text"] and age_line["held"] is False


def test_a_fact_no_registry_holds_means_more_information_is_needed(citizen):
    result = check(citizen.person_id, "housing_grant")
    assert result.outcome == "more_information_needed"
    assert result.amount == 0
    assert "Household is buying a public flat this month" in result.missing
    assert any(line["kind"] == "missing" for line in result.lines)


def test_the_citizens_own_answers_fill_the_gap_but_are_marked_as_entered(citizen):
    answers = {"flat_type": {"value": "4room", "source": "entered"}, "first_home": {"value": "yes"}}
    result = check(citizen.person_id, "housing_grant", answers=answers)
    rows, housing_type = bulk.person_household_read(person_id=citizen.person_id)
    situation = engine_situation(sorted(rows), housing_type)
    household = situation["households"]["h"]
    household |= {"buying_public_flat": {MONTH: True}, "previous_housing_subsidy": {MONTH: False}}
    expected = situation_calculate(situation=situation)["households"]["h"]["housing_grant"][MONTH]
    assert expected > 0  # the demo family's income is within the grant's bands
    assert result.outcome == "eligible" and result.amount == pytest.approx(expected)
    assert set(result.entered) == {
        "Household is buying a public flat this month",
        "A parent of the household has received a housing subsidy before",
    }
    assert not result.verified_only
    not_first = check(citizen.person_id, "housing_grant", answers={"flat_type": "4room", "first_home": "no"})
    assert not_first.outcome == "not_eligible"


def test_a_missing_registry_value_is_not_guessed(citizen):
    from digigov.blocks.registries.models import Person

    # Registered at no household, so no home on record: the rules' default home type must not stand in for it.
    Person.objects.filter(pk=citizen.person_id).update(household=None)
    result = check(citizen.person_id, "senior_support")
    assert result.outcome == "more_information_needed"
    assert "Type of home the household lives in" in result.missing
    assert any(line["kind"] == "missing" and "Type of home" in line["text"] for line in result.lines)


def test_every_household_members_read_is_recorded_with_the_purpose(citizen):
    rows, _housing = bulk.person_household_read(person_id=citizen.person_id)
    before = AccessRecord.objects.count()
    check(citizen.person_id, "baby_bonus")
    records = AccessRecord.objects.order_by("id")[before:]
    assert sorted(r.person_id for r in records) == sorted(row[0] for row in rows)
    assert {r.purpose for r in records} == {"Eligibility test"}
    assert all("person.monthly_income" in r.elements for r in records)


def test_the_rules_version_names_the_package_and_a_digest_of_the_rules(citizen):
    result = check(citizen.person_id, "baby_bonus")
    assert result.rules_version == eligibility.rules_version()
    package, digest = result.rules_version.removeprefix("nation-").split("+")
    assert package and len(digest) == 12
    assert eligibility.EligibilityResult.from_dict(result.as_dict()) == result


def test_the_date_chooses_the_parameters_in_force(citizen):
    # Before 2024 the senior support ceiling was 1,500 a head; from 2024 it is 2,300.
    old = check(citizen.person_id, "senior_support", as_of=dt.date(2023, 6, 1))
    new = check(citizen.person_id, "senior_support", as_of=AS_OF)
    assert any("Highest household monthly income per head that qualifies: 1,500" in line["text"] for line in old.lines)
    assert any("Highest household monthly income per head that qualifies: 2,300" in line["text"] for line in new.lines)


def test_an_unknown_scheme_or_person_is_refused(citizen):
    with pytest.raises(ValidationFailed):
        check(citizen.person_id, "no_such_scheme")
    with pytest.raises(NotFound):
        check(10**9, "baby_bonus")
