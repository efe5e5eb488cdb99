"""Every write to applications: start, pre-fill with consent, save a draft, submit, answer, decide, rate; and
calling systems' documents, submissions and updates (GovStack Registration)."""

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.consent.actions import access_record, consent_decide
from digigov.blocks.identity.business_queries import business_context_by_id
from digigov.blocks.identity.queries import account_for_person, officer_roles
from digigov.blocks.registries.queries import AccessContext, elements_get, person_attributes_get
from digigov.blocks.rules.eligibility import ELIGIBLE, eligibility_check
from digigov.blocks.services.backends import ScannerUnavailable, document_scanner
from digigov.blocks.services.documents import content_type_of
from digigov.blocks.services.errors import (
    AlreadyDecided,
    DocumentInfected,
    DocumentTooLarge,
    IdempotencyKeyReused,
    NotYetDecided,
    ScanUnavailable,
)
from digigov.blocks.services.events import (
    ApplicationDecided,
    ApplicationDecisionReversed,
    ApplicationInfoProvided,
    ApplicationInfoRequested,
    ApplicationSubmitted,
    ApplicationUpdated,
    ServiceRated,
)
from digigov.blocks.services.forms import answers_clean
from digigov.blocks.services.models import (
    DOCUMENT_CONTEXT,
    Application,
    ApplicationStatus,
    ApplicationStep,
    Document,
    FieldType,
    FormField,
    Rating,
    ReferenceCounter,
    ScanStatus,
    Service,
)
from digigov.platform import outbox
from digigov.platform.crypto import encrypt_bytes, row_context
from digigov.platform.errors import Conflict, NotPermitted, ValidationFailed

logger = logging.getLogger(__name__)
EDITABLE = {ApplicationStatus.DRAFT}
# Who may work on an agency's applications: its officers, and its calling systems (GovStack Registration
# operators), each with a deciding role.
OPERATOR_KINDS = {"officer", "system"}
DECIDING_ROLES = {"case_officer", "supervisor"}


def _actor_label(account: Any) -> str:
    if account is None:
        return _("DigiGov")
    if account.kind in OPERATOR_KINDS:
        return account.agency.name if account.agency_id else _("An officer")
    return _("You")


def _require_applicant(*, account: Any, application: Application) -> None:
    if account.kind != "person" or application.account_id != account.pk:
        raise NotPermitted()
    if application.business_id is not None:
        # Acting for a business lasts only while the person still may: taking access back stops the next step.
        context = business_context_by_id(account=account, business_id=application.business_id)
        if context is None or not context.allows(service_slug=application.service.slug, role="applicant"):
            raise NotPermitted(_("You may no longer apply for this business in this service."))


def _form_fields(*, service: Service) -> list[FormField]:
    """The e-form's fields, loaded once per action (pre-fill, validation and submission all need them)."""
    return list(service.fields.select_related("data_element"))


def _reference_next(*, service: Service) -> str:
    """Human-friendly reference: AGENCY-YEAR-NNNNNN, counted per agency and year. One UPDATE ... RETURNING
    increments and reads the counter under the row lock (SQLite 3.35+ and PostgreSQL both support it)."""
    prefix = f"{service.agency.code}-{timezone.localdate().year}"
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE prefix = %s RETURNING last", [prefix])  # noqa: S608
        row = cursor.fetchone()
    if row is None:  # the first reference of this agency and year
        counter, created = ReferenceCounter.objects.get_or_create(prefix=prefix, defaults={"last": 1})
        return f"{prefix}-{1:06d}" if created else _reference_next(service=service)
    return f"{prefix}-{row[0]:06d}"


def _transaction_facts(*, application: Application) -> dict[str, Any]:
    """The fields of events.TransactionFacts for an application."""
    service = application.service
    return {
        "application_id": str(application.pk),
        "reference": application.reference,
        "person_id": application.applicant_id,
        "service_slug": service.slug,
        "service_name": service.name,
        "agency_code": service.agency.code,
        "audience": service.audience,
        "channel": application.channel,
        "prefilled": application.is_prefilled,
        "submitted_at": application.submitted_at.isoformat(),
    }


