"""Where each data element's verified value lives. One function per element, over a loaded PersonView."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from digigov.blocks.registries.models import Address, Business, Person
from digigov.platform.crypto import decrypt_many, decrypt_text, row_context

# Associated data of the encrypted columns (platform/keys.py ENCRYPTED_COLUMNS lists them for rotation);
# each value is also bound to its row. The blind index uses NATIONAL_ID_CONTEXT alone, so it stays
# row-independent and searchable.
NATIONAL_ID_CONTEXT = b"person.national_id"
MONTHLY_INCOME_CONTEXT = b"person.monthly_income"


def national_id_of(person: Person) -> str:
    return decrypt_text(
        ciphertext=person.national_id_encrypted, context=row_context(context=NATIONAL_ID_CONTEXT, row_id=person.pk)
    )


def monthly_incomes_of(rows: list[tuple[int, bytes]]) -> list[int]:
    """Monthly incomes of (person id, monthly_income_encrypted) rows, decrypted in one batch."""
    contexts = [row_context(context=MONTHLY_INCOME_CONTEXT, row_id=person_id) for person_id, _value in rows]
    return [int(v) for v in decrypt_many(ciphertexts=[value for _id, value in rows], contexts=contexts)]


def monthly_income_of(person: Person) -> int:
    return monthly_incomes_of([(person.pk, person.monthly_income_encrypted)])[0]


@dataclass
class PersonView:
    """A person with the records their elements are computed from, loaded once."""

    person: Person
    address: Address | None
    household_members: list[Person]
    children: list[Person]
    spouse: Person | None
    business: Business | None
    business_employees: int
    today: dt.date

    def age(self) -> int:
        born = self.person.date_of_birth
        return self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))


def _youngest(view: PersonView) -> Person | None:
    return max(view.children, key=lambda c: c.date_of_birth, default=None)


def _household_income(view: PersonView) -> int:
    members = [(m.pk, m.monthly_income_encrypted) for m in view.household_members]
    return sum(monthly_incomes_of(members)) or monthly_income_of(view.person)


def _national_id(view: PersonView) -> str:
    return national_id_of(view.person)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# Retirement payouts start at 65 in this nation's scheme.
PAYOUT_ELIGIBILITY_AGE = 65

BINDINGS: dict[str, tuple[str, Callable[[PersonView], Any]]] = {
    # key: (record the value comes from, function)
    "person.national_id": ("person", _national_id),
    "person.full_name": ("person", lambda v: v.person.full_name),
    "person.sex": ("person", lambda v: v.person.sex),
    "person.date_of_birth": ("person", lambda v: v.person.date_of_birth.isoformat()),
    "person.age": ("person", lambda v: v.age()),
    "person.ethnic_group": ("person", lambda v: v.person.ethnic_group),
    "person.citizenship": ("person", lambda v: v.person.citizenship),
    "person.marital_status": ("person", lambda v: v.person.marital_status),
    "person.spouse_name": ("person", lambda v: v.spouse.full_name if v.spouse else None),
    "person.children_count": ("person", lambda v: len(v.children)),
    "person.youngest_child_name": ("person", lambda v: c.full_name if (c := _youngest(v)) else None),
    "person.youngest_child_date_of_birth": ("person", lambda v: _iso(c.date_of_birth) if (c := _youngest(v)) else None),
    "person.email": ("person", lambda v: v.person.email or None),
    "person.mobile": ("person", lambda v: v.person.mobile or None),
    "person.education": ("person", lambda v: v.person.education),
    "person.employment_status": ("person", lambda v: v.person.employment_status),
    "person.occupation": ("person", lambda v: v.person.occupation or None),
    "person.monthly_income": ("person", lambda v: monthly_income_of(v.person)),
    "person.annual_income": ("person", lambda v: monthly_income_of(v.person) * 12),
    "person.retirement_savings_age_eligible": ("person", lambda v: v.age() >= PAYOUT_ELIGIBILITY_AGE),
    "address.block": ("address", lambda v: v.address.block if v.address else None),
    "address.street": ("address", lambda v: v.address.street if v.address else None),
    "address.unit": ("address", lambda v: (v.address.unit or None) if v.address else None),
    "address.postal_code": ("address", lambda v: v.address.postal_code if v.address else None),
    "address.full": ("address", lambda v: str(v.address) if v.address else None),
    "address.housing_type": ("address", lambda v: v.address.housing_type if v.address else None),
    "household.member_count": ("address", lambda v: len(v.household_members) or 1),
    "household.monthly_income": ("person", _household_income),
    "household.income_per_head": ("person", lambda v: _household_income(v) // (len(v.household_members) or 1)),
    "business.uen": ("business", lambda v: v.business.uen if v.business else None),
    "business.name": ("business", lambda v: v.business.name if v.business else None),
    "business.entity_type": ("business", lambda v: v.business.entity_type if v.business else None),
    "business.industry": ("business", lambda v: v.business.industry if v.business else None),
    "business.registered_on": ("business", lambda v: _iso(v.business.registered_on) if v.business else None),
    "business.address": ("business", lambda v: str(v.business.address) if v.business else None),
    "business.employee_count": ("business", lambda v: v.business_employees if v.business else None),
}
