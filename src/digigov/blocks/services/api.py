import uuid

from django.http import HttpRequest
from ninja import Header, Router, Status

from digigov.blocks.identity.api_auth import person_of
from digigov.blocks.services import actions, queries
from digigov.blocks.services.schemas import (
    AgencyOut,
    ApplicationOut,
    ApplicationReceiptOut,
    ApplyIn,
    FormFieldOut,
    LifeEventOut,
    RatingIn,
    RatingOut,
    ResponseIn,
    ServiceDetailOut,
    ServiceOut,
)

router = Router(tags=["services"])


def _service_out(service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "summary": service.summary,
        "agency": AgencyOut(code=service.agency.code, name=service.agency.name),
        "fee_cents": service.fee_cents,
        "sla_days": service.sla_days,
        "audience": service.audience,
        "offers_e_payment": service.offers_e_payment,
        "offers_e_signature": service.offers_e_signature,
        "scheme_key": service.scheme_key,
        "auto_decide": service.auto_decide,
    }


def _application_out(application) -> dict:
    return {
        "id": application.pk,
        "reference": application.reference,
        "service": application.service.slug,
        "agency": application.service.agency.code,
        "status": application.status,
        "answers": {
            key: {
                "value": a.get("value"),
                "source": a.get("source", "entered"),
                "agency": a.get("agency"),
                "verified_at": a.get("verified_at"),
            }
            for key, a in application.answers.items()
        },
        "prefilled": application.is_prefilled,
        "info_request": application.info_request,
        "decision_reason": application.decision_reason,
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "timeline": [
            {"status": s.status, "at": s.at, "actor": s.actor_label, "note": s.note} for s in application.steps.all()
        ],
        "eligibility": application.eligibility or None,
    }


@router.get("/life-events", response=list[LifeEventOut], auth=None, summary="Life events and their services")
def life_events(request: HttpRequest):
    return [
        {"slug": e.slug, "name": e.name, "summary": e.summary, "services": [s.slug for s in e.services.all()]}
        for e in queries.life_event_list()
    ]


@router.get("/services", response=list[ServiceOut], auth=None, summary="Search the service catalogue")
def services(request: HttpRequest, q: str = "", life_event: str = "", agency: str = ""):
    return [_service_out(s) for s in queries.service_list(query=q, life_event=life_event, agency=agency)]


@router.get("/services/{slug}", response=ServiceDetailOut, auth=None, summary="A service and its e-form")
def service(request: HttpRequest, slug: str):
    found = queries.service_get(slug=slug)
    fields = [
        FormFieldOut(
            key=f.key,
            label=f.label,
            hint=f.hint,
            field_type=f.field_type,
            required=f.required,
            choices=[[str(v), str(label)] for v, label in f.choices],
            data_element=f.data_element.key if f.data_element_id else None,
        )
        for f in queries.service_fields(service=found)
    ]
    return {**_service_out(found), "purpose": found.purpose, "fields": fields}


@router.post(
    "/services/{slug}/applications",
    response={200: ApplicationReceiptOut, 201: ApplicationReceiptOut},
    summary="Apply: pre-fill with consent, validate and submit in one step",
    description="Idempotent: a retried request with the same Idempotency-Key returns the first application (200).",
)
def apply(
    request: HttpRequest, slug: str, body: ApplyIn, idempotency_key: str = Header(..., min_length=8, max_length=100)
):
    application, created = actions.application_apply(
        account=person_of(request),
        service=queries.service_get(slug=slug),
        answers=body.answers,
        consent_to_prefill=body.consent_to_prefill,
        idempotency_key=idempotency_key,
    )
    receipt = {
        "id": application.pk,
        "reference": application.reference,
        "service": slug,
        "status": application.status,
        "prefilled": application.is_prefilled,
        "submitted_at": application.submitted_at,
        "url": f"/api/applications/{application.pk}",
    }
    return Status(201 if created else 200, receipt)


@router.get("/applications", response=list[ApplicationOut], summary="My applications")
def my_applications(request: HttpRequest):
    return [
        _application_out(a)
        for a in queries.applications_for_account(account=person_of(request)).prefetch_related("steps")
    ]


@router.get("/applications/{application_id}", response=ApplicationOut, summary="One of my applications")
def my_application(request: HttpRequest, application_id: uuid.UUID):
    return _application_out(queries.access_application(account=request.auth, application_id=application_id))


@router.post(
    "/applications/{application_id}/response", response=ApplicationOut, summary="Answer a request for information"
)
def respond(request: HttpRequest, application_id: uuid.UUID, body: ResponseIn):
    application = queries.access_application(account=request.auth, application_id=application_id)
    return _application_out(
        actions.application_respond(account=request.auth, application=application, response=body.response)
    )


@router.post("/applications/{application_id}/rating", response={201: RatingOut}, summary="Rate the service (1–6)")
def rate(request: HttpRequest, application_id: uuid.UUID, body: RatingIn):
    application = queries.access_application(account=request.auth, application_id=application_id)
    rating = actions.application_rate(
        account=request.auth, application=application, score=body.score, comment=body.comment
    )
    return Status(201, rating)
