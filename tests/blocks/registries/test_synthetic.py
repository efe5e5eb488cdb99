import datetime as dt
from collections import Counter

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone

from digigov.blocks.registries import catalogue
from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries.bindings import MONTHLY_INCOME_CONTEXT, NATIONAL_ID_CONTEXT
from digigov.blocks.registries.models import Address, Agency, Business, BusinessRole, DataElement, Household, Person
from digigov.blocks.registries.synthetic import COLUMNS, Batch, NationGenerator
from digigov.platform.crypto import decrypt_text, row_context
from digigov.platform.keys import DataKeyInUse

TODAY = dt.date(2026, 5, 20)
AGENCY_IDS = {"REG": 1, "HSG": 2, "BIZ": 6}
# The generator gets its data key from the caller (it may run in a forked process without the database).
DATA_KEY = DataKeyInUse(id=12345, aead=AESGCM(AESGCM.generate_key(bit_length=256)))
P = {name: i for i, name in enumerate([
    "id", "national_id_encrypted", "national_id_index", "full_name", "sex", "date_of_birth", "ethnic_group",
    "citizenship", "marital_status", "education", "employment_status", "occupation", "monthly_income_encrypted",
    "household", "household_role", "mother", "father", "email", "mobile", "source_agency", "verified_at",
    "synthetic",
])}


def generate(*, residents: int, seed: int, chunk: int = 50_000) -> Batch:
    generator = NationGenerator(
        residents=residents, seed=seed, today=TODAY, agency_ids=AGENCY_IDS, verified_at=["2025-01-01 00:00:00"],
        chunk=chunk, data_key=DATA_KEY,
    )
    nation = Batch()
    for batch in generator.batches():
        for name in ("addresses", "households", "persons", "businesses", "business_roles"):
            getattr(nation, name).extend(getattr(batch, name))
    return nation


@pytest.fixture(scope="module")
def nation_rows() -> Batch:
    return generate(residents=6_000, seed=11, chunk=2_500)


def age(row: tuple) -> int:
    born = dt.date.fromisoformat(row[P["date_of_birth"]])
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def without_ciphertext(rows: list[tuple]) -> list[tuple]:
    income = P["monthly_income_encrypted"]
    return [row[:1] + row[2:income] + row[income + 1 :] for row in rows]


def income(row: tuple) -> int:
    context = row_context(context=MONTHLY_INCOME_CONTEXT, row_id=row[P["id"]])
    return int(decrypt_text(ciphertext=row[P["monthly_income_encrypted"]], context=context, key=DATA_KEY))


def test_the_same_seed_gives_the_same_people_and_national_ids():
    first, again = generate(residents=1_500, seed=3), generate(residents=1_500, seed=3)
    assert without_ciphertext(first.persons) == without_ciphertext(again.persons)
    assert first.addresses == again.addresses and first.businesses == again.businesses


def test_a_different_seed_gives_a_different_nation():
    assert without_ciphertext(generate(residents=500, seed=3).persons) != without_ciphertext(
        generate(residents=500, seed=4).persons
    )


def test_the_nation_has_exactly_the_residents_asked_for_across_chunks(nation_rows):
    assert len(nation_rows.persons) == 6_000
    assert len(generate(residents=2_503, seed=5, chunk=1_000).persons) == 2_503


def test_national_ids_are_valid_unique_and_follow_status_and_birth_year(nation_rows):
    numbers = {}
    for row in nation_rows.persons:
        context = row_context(context=NATIONAL_ID_CONTEXT, row_id=row[P["id"]])
        number = decrypt_text(ciphertext=row[P["national_id_encrypted"]], context=context, key=DATA_KEY)
        assert nid.is_valid(number)
        numbers[number] = row
    assert len(numbers) == len(nation_rows.persons)
    assert len({row[P["national_id_index"]] for row in nation_rows.persons}) == len(nation_rows.persons)
    for number, row in numbers.items():
        born = int(row[P["date_of_birth"]][:4])
        if row[P["citizenship"]] == "foreigner":
            assert number[0] in "FG"
        else:
            assert number[0] == ("S" if born < 2000 else "T")
        if row[P["citizenship"]] == "citizen" and born >= 1968:
            assert number[1:3] == f"{born % 100:02d}"  # citizens' numbers start with their birth year


def test_residential_status_ethnic_groups_and_ages_look_like_an_ageing_nation(nation_rows):
    persons = nation_rows.persons
    share = Counter(row[P["citizenship"]] for row in persons)
    assert 0.70 < share["citizen"] / len(persons) < 0.80
    assert 0.09 < share["permanent_resident"] / len(persons) < 0.17
    assert 0.08 < share["foreigner"] / len(persons) < 0.16
    groups = Counter(row[P["ethnic_group"]] for row in persons)
    assert set(groups) == {"chinese", "malay", "indian", "eurasian", "other"}
    assert groups.most_common(1)[0][0] == "chinese"
    ages = [age(row) for row in persons]
    assert 0.12 < sum(a >= 65 for a in ages) / len(ages) < 0.25
    assert 0.10 < sum(a < 15 for a in ages) / len(ages) < 0.22


def test_housing_is_mostly_public_flats(nation_rows):
    home_ids = {row[1] for row in nation_rows.households}
    types = Counter(row[5] for row in nation_rows.addresses if row[0] in home_ids)
    total = sum(types.values())
    public = sum(count for kind, count in types.items() if kind.startswith("public_"))
    assert 0.72 < public / total < 0.85
    assert 0.11 < types["condominium"] / total < 0.23
    assert 0.02 < types["landed"] / total < 0.08
    for row in nation_rows.addresses:
        assert len(row[4]) == 6 and row[4].isdigit()


