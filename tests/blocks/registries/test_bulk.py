from digigov.blocks.registries import bulk
from digigov.blocks.registries.bindings import monthly_income_of
from digigov.blocks.registries.models import Person


def test_bulk_reads_return_each_encrypted_income_as_the_whole_dollars_the_registry_holds(nation):
    rows = bulk.household_members_read(first_household_id=0, last_household_id=10**9)
    rows += bulk.persons_without_household_read(after_id=0, limit=10**6)
    income = bulk.PERSON_COLUMNS.index("monthly_income")

    assert len(rows) == Person.objects.count() == 300
    by_id = {person.pk: person for person in Person.objects.all()}
    assert all(isinstance(row[income], int) for row in rows)
    assert {row[0]: row[income] for row in rows} == {pk: monthly_income_of(p) for pk, p in by_id.items()}
    status = bulk.PERSON_COLUMNS.index("employment_status")
    assert all(row[income] == 0 for row in rows if row[status] == "child")
    assert all(row[income] > 0 for row in rows if row[status] == "employed")