def _step(*, application: Application, actor: Any, note: str = "") -> None:
    ApplicationStep.objects.create(
        application=application, status=application.status, actor_label=_actor_label(actor), note=note
    )


@transaction.atomic
def application_start(*, account: Any, service: Service, business_id: int | None = None) -> Application:
    """Open (or resume) the person's draft application for a service, for themselves or, with `business_id`,
    for a business they may apply for in this service (identity's business access)."""
    if account.kind != "person" or account.person_id is None:
        raise NotPermitted(_("Only a person can apply for this service."))
    if not service.is_active:
        raise Conflict(_("This service is not taking applications."))
    if business_id is not None:
        context = business_context_by_id(account=account, business_id=business_id)
        if context is None or not context.allows(service_slug=service.slug, role="applicant"):
            raise NotPermitted(_("You may not apply for this business in this service."))
    draft = Application.objects.filter(
        account=account, service=service, business_id=business_id, status=ApplicationStatus.DRAFT
    ).first()
    if draft:
        return draft
    application = Application.objects.create(
        service=service, applicant_id=account.person_id, account=account, business_id=business_id
    )
    _step(application=application, actor=account)
    entry_record(
        actor=account,
        action="services:application:start",
        object_type="application",
        object_id=application.pk,
        detail={"business_id": business_id} if business_id is not None else None,
    )
    return application


def _prefill(*, account: Any, application: Application, granted: bool, fields: list[FormField]) -> None:
    service = application.service
    elements = [f.data_element.key for f in fields if f.data_element_id]
    grant = consent_decide(
        account=account,
        requester_agency=service.agency,
        purpose_ref=f"service:{service.slug}",
        purpose=service.purpose,
        elements=elements,
        granted=granted,
    )
    application.prefill_decision = grant.decision
    application.consent_grant_id = grant.pk
    if not granted or not elements:
        return
    values = person_attributes_get(
        person_id=account.person_id,
        elements=elements,
        access=AccessContext(
            accessor=None,
            agency=service.agency,
            purpose=service.purpose,
            service_ref=f"service:{service.slug}",
            legal_basis=_("Your consent"),
            consent_grant_id=grant.pk,
        ),
    )
    answers = dict(application.answers)
    for field in fields:
        if not field.data_element_id:
            continue
        verified = values[field.data_element.key]
        if verified.value is None:
            continue  # nothing on record: the person answers this one themselves
        answers[field.key] = {
            "value": verified.value,
            "source": "verified",
            "agency": verified.agency_code,
            "agency_name": verified.agency_name,
            "verified_at": verified.verified_at.isoformat(),
        }
    application.answers = answers


