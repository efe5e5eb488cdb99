"""Writes for acting for a business (docs/identity.md "Businesses"). Owners and directors in the business
register appoint administrators; administrators give employees access to named services with a role, and take
it back. Each write is one transaction with its audit entry."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity.business_queries import business_context, business_context_by_id
from digigov.blocks.identity.models import (
    Account,
    BusinessAccess,
    BusinessAdministrator,
    BusinessRoleName,
    OidcAuthorizationCode,
    OidcBusinessContext,
)
from digigov.blocks.registries import queries as registries
from digigov.blocks.services import queries as services
from digigov.platform.errors import NotFound, NotPermitted, ValidationFailed

BUSINESS_AUDIENCE = "business"  # the catalogue's services for businesses (services.models.Service.audience)


def _person_id(national_id: str) -> int:
    person_id = registries.person_id_by_national_id(national_id=national_id.strip())
    if person_id is None:
        raise ValidationFailed(fields={"national_id": _("Enter the national ID number of a registered person.")})
    return person_id


def _audit(*, actor: Account, action: str, business: Any, detail: dict) -> None:
    entry_record(actor=actor, action=action, object_type="business", object_id=business.uen, detail=detail)


@transaction.atomic
def business_admin_grant(*, actor: Account, uen: str, national_id: str) -> BusinessAdministrator:
    """An owner or director appoints someone to administer who may act for the business."""
    context = business_context(account=actor, uen=uen)
    if not context.by_right:
        raise NotPermitted(_("Only the business's owners and directors may appoint administrators."))
    business = context.business
    person_id = _person_id(national_id)
    if registries.business_list_for_person(person_id=person_id).filter(pk=business.pk).exists():
        raise ValidationFailed(fields={"national_id": _("This person administers the business by right already.")})
    current = BusinessAdministrator.objects.filter(business=business, person_id=person_id, revoked_at__isnull=True)
    if existing := current.first():
        return existing
    appointment = BusinessAdministrator.objects.create(business=business, person_id=person_id, appointed_by=actor)
    _audit(
        actor=actor,
        action="identity:business:administrator:appoint",
        business=business,
        detail={"person_id": person_id, "appointment": appointment.pk},
    )
    return appointment


def _revoke(*, rows: Any, pk: int, context: Any, actor: Account) -> Any:
    """End a current appointment or access of the business (locked first); another business's is not found."""
    row = rows.select_for_update().filter(pk=pk, business=context.business, revoked_at__isnull=True).first()
    if row is None:
        raise NotFound()
    row.revoked_at, row.revoked_by = timezone.now(), actor
    row.save(update_fields=["revoked_at", "revoked_by"])
    return row


@transaction.atomic
def business_admin_revoke(*, actor: Account, uen: str, appointment_id: int) -> BusinessAdministrator:
    context = business_context(account=actor, uen=uen)
    if not context.by_right:
        raise NotPermitted(_("Only the business's owners and directors may remove administrators."))
    appointment = _revoke(rows=BusinessAdministrator.objects, pk=appointment_id, context=context, actor=actor)
    _audit(
        actor=actor,
        action="identity:business:administrator:revoke",
        business=context.business,
        detail={"person_id": appointment.person_id, "appointment": appointment.pk},
    )
    return appointment


@transaction.atomic
def employee_access_grant(
    *, actor: Account, uen: str, national_id: str, service_slug: str, role: str
) -> BusinessAccess:
    """An administrator lets an employee act for the business in one service with one role."""
    context = business_context(account=actor, uen=uen)
    if not context.is_administrator:
        raise NotPermitted(_("Only the business's administrators may give access."))
    errors = {}
    if role not in BusinessRoleName.values:
        errors["role"] = _("Choose a role.")
    service = services.service_list().filter(slug=service_slug).first()
    if service is None or service.audience != BUSINESS_AUDIENCE:
        errors["service"] = _("Choose a service for businesses.")
    if errors:
        raise ValidationFailed(fields=errors)
    person_id = _person_id(national_id)
    business = context.business
    current = BusinessAccess.objects.filter(
        business=business, person_id=person_id, service_slug=service.slug, role=role, revoked_at__isnull=True
    )
    if existing := current.first():
        return existing
    access = BusinessAccess.objects.create(
        business=business, person_id=person_id, service_slug=service.slug, role=role, granted_by=actor
    )
    _audit(
        actor=actor,
        action="identity:business:access:grant",
        business=business,
        detail={"person_id": person_id, "access": access.pk, "service": service.slug, "role": role},
    )
    return access


@transaction.atomic
def employee_access_revoke(*, actor: Account, uen: str, access_id: int) -> BusinessAccess:
    """Take an access back; the employee's next request, and the next use of any token, no longer has it."""
    context = business_context(account=actor, uen=uen)
    if not context.is_administrator:
        raise NotPermitted(_("Only the business's administrators may take access back."))
    access = _revoke(rows=BusinessAccess.objects, pk=access_id, context=context, actor=actor)
    _audit(
        actor=actor,
        action="identity:business:access:revoke",
        business=context.business,
        detail={
            "person_id": access.person_id,
            "access": access.pk,
            "service": access.service_slug,
            "role": access.role,
        },
    )
    return access


@transaction.atomic
def oidc_business_context_attach(*, code: OidcAuthorizationCode, business_id: int) -> OidcBusinessContext | None:
    """Remember which business the person acts for in this sign-in, if they still may act for it."""
    context = business_context_by_id(account=code.account, business_id=business_id)
    if context is None:
        return None
    row = OidcBusinessContext.objects.create(code=code, business=context.business)
    _audit(
        actor=code.account,
        action="identity:oidc:business:attach",
        business=context.business,
        detail={"client": code.client.client_id, "code": code.pk},
    )
    return row
