"""Reads of the registries. Every read of a person's data by someone other than that person goes through
`person_attributes_get`, which records who read what, for whom and why."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries.bindings import BINDINGS, NATIONAL_ID_CONTEXT, PersonView
from digigov.blocks.registries.models import Agency, Business, BusinessRole, DataElement, Person
from digigov.platform.crypto import blind_indexes
from digigov.platform.errors import NotFound


@dataclass(frozen=True)
class AccessContext:
    """Why a person's data is being read: by whom, for which agency and service, on what basis."""

    accessor: Any  # identity Account, or None for the platform acting on its own
    agency: Agency
    purpose: str
    service_ref: str = ""
    legal_basis: str = ""
    consent_grant_id: Any = None
    # An investigation's read, kept from the person until this date (consent.actions.access_record checks it).
    hidden_until: dt.date | None = None
    hidden_reason: str = ""
    # A sandbox client's read: only synthetic people may be read, a real person is "not found".
    synthetic_only: bool = False


@dataclass(frozen=True)
class VerifiedValue:
    element: str
    value: Any
    agency_code: str
    agency_name: str
    verified_at: dt.datetime


def agency_list() -> QuerySet[Agency]:
    return Agency.objects.all()


def agency_get(*, code: str) -> Agency:
    try:
        return Agency.objects.get(code=code)
    except Agency.DoesNotExist:
        raise NotFound() from None


def element_list() -> QuerySet[DataElement]:
    return DataElement.objects.select_related("owner_agency").order_by("key")


def elements_get(*, keys: Sequence[str]) -> dict[str, DataElement]:
    return {e.key: e for e in DataElement.objects.select_related("owner_agency").filter(key__in=keys)}


def person_id_by_national_id(*, national_id: str, synthetic_only: bool = False) -> int | None:
    """Finds a person by national ID through the blind index; the number itself is never queried.

    With `synthetic_only` (a sandbox client asking) a real person is not found, exactly like an unknown number:
    a sandbox must not learn who is registered."""
    if not nid.is_valid(national_id):
        return None
    people = Person.objects.filter(
        national_id_index__in=blind_indexes(value=nid.normalise(national_id), context=NATIONAL_ID_CONTEXT)
    )
    if synthetic_only:
        people = people.filter(synthetic=True)
    return people.values_list("id", flat=True).first()


def person_is_synthetic(*, person_id: int) -> bool:
    """Whether the person was made up by the synthetic nation seed; false for real and unknown people alike."""
    return Person.objects.filter(pk=person_id, synthetic=True).exists()


def synthetic_person_ids() -> QuerySet[Person]:
    """The ids of the synthetic people, as a subquery (`applicant_id__in=...`) for a sandbox client's lists."""
    return Person.objects.filter(synthetic=True).values("id")


def _person_view(*, person_id: int, with_business: bool = True) -> PersonView:
    try:
        person = Person.objects.select_related("household__address", "source_agency").get(pk=person_id)
    except Person.DoesNotExist:
        raise NotFound() from None
    # Household members and children (who may live elsewhere) in one query.
    related = Q(mother_id=person.pk) | Q(father_id=person.pk)
    if person.household_id:
        related |= Q(household_id=person.household_id)
    relatives = list(Person.objects.filter(related))
    members = [p for p in relatives if person.household_id and p.household_id == person.household_id]
    children = [p for p in relatives if person.pk in (p.mother_id, p.father_id)]
    spouse = None
    if person.marital_status == "married" and person.household_role in {"head", "spouse"}:
        spouse = next(
            (
                m
                for m in members
                if m.pk != person.pk and m.household_role in {"head", "spouse"} and m.marital_status == "married"
            ),
            None,
        )
    business, employees = None, 0
    if with_business:
        role = (
            BusinessRole.objects.select_related("business__address")
            .filter(person_id=person.pk, role__in=["owner", "director"])
            .order_by("since")
            .first()
        )
        business = role.business if role else None
        employees = BusinessRole.objects.filter(business=business, role="employee").count() if business else 0
    return PersonView(
        person=person,
        address=person.household.address if person.household_id else None,
        household_members=members,
        children=children,
        spouse=spouse,
        business=business,
        business_employees=employees,
        today=timezone.localdate(),
    )


def _verified_values(*, view: PersonView, elements: Sequence[str]) -> dict[str, VerifiedValue]:
    catalogue = elements_get(keys=elements)
    unknown = set(elements) - set(catalogue) - set(BINDINGS)
    if unknown:
        raise ValueError(f"Unknown data elements: {sorted(unknown)}")
    records = {
        "person": view.person,
        "address": view.address,
        "business": view.business,
    }
    values = {}
    for key in elements:
        record_name, compute = BINDINGS[key]
        record = records[record_name] or view.person
        element = catalogue[key]
        values[key] = VerifiedValue(
            element=key,
            value=compute(view),
            agency_code=element.owner_agency.code,
            agency_name=element.owner_agency.name,
            verified_at=record.verified_at,
        )
    return values


def person_attributes_get(
    *, person_id: int, elements: Sequence[str], access: AccessContext
) -> dict[str, VerifiedValue]:
    """Verified values of `elements` for a person. Records the read unless the reader is the person."""
    from digigov.blocks.consent import actions as consent_actions

    if access.synthetic_only and not person_is_synthetic(person_id=person_id):
        raise NotFound()  # the same answer as for nobody, whichever path the sandbox came by
    view = _person_view(person_id=person_id, with_business=any(e.startswith("business.") for e in elements))
    values = _verified_values(view=view, elements=elements)
    accessor = access.accessor
    if accessor is None or getattr(accessor, "person_id", None) != person_id:
        consent_actions.access_record(
            person_id=person_id,
            elements=list(elements),
            context=access,
            hidden_until=access.hidden_until,
            hidden_reason=access.hidden_reason,
        )
    return values


def own_record_get(*, account: Any) -> dict[str, VerifiedValue]:
    """Everything the registries hold about the signed-in person, for their own "My data" page."""
    if account.person_id is None:
        raise NotFound()
    return _verified_values(view=_person_view(person_id=account.person_id), elements=list(BINDINGS))


def person_display_name(*, person_id: int) -> str:
    """The name used to greet a person or address a message to them (the platform's own use)."""
    return Person.objects.filter(pk=person_id).values_list("full_name", flat=True).first() or ""


def person_contact_get(*, person_id: int) -> dict[str, str]:
    """Where to send a person the messages they are owed about their own transactions."""
    row = Person.objects.filter(pk=person_id).values("full_name", "email", "mobile").first()
    if row is None:
        raise NotFound()
    return row


def person_contacts_get(*, person_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """person_contact_get for many people in one query (a batch of messages), by person id; people not
    registered are left out."""
    rows = Person.objects.filter(pk__in=person_ids).values_list("pk", "full_name", "email", "mobile")
    return {pk: {"full_name": name, "email": email, "mobile": mobile} for pk, name, email, mobile in rows}


def business_list_for_person(*, person_id: int) -> QuerySet[Business]:
    return Business.objects.filter(roles__person_id=person_id, roles__role__in=["owner", "director"]).distinct()
