"""Which registry data element feeds which OpenFisca input variable, and how its value is converted.

One declaration serves single cases (a citizen's verified values at application time) and population runs
(columns read in bulk from the registries): both go through `Feed.convert`, which takes a column of registry
values, so a person is computed from the same inputs whichever way they are evaluated.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from digigov.blocks.rules.nation.entities import Household
from digigov.blocks.rules.nation.enums import Citizenship, EmploymentStatus, HousingType


def _dates(values: Sequence[Any]) -> numpy.ndarray:
    # Registry dates arrive as date objects in bulk reads and as ISO strings from person_attributes_get.
    return numpy.array([v.isoformat() if isinstance(v, dt.date) else v for v in values], dtype="datetime64[D]")


def _money(values: Sequence[Any]) -> numpy.ndarray:
    return numpy.array([v or 0 for v in values], dtype=numpy.float32)


def _codes(enum: type) -> Callable[[Sequence[Any]], Any]:
    known = {item.name for item in enum}

    def convert(values: Sequence[Any]) -> Any:
        # A code the rules do not know (a newer registry code list, an empty value) becomes the variable's
        # default rather than failing a whole population run; the registries validate codes on the way in.
        default = next(iter(enum)).name
        return enum.encode(numpy.array([v if v in known else default for v in values]))

    return convert


@dataclass(frozen=True)
class Feed:
    """A data element that feeds an OpenFisca input variable."""

    element: str  # key in the registries catalogue (registries/catalogue.py ELEMENTS)
    variable: str  # OpenFisca input variable (nation/variables)
    entity: str  # "person" or "household"
    periods: str  # which periods the as-of value is set for: "eternity", "year" or "year_and_last_year"
    convert: Callable[[Sequence[Any]], Any]
    note: str = ""


FEEDS: tuple[Feed, ...] = (
    Feed("person.date_of_birth", "birth_date", "person", "eternity", _dates, "ages are computed by the rules"),
    Feed("person.citizenship", "citizenship", "person", "year", _codes(Citizenship)),
    Feed("person.employment_status", "employment_status", "person", "year", _codes(EmploymentStatus)),
    Feed("person.monthly_income", "monthly_income", "person", "year", _money),
    # The registries hold the current assessment only, so it stands for last year's too (the GST voucher
    # looks at the preceding year's income).
    Feed("person.annual_income", "annual_income", "person", "year_and_last_year", _money),
    Feed("address.housing_type", "housing_type", "household", "year", _codes(HousingType)),
)

FEEDS_BY_ELEMENT: dict[str, Feed] = {feed.element: feed for feed in FEEDS}

# Elements the rules compute from the inputs above instead of taking them as inputs, so that a household's
# income or size can never disagree with its members. Tests check they agree with the registries' values.
DERIVED: dict[str, str] = {
    "person.age": "age",
    "household.member_count": "household_size",
    "household.monthly_income": "household_income",
    "household.income_per_head": "income_per_head",
}

# Inputs no registry holds yet: a citizen states them in the application form, and population runs leave
# them at their defaults (so schemes that need them find nobody until a registry provides them).
CITIZEN_STATED: dict[str, str] = {
    "has_disability": "person",
    "buying_public_flat": "household",
    "previous_housing_subsidy": "household",
}

# The registries' household roles, mapped to the rules' roles. The registries' "parent" is the head's own
# elderly parent living with them: for the rules that is another member, not a parent of the household.
HOUSEHOLD_ROLES: dict[str, str] = {
    "head": "parent",
    "spouse": "parent",
    "child": "child",
    "parent": "other_member",
    "other": "other_member",
    "member": "other_member",
}

ROLE_INDEX: dict[str, int] = {role.key: index for index, role in enumerate(Household.flattened_roles)}


def role_indices(*, registry_roles: Sequence[str]) -> numpy.ndarray:
    """Index into Household.flattened_roles for each registry household role."""
    table = {code: ROLE_INDEX[role] for code, role in HOUSEHOLD_ROLES.items()}
    other = ROLE_INDEX["other_member"]
    return numpy.array([table.get(code, other) for code in registry_roles], dtype=numpy.int16)


def elements_needed() -> list[str]:
    """Every data element the rules read, for an access record or a consent request."""
    return [feed.element for feed in FEEDS]
