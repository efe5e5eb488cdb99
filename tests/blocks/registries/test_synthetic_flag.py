"""Synthetic people are told apart from real ones: the seed marks everyone it makes, nobody else is marked,
and a sandbox reader (AccessContext.synthetic_only) finds real people nowhere."""

import pytest
from django.utils import timezone

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.registries.models import Agency, Business, Person
from digigov.blocks.registries.queries import (
    AccessContext,
    agency_get,
    person_attributes_get,
    person_id_by_national_id,
    person_is_synthetic,
)
from digigov.platform.errors import NotFound

pytestmark = pytest.mark.django_db


def made_real(person_id: int) -> None:
    Person.objects.filter(pk=person_id).update(synthetic=False)


def sandbox_read(**kwargs) -> AccessContext:
    return AccessContext(
        accessor=None, agency=agency_get(code="SSA"), purpose="Try the service", legal_basis="A test", **kwargs
    )


def test_the_seed_marks_every_person_and_business_synthetic(nation):
    assert Person.objects.count() == nation.residents
    assert not Person.objects.filter(synthetic=False).exists()
    assert Business.objects.exists() and not Business.objects.filter(synthetic=False).exists()


def test_a_person_loaded_otherwise_is_not_synthetic(nation):
    person = Person.objects.create(
        national_id_encrypted=b"", national_id_index="not-a-seeded-index", full_name="Real Resident", sex="F",
        date_of_birth="1980-01-01", ethnic_group="chinese", citizenship="citizen", marital_status="single",
        education="degree", employment_status="employed", source_agency=Agency.objects.get(code="REG"),
        verified_at=timezone.now(),
    )
    assert person.synthetic is False
    assert person_is_synthetic(person_id=person.pk) is False


def test_person_is_synthetic_says_so_for_the_seeded_and_not_for_the_real_or_unknown(citizen):
    assert person_is_synthetic(person_id=citizen.person_id) is True
    made_real(citizen.person_id)
    assert person_is_synthetic(person_id=citizen.person_id) is False
    assert person_is_synthetic(person_id=10**9) is False


def test_a_sandbox_lookup_by_national_id_does_not_find_a_real_person(nation, citizen):
    number = nation.demo_citizen_national_id
    assert person_id_by_national_id(national_id=number, synthetic_only=True) == citizen.person_id
    made_real(citizen.person_id)
    assert person_id_by_national_id(national_id=number, synthetic_only=True) is None
    assert person_id_by_national_id(national_id=number) == citizen.person_id


def test_a_sandbox_read_of_a_real_persons_attributes_is_not_found_and_not_recorded(citizen):
    values = person_attributes_get(
        person_id=citizen.person_id, elements=["person.full_name"], access=sandbox_read(synthetic_only=True)
    )
    assert values["person.full_name"].value
    made_real(citizen.person_id)
    before = AccessRecord.objects.filter(person_id=citizen.person_id).count()
    with pytest.raises(NotFound):
        person_attributes_get(
            person_id=citizen.person_id, elements=["person.full_name"], access=sandbox_read(synthetic_only=True)
        )
    assert AccessRecord.objects.filter(person_id=citizen.person_id).count() == before
    assert person_attributes_get(person_id=citizen.person_id, elements=["person.full_name"], access=sandbox_read())
