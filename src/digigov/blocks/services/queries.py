"""Reads of the service catalogue and of applications. `access_application` is the one path by which a
person reaches an application; officers reach one through `application_for_review`, which records the read."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from digigov.blocks.consent.actions import access_record
from digigov.blocks.identity.business_queries import business_context_by_id
from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.registries.queries import AccessContext
from digigov.blocks.services.eforms import eform_schema
from digigov.blocks.services.models import (
    DOCUMENT_CONTEXT,
    Application,
    ApplicationStatus,
    Document,
    FormField,
    LifeEvent,
    ScanStatus,
    Service,
)
from digigov.platform.crypto import decrypt_bytes, row_context
from digigov.platform.errors import NotFound


def life_event_list() -> QuerySet[LifeEvent]:
    return LifeEvent.objects.prefetch_related("services__agency")


def life_event_get(*, slug: str) -> LifeEvent:
    try:
        return LifeEvent.objects.get(slug=slug)
    except LifeEvent.DoesNotExist:
        raise NotFound() from None


def service_list(*, query: str = "", life_event: str = "", agency: str = "") -> QuerySet[Service]:
    services = Service.objects.filter(is_active=True).select_related("agency")
    if query := query.strip()[:100]:
        for word in query.split()[:8]:
            services = services.filter(
                Q(name__icontains=word)
                | Q(summary__icontains=word)
                | Q(agency__name__icontains=word)
                | Q(life_events__name__icontains=word)
            )
    if life_event:
        services = services.filter(life_events__slug=life_event)
    if agency:
        services = services.filter(agency__code=agency)
    return services.distinct().order_by("name")


def service_get(*, slug: str) -> Service:
    try:
        return Service.objects.select_related("agency").get(slug=slug, is_active=True)
    except Service.DoesNotExist:
        raise NotFound() from None


def service_for_scheme(*, scheme_key: str) -> Service | None:
    """The active service through which a citizen applies for a rules scheme, if any names it."""
    if not scheme_key:
        return None
    return Service.objects.select_related("agency").filter(scheme_key=scheme_key, is_active=True).first()


def service_fields(*, service: Service) -> list[FormField]:
    return list(service.fields.select_related("data_element__owner_agency"))


def prefill_request(*, service: Service) -> list[FormField]:
    """The fields a service would fill from verified records: what the consent screen lists."""
    return [f for f in service_fields(service=service) if f.data_element_id]


def access_application(*, account: Any, application_id: Any) -> Application:
    """The applicant's own application; anyone else gets the same NotFound as for a missing one."""
    if account is None or not account.is_authenticated or account.kind != "person":
        raise NotFound()
    try:
        application = Application.objects.select_related("service__agency").get(pk=application_id, account=account)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if application.business_id is not None:
        # A business's application is seen while the person may still act for the business in this service.
        context = business_context_by_id(account=account, business_id=application.business_id)
        if context is None or not context.allows(service_slug=application.service.slug, role="viewer"):
            raise NotFound()
    return application


def applications_for_account(*, account: Any) -> QuerySet[Application]:
    return Application.objects.filter(account=account).select_related("service__agency").order_by("-created_at")