@transaction.atomic
def application_prefill_decide(*, account: Any, application: Application, granted: bool) -> Application:
    """Record the person's consent decision; on consent, fill the form with verified values."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_applicant(account=account, application=application)
    if application.status not in EDITABLE:
        raise Conflict(_("This application has already been submitted."))
    fields = _form_fields(service=application.service)
    _prefill(account=account, application=application, granted=granted, fields=fields)
    # A first answer for the form page; it is checked again, with the final answers, on submission.
    application.eligibility = _eligibility(application=application, fields=fields)
    application.save(update_fields=["answers", "prefill_decision", "consent_grant_id", "eligibility", "updated_at"])
    entry_record(
        actor=account,
        action="services:application:prefill",
        object_type="application",
        object_id=application.pk,
        detail={"decision": application.prefill_decision},
    )
    return application


def _eligibility(*, application: Application, fields: list[FormField]) -> dict[str, Any]:
    """The service's scheme checked on verified registry data as of today (the application date), with the
    citizen's own answers only for what no registry holds. `auto_decide` says whether the platform may approve
    it without an officer: the service allows it, the scheme finds the applicant eligible on verified data
    alone, and every registry-backed answer in the form came from the registries (the pre-fill was consented
    to and nothing was typed over it)."""
    service = application.service
    if not service.scheme_key:
        return {}
    result = eligibility_check(
        scheme_key=service.scheme_key,
        person_id=application.applicant_id,
        as_of=timezone.localdate(),
        answers=application.answers,
        access=AccessContext(
            accessor=None,
            agency=service.agency,
            purpose=_("Check whether you qualify for %(scheme)s") % {"scheme": service.name},
            service_ref=f"service:{service.slug}",
            legal_basis=_("Your application for %(service)s") % {"service": service.name},
        ),
    )
    all_verified = application.prefill_decision == "granted" and all(
        application.answers.get(f.key, {}).get("source") == "verified" for f in fields if f.data_element_id
    )
    auto = service.auto_decide and result.outcome == ELIGIBLE and result.verified_only and all_verified
    return {**result.as_dict(), "auto_decide": auto}


def _verified_answers(application: Application) -> dict[str, dict]:
    return {k: v for k, v in application.answers.items() if v.get("source") == "verified"}


def application_draft_save(*, account: Any, application: Application, answers: Mapping[str, Any]) -> Application:
    """Save whatever the person has answered so far. Well-formed answers are kept even when others are not;
    the malformed ones are then reported as ValidationFailed, after the save has committed."""
    application, errors = _draft_write(account=account, application=application, answers=answers)
    if errors:
        raise ValidationFailed(fields=errors)
    return application


@transaction.atomic
def _draft_write(
    *, account: Any, application: Application, answers: Mapping[str, Any]
) -> tuple[Application, dict[str, str]]:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_applicant(account=account, application=application)
    if application.status not in EDITABLE:
        raise Conflict(_("This application has already been submitted."))
    cleaned, errors = answers_clean(
        fields=_form_fields(service=application.service),
        answers=answers,
        verified=_verified_answers(application),
        complete=False,
    )
    application.answers = cleaned
    application.save(update_fields=["answers", "updated_at"])
    entry_record(actor=account, action="services:application:save", object_type="application", object_id=application.pk)
    return application, errors


def _submit(
    *,
    account: Any,
    application: Application,
    answers: Mapping[str, Any],
    idempotency_key: str | None,
    fields: list[FormField],
) -> None:
    service = application.service
    cleaned, errors = answers_clean(
        fields=fields, answers=answers, verified=_verified_answers(application), complete=True
    )
    if errors:
        raise ValidationFailed(fields=errors)
    if account.kind == "system":
        # A calling system's answers are its agency's, not the applicant's own words: say so wherever shown.
        for key, answer in cleaned.items():
            if answer.get("source") == "entered":
                cleaned[key] = {**answer, "source": "agency", "agency": account.agency.code,
                                "agency_name": account.agency.name}
    now = timezone.now()
    application.answers = cleaned
    application.eligibility = _eligibility(application=application, fields=fields)
    application.status = ApplicationStatus.SUBMITTED
    application.reference = _reference_next(service=service)
    application.submitted_at = now
    application.idempotency_key = idempotency_key
    application.save()
    _step(application=application, actor=account)
    detail = {"reference": application.reference}
    if application.eligibility:
        detail |= {
            "scheme": application.eligibility["scheme_key"],
            "eligibility": application.eligibility["outcome"],
            "rules_version": application.eligibility["rules_version"],
        }
    entry_record(
        actor=account,
        action="services:application:submit",
        object_type="application",
        object_id=application.pk,
        detail=detail,
    )
    outbox.publish(ApplicationSubmitted(**_transaction_facts(application=application)))


def _replayed(*, account: Any, idempotency_key: str | None, service: Service) -> Application | None:
    if not idempotency_key:
        return None
    if connection.vendor == "postgresql":
        # Concurrent retries with one key queue here until the first commits, then replay its application
        # instead of failing on the unique key.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [idempotency_key])
    existing = Application.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.account_id != account.pk or existing.service_id != service.pk:
        raise IdempotencyKeyReused()
    return existing


@transaction.atomic
def application_submit(
    *, account: Any, application: Application, answers: Mapping[str, Any], idempotency_key: str | None = None
) -> Application:
    """Submit a draft. Submitting again (a double click, a retried request) returns the same application."""
    if existing := _replayed(account=account, idempotency_key=idempotency_key, service=application.service):
        return existing
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    _require_applicant(account=account, application=application)
    if application.status != ApplicationStatus.DRAFT:
        return application
    _submit(
        account=account,
        application=application,
        answers=answers,
        idempotency_key=idempotency_key,
        fields=_form_fields(service=application.service),
    )
    return application


@transaction.atomic
def application_apply(
    *, account: Any, service: Service, answers: Mapping[str, Any], consent_to_prefill: bool, idempotency_key: str
) -> tuple[Application, bool]:
    """Start, pre-fill and submit in one step (the API's way to apply). Returns (application, created)."""
    if existing := _replayed(account=account, idempotency_key=idempotency_key, service=service):
        return existing, False
    if account.kind != "person" or account.person_id is None:
        raise NotPermitted(_("Only a person can apply for this service."))
    if not service.is_active:
        raise Conflict(_("This service is not taking applications."))
    application = Application(service=service, applicant_id=account.person_id, account=account)
    fields = _form_fields(service=service)
    _prefill(account=account, application=application, granted=consent_to_prefill, fields=fields)
    _submit(account=account, application=application, answers=answers, idempotency_key=idempotency_key, fields=fields)
    return application, True


@transaction.atomic
def application_respond(*, account: Any, application: Application, response: str) -> Application:
    """The applicant answers an officer's request for more information."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    _require_applicant(account=account, application=application)
    if application.status != ApplicationStatus.MORE_INFO:
        raise Conflict(_("No information has been asked for."))
    response = (response or "").strip()
    if not response:
        raise ValidationFailed(fields={"response": _("Enter your answer")})
    if len(response) > 4000:
        raise ValidationFailed(fields={"response": _("Must be 4000 characters or fewer")})
    application.status = ApplicationStatus.IN_REVIEW
    application.save(update_fields=["status", "updated_at"])
    _step(application=application, actor=account, note=response)
    entry_record(
        actor=account, action="services:application:respond", object_type="application", object_id=application.pk
    )
    outbox.publish(
        ApplicationInfoProvided(
            application_id=str(application.pk),
            reference=application.reference,
            agency_code=application.service.agency.code,
        )
    )
    return application


@transaction.atomic
def application_review_start(*, officer: Any, application: Application) -> Application:
    """An officer has picked the application up."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == ApplicationStatus.SUBMITTED:
        application.status = ApplicationStatus.IN_REVIEW
        application.save(update_fields=["status", "updated_at"])
        _step(application=application, actor=officer)
    return application


@transaction.atomic
def application_decide(*, officer: Any, application: Application, outcome: str, reason: str) -> Application:
    """Record an officer's decision: approved, rejected (with a reason the applicant sees) or more_info."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    service = application.service
    if officer.kind not in OPERATOR_KINDS or officer.agency_id != service.agency_id:
        raise NotPermitted()
    if application.is_decided:
        raise AlreadyDecided()
    if application.status == ApplicationStatus.DRAFT:
        raise Conflict(_("This application has not been submitted."))
    reason = (reason or "").strip()
    if outcome in {ApplicationStatus.REJECTED, ApplicationStatus.MORE_INFO} and not reason:
        field = "reason" if outcome == ApplicationStatus.REJECTED else "question"
        raise ValidationFailed(fields={field: _("Explain this to the applicant")})
    now = timezone.now()
    if outcome == ApplicationStatus.MORE_INFO:
        application.status = ApplicationStatus.MORE_INFO
        application.info_request = reason
        application.save(update_fields=["status", "info_request", "updated_at"])
        _step(application=application, actor=officer, note=reason)
        outbox.publish(
            ApplicationInfoRequested(
                application_id=str(application.pk),
                reference=application.reference,
                person_id=application.applicant_id,
                service_name=service.name,
                agency_code=service.agency.code,
                question=reason,
            )
        )
    elif outcome in {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}:
        application.status = outcome
        application.decision_reason = reason
        application.decided_at = now
        application.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
        _step(application=application, actor=officer, note=reason)
        outbox.publish(
            ApplicationDecided(
                **_transaction_facts(application=application), outcome=outcome, reason=reason,
                decided_at=now.isoformat(),
            )
        )
    else:
        raise ValidationFailed(fields={"outcome": _("Choose a decision")})
    entry_record(
        actor=officer, action=f"services:application:{outcome}", object_type="application", object_id=application.pk
    )
    return application


@transaction.atomic
def application_decide_automatically(*, application: Application, rules_version: str) -> Application:
    """Approve an application the rules found eligible on verified data alone, with no officer involved
    (called by workflow, which records the decision). The applicant hears of it as of any approval."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    if application.is_decided:
        raise AlreadyDecided()
    if not application.eligibility.get("auto_decide"):
        raise Conflict(_("This application cannot be decided automatically."))
    now = timezone.now()
    reason = _("You qualify on your verified records (rules version %(version)s).") % {"version": rules_version}
    application.status = ApplicationStatus.APPROVED
    application.decision_reason = reason
    application.decided_at = now
    application.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
    _step(application=application, actor=None, note=reason)
    entry_record(
        actor=None,
        action="services:application:approved",
        object_type="application",
        object_id=application.pk,
        detail={"automatic": True, "rules_version": rules_version},
    )
    outbox.publish(
        ApplicationDecided(
            **_transaction_facts(application=application), outcome=ApplicationStatus.APPROVED, reason=reason,
            decided_at=now.isoformat(),
        )
    )
    return application


@transaction.atomic
def application_decision_reverse(*, officer: Any, application: Application, reason: str) -> Application:
    """An officer reverses an automatic approval on review: the application is not approved, for the reason
    given, which the applicant sees. Workflow checks the officer may; this checks the application's state."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    if officer.kind not in OPERATOR_KINDS or officer.agency_id != application.service.agency_id:
        raise NotPermitted()
    if application.status != ApplicationStatus.APPROVED:
        raise Conflict(_("Only an approved application can have its approval reversed."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Explain this to the applicant")})
    now = timezone.now()
    application.status = ApplicationStatus.REJECTED
    application.decision_reason = reason
    application.decided_at = now
    application.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
    _step(application=application, actor=officer, note=reason)
    entry_record(
        actor=officer,
        action="services:application:reverse",
        object_type="application",
        object_id=application.pk,
        detail={"reason": reason},
    )
    outbox.publish(
        ApplicationDecisionReversed(
            **_transaction_facts(application=application), outcome=ApplicationStatus.REJECTED, reason=reason,
            reversed_at=now.isoformat(),
        )
    )
    return application


@transaction.atomic
def application_rate(*, account: Any, application: Application, score: int, comment: str = "") -> Rating:
    """Satisfaction on the 6-point scale, once per application, after it is decided."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    _require_applicant(account=account, application=application)
    if not application.is_decided:
        raise NotYetDecided()
    if not isinstance(score, int) or not 1 <= score <= 6:
        raise ValidationFailed(fields={"score": _("Choose a score from 1 to 6")})
    if Rating.objects.filter(application=application).exists():
        raise Conflict(_("You have already rated this service. Thank you."))
    rating = Rating.objects.create(application=application, score=score, comment=(comment or "").strip()[:2000])
    entry_record(actor=account, action="services:application:rate", object_type="application", object_id=application.pk)
    outbox.publish(
        ServiceRated(
            application_id=str(application.pk),
            service_slug=application.service.slug,
            agency_code=application.service.agency.code,
            audience=application.service.audience,
            score=score,
            rated_at=rating.rated_at.isoformat(),
        )
    )
    return rating


# --- Calling systems (GovStack Registration, docs/govstack.md): documents, applications submitted on an
# applicant's behalf, operators' updates, and the catalogue entries a fixture loads. ---


def _document_refuse(*, owner: Any, filename: str, content: bytes, scanner: str, threat: str) -> None:
    """Keep the record of an infected upload (never its bytes), committed before the caller hears of it."""
    with transaction.atomic():
        document = Document.objects.create(
            owner=owner, filename=filename, content_type=content_type_of(content), size=len(content),
            sha256=hashlib.sha256(content).hexdigest(), scan_status=ScanStatus.INFECTED,
            scanner=scanner,
        )
        entry_record(
            actor=owner, action="services:document:refuse", object_type="document", object_id=document.pk,
            detail={"sha256": document.sha256, "threat": threat, "scanner": scanner},
        )


def document_too_large_message() -> str:
    return _("The file must be smaller than %(size)s KB") % {"size": settings.DIGIGOV_UPLOAD_MAX_SIZE // 1024}


def document_upload(*, owner: Any, filename: str, content: bytes) -> Document:
    """Keep an uploaded file for an application that is yet to name it. The file is checked for size, for
    viruses and for its type, in that order (an infected file is recorded as refused whatever its type), and
    the scan, a possible network call, runs before any transaction opens."""
    filename = Path(str(filename or "")).name.strip()[:255] or "document"
    if not content:
        raise ValidationFailed(fields={"file": _("The file is empty")})
    if len(content) > settings.DIGIGOV_UPLOAD_MAX_SIZE:
        raise DocumentTooLarge(fields={"file": document_too_large_message()})
    scanner = document_scanner()
    try:
        result = scanner.scan(content=content)
    except ScannerUnavailable:
        logger.exception("virus scanner unavailable")  # the operator must see it; the sender gets a clear retry
        raise ScanUnavailable() from None
    if not result.clean:
        _document_refuse(owner=owner, filename=filename, content=content, scanner=scanner.name, threat=result.threat)
        raise DocumentInfected(fields={"file": str(DocumentInfected.default_message)})
    content_type = content_type_of(content)
    if content_type not in settings.DIGIGOV_UPLOAD_ALLOWED_TYPES:
        raise ValidationFailed(fields={"file": _("The file must be a PDF, PNG or JPEG")})
    document_id = uuid.uuid4()
    # The bytes live in the row, encrypted and bound to it: committed with it, in every backup, rotated with
    # the other keys, and unreadable in a copied database.
    sealed = encrypt_bytes(plaintext=content, context=row_context(context=DOCUMENT_CONTEXT, row_id=document_id))
    with transaction.atomic():
        document = Document.objects.create(
            id=document_id, owner=owner, filename=filename, content_type=content_type, size=len(content),
            sha256=hashlib.sha256(content).hexdigest(), content_encrypted=sealed, scan_status=ScanStatus.CLEAN,
            scanner=scanner.name,
        )
        entry_record(
            actor=owner, action="services:document:upload", object_type="document", object_id=document.pk,
            detail={"sha256": document.sha256, "size": document.size, "content_type": content_type},
        )
    return document


def _documents_attach(*, owner: Any, application: Application, document_ids: Sequence[uuid.UUID]) -> list[str]:
    """Attach the caller's own clean, not yet attached uploads to the application; returns their ids."""
    wanted = set(document_ids)
    if not wanted:
        return []
    documents = list(
        Document.objects.select_for_update().filter(
            pk__in=wanted, owner=owner, application__isnull=True, scan_status=ScanStatus.CLEAN
        )
    )
    if len(documents) != len(wanted):
        raise ValidationFailed(
            fields={"documentUrls": _("Name only documents you uploaded that are not yet part of an application")}
        )
    now = timezone.now()
    for document in documents:
        document.application = application
        document.attached_at = now
    Document.objects.bulk_update(documents, ["application", "attached_at"])
    return sorted(str(d.pk) for d in documents)


def _require_operator(*, actor: Any, service: Service) -> None:
    if (
        actor is None
        or actor.kind not in OPERATOR_KINDS
        or actor.agency_id != service.agency_id
        or not officer_roles(account=actor) & DECIDING_ROLES
    ):
        raise NotPermitted()


@transaction.atomic
def application_submit_for(
    *,
    submitter: Any,
    service: Service,
    person_id: int,
    answers: Mapping[str, Any],
    document_ids: Sequence[uuid.UUID],
    access: AccessContext,
    idempotency_key: str | None = None,
    application_id: uuid.UUID | None = None,
) -> tuple[Application, bool]:
    """A calling system (kind "system") submits an application for a person it has identified. No consent can
    be given for the person here, so nothing is pre-filled: every answer is the system's, and the application
    is never decided automatically. `access` states the legal basis on which the system identified the person;
    it is recorded in their "who accessed my data". The application belongs to the person's own account when
    they have one (they follow it, answer questions and rate it in the portal), otherwise to the system's.
    Only systems of the service's agency or of an agency it accepts submissions from may submit.
    Returns (application, created); a repeated idempotency key returns the first application."""
    if submitter is None or submitter.kind != "system":
        raise NotPermitted()
    if submitter.agency_id != service.agency_id and submitter.agency.code not in service.accepts_submissions_from:
        # Applying in someone's name reads their registry data and fills an agency's queue: only the service's own
        # agency, and the agencies it names, may do it.
        raise NotPermitted(_("This system may not apply for %(service)s.") % {"service": service.name})
    account = account_for_person(person_id=person_id) or submitter
    key = f"system:{submitter.pk}:{idempotency_key}" if idempotency_key else None
    if existing := _replayed(account=account, idempotency_key=key, service=service):
        return existing, False
    if application_id is not None and Application.objects.filter(pk=application_id).exists():
        raise Conflict(_("An application with this id already exists."))
    if not service.is_active:
        raise Conflict(_("This service is not taking applications."))
    access_record(person_id=person_id, elements=["person.national_id"], context=access)
    application = Application(service=service, applicant_id=person_id, account=account, submitted_by=submitter)
    if application_id is not None:
        application.id = application_id
    _submit(
        account=submitter, application=application, answers=answers, idempotency_key=key,
        fields=_form_fields(service=service),
    )
    _documents_attach(owner=submitter, application=application, document_ids=document_ids)
    return application, True


@transaction.atomic
def application_file_update(
    *, operator: Any, application: Application, answers: Mapping[str, Any], document_ids: Sequence[uuid.UUID]
) -> Application:
    """An operator of the service's agency (an officer or a calling system with a deciding role) changes or adds
    answers of a submitted, undecided application and attaches documents it uploaded. Verified answers stay as
    the registries gave them; the changed ones are marked as the agency's, and the applicant sees the change on
    the timeline."""
    application = Application.objects.select_for_update().select_related("service__agency").get(pk=application.pk)
    service = application.service
    _require_operator(actor=operator, service=service)
    if application.is_decided:
        raise AlreadyDecided()
    if application.status == ApplicationStatus.DRAFT:
        raise Conflict(_("This application has not been submitted."))
    verified = _verified_answers(application)
    current = {key: answer.get("value") for key, answer in application.answers.items() if key not in verified}
    cleaned, errors = answers_clean(
        fields=_form_fields(service=service), answers={**current, **answers}, verified=verified, complete=True
    )
    if errors:
        raise ValidationFailed(fields=errors)
    changed = sorted(
        key for key, answer in cleaned.items()
        if key not in verified and application.answers.get(key, {}).get("value") != answer["value"]
    )
    for key in changed:
        cleaned[key] = {**cleaned[key], "source": "agency", "agency": service.agency.code,
                        "agency_name": service.agency.name}
    for key, answer in application.answers.items():  # unchanged answers keep who gave them
        if key in cleaned and key not in changed:
            cleaned[key] = answer
    documents = _documents_attach(owner=operator, application=application, document_ids=document_ids)
    if not changed and not documents:
        return application
    application.answers = cleaned
    application.save(update_fields=["answers", "updated_at"])
    _step(application=application, actor=operator, note=_("The agency updated your application."))
    entry_record(
        actor=operator, action="services:application:update", object_type="application", object_id=application.pk,
        detail={"fields": changed, "documents": documents},
    )
    outbox.publish(
        ApplicationUpdated(
            application_id=str(application.pk), reference=application.reference,
            agency_code=service.agency.code, fields=changed,
        )
    )
    return application


@transaction.atomic
def service_save(*, actor: Any, public_id: uuid.UUID | None, slug: str, values: Mapping[str, Any]) -> Service:
    """Create a service, or update the one with this public id (else this slug): for systems and fixtures that
    set up a catalogue with known ids. `values` holds Service fields (name, summary, agency, sla_days, ...)."""
    allowed = {"name", "summary", "agency", "sla_days", "purpose", "fee_cents", "audience", "is_active"}
    if unknown := set(values) - allowed:
        raise ValidationFailed(fields={key: _("Unknown service field") for key in sorted(unknown)})
    service = (Service.objects.filter(public_id=public_id).first() if public_id else None) or (
        Service.objects.filter(slug=slug).first()
    )
    created = service is None
    if created:
        service = Service(slug=slug, **({"public_id": public_id} if public_id else {}))
    for name, value in values.items():
        setattr(service, name, value)
    try:
        service.full_clean(exclude=["life_events"])
    except DjangoValidationError as exc:
        raise ValidationFailed(fields={k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    service.save()
    entry_record(
        actor=actor, action="services:service:create" if created else "services:service:update",
        object_type="service", object_id=service.pk, detail={"slug": service.slug},
    )
    return service


def _field_spec(field: FormField) -> tuple:
    return (field.key, field.label, field.hint, field.field_type, field.data_element_id, field.required,
            [list(map(str, c)) for c in field.choices])


@transaction.atomic
def eform_save(
    *, actor: Any, service: Service, fields: Sequence[Mapping[str, Any]], eform_id: uuid.UUID | None = None
) -> Service:
    """Replace a service's e-form with these questions (dicts of key, label, field_type, and optionally hint,
    required, choices and data_element, a data element key). The e-form's version goes up when it changes;
    `eform_id` gives the e-form a known id (fixtures for integrators)."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    if eform_id is not None and eform_id != service.eform_id:
        if Service.objects.filter(eform_id=eform_id).exists():
            raise Conflict(_("Another service's e-form has this id."))
        service.eform_id = eform_id
        service.save(update_fields=["eform_id"])
    element_keys = sorted({f["data_element"] for f in fields if f.get("data_element")})
    elements = elements_get(keys=element_keys)
    built, errors = [], {}
    for order, spec in enumerate(fields, start=1):
        key = str(spec.get("key", ""))
        element = spec.get("data_element")
        field = FormField(
            service=service, key=key, label=str(spec.get("label", "")), hint=str(spec.get("hint", "")),
            field_type=str(spec.get("field_type", "")), required=bool(spec.get("required", True)),
            choices=spec.get("choices", []), order=order,
            data_element=elements.get(element) if element else None,
        )
        if element and element not in elements:
            errors[f"{key}.data_element"] = _("Unknown data element")
        choices = field.choices
        if not isinstance(choices, list) or not all(isinstance(c, list) and len(c) == 2 for c in choices):
            errors[f"{key}.choices"] = _("Give each choice as a [value, label] pair")
        elif field.field_type == FieldType.CHOICE and not choices:
            errors[f"{key}.choices"] = _("A choice question needs its choices")
        try:
            field.full_clean(exclude=["service", "data_element"], validate_unique=False)
        except DjangoValidationError as exc:
            errors |= {f"{key}.{name}": " ".join(messages) for name, messages in exc.message_dict.items()}
        built.append(field)
    if len({f.key for f in built}) != len(built):
        errors["fields"] = _("Each question needs its own key")
    if errors:
        raise ValidationFailed(fields=errors)
    before = [_field_spec(f) for f in service.fields.all()]
    if before == [_field_spec(f) for f in built]:
        return service
    service.fields.all().delete()
    FormField.objects.bulk_create(built)
    if before:  # the first questions of a new service are its version 1
        service.eform_version += 1
        service.save(update_fields=["eform_version"])
    entry_record(
        actor=actor, action="services:eform:save", object_type="service", object_id=service.pk,
        detail={"eform_id": str(service.eform_id), "version": service.eform_version},
    )
    return service
