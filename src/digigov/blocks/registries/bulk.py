"""Bulk, read-only reads of the registries for population-wide rule runs: plain tuples in id order, in
chunks, with no model instances, so a million residents can be streamed in constant memory.

Monthly income is stored encrypted; it is decrypted here, one batch per read, and returned as an int.

These return personal data for statistical and eligibility runs by the platform itself; the caller records
the run (its purpose and legal basis) once for the population, not once per person.
"""

from digigov.blocks.registries.bindings import monthly_incomes_of
from digigov.blocks.registries.models import Household, Person

# Column order of the person tuples returned below.
PERSON_COLUMNS = (
    "id",
    "household_id",
    "household_role",
    "date_of_birth",
    "citizenship",
    "employment_status",
    "monthly_income",
)
# What is read from the table: the same columns, with the ciphertext in place of the income (kept last).
_STORED_COLUMNS = (*PERSON_COLUMNS[:-1], "monthly_income_encrypted")


def _with_incomes(rows: list[tuple]) -> list[tuple]:
    incomes = monthly_incomes_of([(row[0], row[-1]) for row in rows])
    return [(*row[:-1], income) for row, income in zip(rows, incomes, strict=True)]


def households_read(*, after_id: int, limit: int) -> list[tuple[int, str]]:
    """(household id, housing type of its address) for up to `limit` households with an id above `after_id`."""
    return list(
        Household.objects.filter(id__gt=after_id).order_by("id").values_list("id", "address__housing_type")[:limit]
    )


def household_members_read(*, first_household_id: int, last_household_id: int) -> list[tuple]:
    """Members (PERSON_COLUMNS) of the households whose ids lie in the range, ordered by household then id."""
    return _with_incomes(
        list(
            Person.objects.filter(household_id__gte=first_household_id, household_id__lte=last_household_id)
            .order_by("household_id", "id")
            .values_list(*_STORED_COLUMNS)
        )
    )


def persons_without_household_read(*, after_id: int, limit: int) -> list[tuple]:
    """People registered at no household (PERSON_COLUMNS), up to `limit` with an id above `after_id`."""
    return _with_incomes(
        list(
            Person.objects.filter(household__isnull=True, id__gt=after_id)
            .order_by("id")
            .values_list(*_STORED_COLUMNS)[:limit]
        )
    )


def person_household_read(*, person_id: int) -> tuple[list[tuple], str | None]:
    """One person's household for a single eligibility check: its members (PERSON_COLUMNS, in id order) and
    the housing type of its address. A person registered at no household comes back alone, with no housing type;
    an unknown id gives no rows."""
    row = Person.objects.filter(pk=person_id).values_list("household_id", "household__address__housing_type").first()
    if row is None:
        return [], None
    household_id, housing_type = row
    if household_id is None:
        return _with_incomes(list(Person.objects.filter(pk=person_id).values_list(*_STORED_COLUMNS))), None
    return household_members_read(first_household_id=household_id, last_household_id=household_id), housing_type
