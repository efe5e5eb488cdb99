"""Every write to applications: start, pre-fill with consent, save a draft, submit, answer, decide, rate."""

from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.consent.actions import consent_decide
from digigov.blocks.registries.queries import AccessContext, person_attributes_get
from digigov.blocks.rules.eligibility import ELIGIBLE, eligibility_check
from digigov.blocks.services.errors import AlreadyDecided, IdempotencyKeyReused, NotYetDecided
from digigov.blocks.services.events import (
    ApplicationDecided,
    ApplicationDecisionReversed,
    ApplicationInfoProvided,
    ApplicationInfoRequested,
    ApplicationSubmitted,
    ServiceRated,
)
from digigov.blocks.services.forms import answers_clean
from digigov.blocks.services.models import (
    Application,
    ApplicationStatus,
    ApplicationStep,
    FormField,
    Rating,
    ReferenceCounter,
    Service,
)
from digigov.platform import outbox
from digigov.platform.errors import Conflict, NotPermitted, ValidationFailed

EDITABLE = {ApplicationStatus.DRAFT}


def _actor_label(account: Any) -> str:
    if account is None:
        return _("DigiGov")
    if account.kind == "officer":
        return account.agency.name if account.agency_id else _("An officer")
    return _("You")


def _require_applicant(*, account: Any, application: Application) -> None:
    if account.kind != "person" or application.account_id != account.pk:
        raise NotPermitted()


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
def application_start(*, account: Any, service: Service) -> Application:
    """Open (or resume) the person's draft application for a service."""
    if account.kind != "person" or account.person_id is None:
        raise NotPermitted(_("Only a person can apply for this service."))
    if not service.is_active:
        raise Conflict(_("This service is not taking applications."))
    draft = Application.objects.filter(account=account, service=service, status=ApplicationStatus.DRAFT).first()
    if draft:
        return draft
    application = Application.objects.create(service=service, applicant_id=account.person_id, account=account)
    _step(application=application, actor=account)
    entry_record(
        actor=account, action="services:application:start", object_type="application", object_id=application.pk
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
    if officer.kind != "officer" or officer.agency_id != service.agency_id:
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
    if officer.kind != "officer" or officer.agency_id != application.service.agency_id:
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