def application_for_review(*, officer: Any, application_id: Any, purpose: str) -> Application:
    """An application of the officer's agency, for case work. Reading its answers is a read of the
    applicant's personal data, so it is recorded in the applicant's "who accessed my data". An agency's calling
    system reads as its officers do (the caller has checked its role)."""
    if officer is None or not officer.is_authenticated or officer.kind not in {"officer", "system"}:
        raise NotFound()
    try:
        application = Application.objects.select_related("service__agency").get(
            pk=application_id, service__agency_id=officer.agency_id
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if application.status == ApplicationStatus.DRAFT:
        raise NotFound()
    elements = sorted(
        f.data_element.key
        for f in application.service.fields.select_related("data_element")
        if f.data_element_id and f.key in application.answers
    )
    access_record(
        person_id=application.applicant_id,
        elements=elements or ["application.answers"],
        context=AccessContext(
            accessor=officer,
            agency=officer.agency,
            purpose=purpose,
            service_ref=f"service:{application.service.slug}",
            legal_basis=_("Your application %(reference)s") % {"reference": application.reference},
        ),
    )
    return application


@dataclass(frozen=True)
class AnswerView:
    field: FormField
    value: Any
    source: str  # verified / entered / ""
    agency_name: str
    verified_at: str

    @property
    def display(self) -> str:
        if self.value is None or self.value == "":
            return ""
        if self.field.field_type == "yesno":
            return _("Yes") if self.value == "yes" else _("No")
        if self.field.field_type == "choice":
            return next(
                (label for value, label in self.field.choices if str(value) == str(self.value)), str(self.value)
            )
        return str(self.value)


def application_answers(*, application: Application) -> list[AnswerView]:
    views = []
    for field in service_fields(service=application.service):
        answer = application.answers.get(field.key, {})
        views.append(
            AnswerView(
                field=field,
                value=answer.get("value"),
                source=answer.get("source", ""),
                agency_name=answer.get("agency_name", ""),
                verified_at=answer.get("verified_at", ""),
            )
        )
    return views


def application_get(*, application_id: Any) -> Application:
    """For the platform's own processing of an application (tasks, messages), not for display to a person."""
    try:
        return Application.objects.select_related("service__agency").get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def scheme_applicants(*, person_id_from: int, person_id_to: int) -> dict[str, list[int]]:
    """For each rules scheme a service names, the people with ids in [person_id_from, person_id_to] who have
    applied for such a service and are waiting for the decision or were approved (a proactive scan offers
    them nothing: they know of the scheme, or already receive it). Drafts and refusals do not count."""
    under_way_or_approved = [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.MORE_INFO,
        ApplicationStatus.APPROVED,
    ]
    # Inactive services count too: an approved application through a retired service is still being paid.
    rows = (
        Application.objects.filter(
            applicant_id__gte=person_id_from,
            applicant_id__lte=person_id_to,
            status__in=under_way_or_approved,
        )
        .exclude(service__scheme_key="")
        .values_list("service__scheme_key", "applicant_id")
        .distinct()
    )
    found: dict[str, list[int]] = {}
    for scheme_key, person_id in rows:
        found.setdefault(scheme_key, []).append(person_id)
    return found


# --- Calling systems (GovStack Registration, docs/govstack.md) ---

# Any officer role lets an agency's system see the agency's applications as an operator; without one it sees
# only the applications it submitted itself.
OPERATOR_ROLES = {"case_officer", "supervisor", "service_owner"}


def service_by_public_id(*, public_id: Any) -> Service:
    try:
        return Service.objects.select_related("agency").get(public_id=public_id, is_active=True)
    except (Service.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def eform_get(*, eform_id: Any) -> Service:
    """The service whose e-form this is (a service has one e-form, versioned)."""
    try:
        return Service.objects.select_related("agency").get(eform_id=eform_id, is_active=True)
    except (Service.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def eform_schema_get(*, service: Service) -> dict[str, Any]:
    return eform_schema(service=service, fields=service_fields(service=service))


def _files_visible_to(*, account: Any) -> QuerySet[Application]:
    if account is None or account.kind != "system":
        return Application.objects.none()
    visible = Q(submitted_by=account)
    if account.agency_id and officer_roles(account=account) & OPERATOR_ROLES:
        visible |= Q(service__agency_id=account.agency_id)
    return (
        Application.objects.filter(visible)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("service__agency")
    )


def application_file_list(
    *, account: Any, service: Service | None = None, person_id: int | None = None, order_by: Sequence[str] = ()
) -> QuerySet[Application]:
    """The submitted applications a calling system may see: its agency's, as an operator, and those it
    submitted. Listing reveals no answers; the caller records reads of applicants' identifiers."""
    files = _files_visible_to(account=account)
    if service is not None:
        files = files.filter(service=service)
    if person_id is not None:
        files = files.filter(applicant_id=person_id)
    return files.order_by(*order_by, "submitted_at", "id")


def access_application_file(*, account: Any, file_id: str) -> Application:
    """One application a calling system may see, by id or by reference; any other gets the same NotFound."""
    files = _files_visible_to(account=account)
    try:
        by_id = Q(pk=uuid.UUID(str(file_id)))
    except ValueError:
        by_id = Q(reference=str(file_id)[:30])
    application = files.filter(by_id).first()
    if application is None:
        raise NotFound()
    return application


def application_answered_elements(*, application: Application) -> list[str]:
    """The data elements whose values an application's answers disclose."""
    return sorted(
        f.data_element.key
        for f in application.service.fields.select_related("data_element")
        if f.data_element_id and f.key in application.answers
    )


def application_document_ids(*, application: Application) -> list[str]:
    return [str(pk) for pk in application.documents.order_by("uploaded_at", "id").values_list("pk", flat=True)]


def access_document(*, account: Any, document_id: Any) -> Document:
    """A clean document the calling system uploaded, or one attached to an application it may see; reading one
    another system uploaded about the applicant is recorded in their "who accessed my data"."""
    if account is None or account.kind != "system":
        raise NotFound()
    visible = Q(owner=account) | Q(application__in=_files_visible_to(account=account))
    try:
        document = (
            Document.objects.select_related("application__service")
            .filter(visible, scan_status=ScanStatus.CLEAN)
            .get(pk=document_id)
        )
    except (Document.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None
    application = document.application
    if application is not None and document.owner_id != account.pk:
        # Someone else's file about the applicant (a birth certificate, a payslip): a read of their data.
        access_record(
            person_id=application.applicant_id,
            elements=["application.documents"],
            context=AccessContext(
                accessor=account,
                agency=account.agency,
                purpose=_("Read a document of application %(reference)s") % {"reference": application.reference},
                service_ref=f"service:{application.service.slug}",
                legal_basis=_("Your application %(reference)s") % {"reference": application.reference},
            ),
        )
    return document


def document_content(*, document: Document) -> bytes:
    return decrypt_bytes(
        ciphertext=bytes(document.content_encrypted), context=row_context(context=DOCUMENT_CONTEXT, row_id=document.pk)
    )
