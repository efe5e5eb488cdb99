"""Reads of the service catalogue and of applications. `access_application` is the one path by which a
person reaches an application; officers reach one through `application_for_review`, which records the read."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from digigov.blocks.consent.actions import access_record
from digigov.blocks.registries.queries import AccessContext
from digigov.blocks.services.models import Application, ApplicationStatus, FormField, LifeEvent, Service
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
        return Application.objects.select_related("service__agency").get(pk=application_id, account=account)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def applications_for_account(*, account: Any) -> QuerySet[Application]:
    return Application.objects.filter(account=account).select_related("service__agency").order_by("-created_at")


def application_for_review(*, officer: Any, application_id: Any, purpose: str) -> Application:
    """An application of the officer's agency, for case work. Reading its answers is a read of the
    applicant's personal data, so it is recorded in the applicant's "who accessed my data"."""
    if officer is None or not officer.is_authenticated or officer.kind != "officer":
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
