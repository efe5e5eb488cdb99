"""Bulk, read-only reads of the registries for population-wide rule runs: plain tuples in id order, in
chunks, with no model instances, so a million residents can be streamed in constant memory.

These return personal data for statistical and eligibility runs by the platform itself; the caller records
the run (its purpose and legal basis) once for the population, not once per person.
"""

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


def households_read(*, after_id: int, limit: int) -> list[tuple[int, str]]:
    """(household id, housing type of its address) for up to `limit` households with an id above `after_id`."""
    return list(
        Household.objects.filter(id__gt=after_id).order_by("id").values_list("id", "address__housing_type")[:limit]
    )


def household_members_read(*, first_household_id: int, last_household_id: int) -> list[tuple]:
    """Members (PERSON_COLUMNS) of the households whose ids lie in the range, ordered by household then id."""
    return list(
        Person.objects.filter(household_id__gte=first_household_id, household_id__lte=last_household_id)
        .order_by("household_id", "id")
        .values_list(*PERSON_COLUMNS)
    )


def persons_without_household_read(*, after_id: int, limit: int) -> list[tuple]:
    """People registered at no household (PERSON_COLUMNS), up to `limit` with an id above `after_id`."""
    return list(
        Person.objects.filter(household__isnull=True, id__gt=after_id)
        .order_by("id")
        .values_list(*PERSON_COLUMNS)[:limit]
    )