def test_children_point_at_older_parents_in_their_own_household(nation_rows):
    by_id = {row[0]: row for row in nation_rows.persons}
    children = [row for row in nation_rows.persons if row[P["mother"]] or row[P["father"]]]
    assert len(children) > len(nation_rows.persons) * 0.2
    for child in children:
        for parent_id in (child[P["mother"]], child[P["father"]]):
            if parent_id:
                parent = by_id[parent_id]
                assert parent[P["household"]] == child[P["household"]]
                assert age(parent) >= age(child) + 18
                assert parent_id < child[0]  # parents' rows are written first
        if child[P["mother"]]:
            assert by_id[child[P["mother"]]][P["sex"]] == "F"


def test_names_follow_each_culture(nation_rows):
    by_id = {row[0]: row for row in nation_rows.persons}
    checked = Counter()
    for row in nation_rows.persons:
        father = by_id.get(row[P["father"]])
        name = row[P["full_name"]]
        if father is None:
            continue
        if " bin " in name or " binte " in name:
            assert " bin " in father[P["full_name"]]
            # Malay patronym: "<given> bin/binte <father's given name>"
            assert name.split(" bin ")[-1].split(" binte ")[-1] == father[P["full_name"]].split(" bin ")[0]
            checked["malay"] += 1
        elif " s/o " in name or " d/o " in name:
            assert name.split("/o ")[1] == father[P["full_name"]].split(" s/o ")[0]
            checked["tamil"] += 1
    assert checked["malay"] and checked["tamil"]


def test_adults_have_work_and_income_by_age_and_children_do_not(nation_rows):
    for row in nation_rows.persons:
        years = age(row)
        if years < 7:
            assert row[P["employment_status"]] == "child" and income(row) == 0
        if row[P["employment_status"]] == "employed":
            assert income(row) > 0 and row[P["occupation"]]
        if years < 16:
            assert row[P["marital_status"]] == "single"
    statuses = Counter(row[P["employment_status"]] for row in nation_rows.persons)
    assert {"child", "student", "employed", "self_employed", "unemployed", "retired", "homemaker"} <= set(statuses)


def test_businesses_have_unique_uens_owners_and_employees(nation_rows):
    uens = [row[1] for row in nation_rows.businesses]
    assert len(uens) == len(set(uens)) > 50
    roles = Counter(row[3] for row in nation_rows.business_roles)
    assert roles["owner"] >= len(nation_rows.businesses)
    assert roles["director"] and roles["employee"]
    pairs = [(row[1], row[2], row[3]) for row in nation_rows.business_roles]
    assert len(pairs) == len(set(pairs))


def test_every_generated_person_and_business_is_marked_synthetic(nation_rows):
    assert list(P) == COLUMNS[Person]  # the row layout these tests read is the one the loader writes
    assert {row[P["synthetic"]] for row in nation_rows.persons} == {True}
    assert {row[COLUMNS[Business].index("synthetic")] for row in nation_rows.businesses} == {True}


@pytest.mark.django_db
def test_every_agency_and_data_element_of_the_catalogue_is_loaded(nation):
    assert set(Agency.objects.values_list("code", flat=True)) >= {code for code, *_ in catalogue.AGENCIES}
    assert set(DataElement.objects.values_list("key", flat=True)) >= {key for key, *_ in catalogue.ELEMENTS}


@pytest.mark.django_db
def test_every_record_says_which_agency_verified_it_and_when(nation):
    assert not Person.objects.exclude(source_agency__code="REG").exists()
    assert not Address.objects.exclude(source_agency__code="HSG").exists()
    assert not Household.objects.exclude(source_agency__code="HSG").exists()
    assert not Business.objects.exclude(source_agency__code="BIZ").exists()
    assert Person.objects.filter(verified_at__lte=timezone.now()).count() == Person.objects.count()


@pytest.mark.django_db
def test_the_demo_citizen_is_a_married_mother_of_a_newborn_in_a_four_room_flat(nation, citizen):
    mother = Person.objects.select_related("household__address").get(pk=citizen.person_id)
    assert mother.sex == "F" and mother.marital_status == "married"
    assert 31 <= (timezone.localdate() - mother.date_of_birth).days // 365 <= 33
    assert mother.household.address.housing_type == "public_4room"
    baby = Person.objects.get(mother_id=mother.pk)
    assert 35 <= (timezone.localdate() - baby.date_of_birth).days <= 49
    assert baby.household_id == mother.household_id and baby.father_id is not None
    father = Person.objects.get(pk=baby.father_id)
    assert father.household_id == mother.household_id and father.marital_status == "married"
    assert mother.email == "demo.citizen@example.org"


@pytest.mark.django_db
def test_the_demo_business_owner_owns_a_business_with_employees(nation):
    from digigov.blocks.registries.queries import person_id_by_national_id

    owner_id = person_id_by_national_id(national_id=nation.demo_business_owner_national_id)
    business = Business.objects.get(roles__person_id=owner_id, roles__role="owner")
    assert BusinessRole.objects.filter(business=business, role="employee").exists()


def test_generating_in_a_second_process_gives_the_same_batches():
    from digigov.blocks.registries.synthetic import _generated_ahead

    def make() -> NationGenerator:
        return NationGenerator(residents=1_200, seed=9, today=TODAY, agency_ids=AGENCY_IDS,
                               verified_at=["2025-01-01 00:00:00"], chunk=500, data_key=DATA_KEY)

    in_line, ahead = list(make().batches()), list(_generated_ahead(make()))
    assert [without_ciphertext(b.persons) for b in in_line] == [without_ciphertext(b.persons) for b in ahead]
    assert ahead[0].demo is not None and ahead[0].demo == in_line[0].demo
