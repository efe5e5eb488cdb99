"""Reads about acting for a business (docs/identity.md "Businesses"): who administers a business, who may act
for it in which services and roles, and the business context a client receives with the `business` scope.

Owners and directors in the business register administer the business by right; everyone else acts for it
through a row here that has not been revoked. Every answer is worked out from the current rows, so a revoked
appointment or access stops the next request."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from digigov.blocks.consent.actions import access_record
from digigov.blocks.identity.models import (
    Account,
    BusinessAccess,
    BusinessAdministrator,
    BusinessRoleName,
    OidcBusinessContext,
    OidcConsent,
)
from digigov.blocks.identity.oidc.claims import BUSINESS_SCOPE
from digigov.blocks.registries import queries as registries
from digigov.platform.errors import NotFound

ADMINISTRATOR = "administrator"
# Where the portal keeps the business the signed-in person chose to act for (its registry id).
ACTING_FOR_SESSION_KEY = "acting_for_business"
# Administrators act for the business in every service: the claim says so with this wildcard, not a long list.
EVERY_SERVICE = "*"
# The business register's elements a business claim discloses, as recorded in the person's access log.
CLAIM_ELEMENTS = ["business.uen", "business.name"]


@dataclass(frozen=True)
class BusinessContext:
    """What one person may do for one business."""

    business: Any  # the registry's Business
    by_right: bool  # an owner or director in the business register
    appointed: bool  # appointed administrator
    grants: tuple[tuple[str, str], ...]  # (service slug, role) given by an administrator

    @property
    def is_administrator(self) -> bool:
        return self.by_right or self.appointed

    @property
    def roles(self) -> list[str]:
        if self.is_administrator:
            return [ADMINISTRATOR]
        return sorted({role for _slug, role in self.grants})

    @property
    def services(self) -> list[str]:
        if self.is_administrator:
            return [EVERY_SERVICE]
        return sorted({slug for slug, _role in self.grants})

    def allows(self, *, service_slug: str, role: str) -> bool:
        """Administrators may do anything for the business; an applicant may also see what they applied for."""
        if self.is_administrator:
            return True
        wanted = {role, BusinessRoleName.APPLICANT} if role == BusinessRoleName.VIEWER else {role}
        return any(slug == service_slug and granted in wanted for slug, granted in self.grants)

    def claim(self) -> dict[str, Any]:
        return {"uen": self.business.uen, "name": self.business.name, "roles": self.roles, "services": self.services}


def _appointments(*, person_id: int) -> list[BusinessAdministrator]:
    return list(
        BusinessAdministrator.objects.select_related("business").filter(person_id=person_id, revoked_at__isnull=True)
    )


def _grants(*, person_id: int) -> list[BusinessAccess]:
    return list(BusinessAccess.objects.select_related("business").filter(person_id=person_id, revoked_at__isnull=True))


def businesses_for_account(*, account: Account) -> list[BusinessContext]:
    """Every business this person may act for, with what they may do there, by name."""
    if account.kind != "person" or account.person_id is None:
        return []
    by_right = {b.pk: b for b in registries.business_list_for_person(person_id=account.person_id)}
    appointed = {a.business_id: a.business for a in _appointments(person_id=account.person_id)}
    grants: dict[int, list[BusinessAccess]] = {}
    for grant in _grants(person_id=account.person_id):
        grants.setdefault(grant.business_id, []).append(grant)
    businesses = {**{g[0].business_id: g[0].business for g in grants.values()}, **appointed, **by_right}
    contexts = [
        BusinessContext(
            business=business,
            by_right=pk in by_right,
            appointed=pk in appointed,
            grants=tuple(sorted((g.service_slug, g.role) for g in grants.get(pk, []))),
        )
        for pk, business in businesses.items()
    ]
    return sorted(contexts, key=lambda c: c.business.name)


def business_context(*, account: Account, uen: str) -> BusinessContext:
    """What this person may do for the business with this UEN. One error for a business that does not exist
    and for one they may not act for, so that nobody learns which businesses exist by trying."""
    for context in businesses_for_account(account=account):
        if context.business.uen == uen:
            return context
    raise NotFound()


def business_context_by_id(*, account: Account, business_id: int) -> BusinessContext | None:
    return next((c for c in businesses_for_account(account=account) if c.business.pk == business_id), None)


@dataclass(frozen=True)
class PersonWithAccess:
    """A row of the business's people page: an appointed administrator or one access given to an employee."""

    kind: str  # "administrator" or "access"
    row_id: int
    person_name: str
    service_slug: str
    role: str
    granted_at: Any


def business_people(*, actor: Account, context: BusinessContext) -> list[PersonWithAccess]:
    """The people an administrator has let act for the business. Their names are read from the registries for
    the administrator, so each person sees the read in "Who accessed my data"."""
    if not context.is_administrator:
        raise NotFound()
    business = context.business
    admins = list(
        BusinessAdministrator.objects.filter(business=business, revoked_at__isnull=True).order_by("appointed_at")
    )
    grants = list(
        BusinessAccess.objects.filter(business=business, revoked_at__isnull=True).order_by("service_slug", "granted_at")
    )
    names = _names(actor=actor, business=business, person_ids=[r.person_id for r in [*admins, *grants]])
    return [
        PersonWithAccess("administrator", a.pk, names[a.person_id], "", ADMINISTRATOR, a.appointed_at) for a in admins
    ] + [PersonWithAccess("access", g.pk, names[g.person_id], g.service_slug, g.role, g.granted_at) for g in grants]


def _names(*, actor: Account, business: Any, person_ids: Sequence[int]) -> dict[int, str]:
    access = registries.AccessContext(
        accessor=actor,
        agency=business.source_agency,
        purpose=_("Administering who may act for %(business)s") % {"business": business.name},
        service_ref=f"business:{business.uen}",
        legal_basis=_("The person was given access to act for the business by its administrator."),
    )
    names = {}
    for person_id in dict.fromkeys(person_ids):
        values = registries.person_attributes_get(person_id=person_id, elements=["person.full_name"], access=access)
        names[person_id] = values["person.full_name"].value
    return names


# --- the business context in OpenID Connect -------------------------------------------------------------------


def oidc_business_of_code(*, code_id: int) -> Any | None:
    """The business the person chose to act for when this authorization code was issued, if any."""
    row = OidcBusinessContext.objects.select_related("business").filter(code_id=code_id).first()
    return row.business if row else None


def oidc_business_claim_release(
    *, account: Account, client: Any, code_id: int | None, scopes: Sequence[str]
) -> dict[str, Any] | None:
    """The `business` claim for an ID token or userinfo answer from this code's sign-in: the business the person
    acted for and what they may do there now. Nothing once their access is gone, nor without their standing
    consent to the scope. The release is recorded in their "Who accessed my data", as their other claims are."""
    if code_id is None or BUSINESS_SCOPE not in scopes:
        return None
    consent = OidcConsent.objects.filter(account=account, client=client, revoked_at__isnull=True).first()
    business = oidc_business_of_code(code_id=code_id)
    if consent is None or BUSINESS_SCOPE not in consent.scopes or business is None:
        return None
    context = business_context_by_id(account=account, business_id=business.pk)
    if context is None:
        return None
    access_record(
        person_id=account.person_id,
        elements=CLAIM_ELEMENTS,
        context=registries.AccessContext(
            accessor=None,
            agency=client.agency,
            purpose=client.purpose,
            service_ref=f"oidc:{client.client_id}",
            consent_grant_id=consent.consent_grant_id,
        ),
    )
    return context.claim()
