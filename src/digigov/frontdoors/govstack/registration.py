"""GovStack Registration building block (API 0.1.1 and statistics 1.0.0, docs/govstack.md) over DigiGov's
services and workflow blocks: services and their e-forms, documents, applications submitted by calling
systems for applicants, operators' tasks and updates, and statistics. Nothing here keeps its own data: every
call goes to the blocks' actions and queries, so audit, events, messages and KPIs behave as for the portal.

Identifiers: serviceId is the service's public id, eFormId its e-form's id, fileId an application's id (its
reference is accepted too), taskId and mainTaskId the application's case-work task, applicantId the
applicant's national ID number, assigneeId an operator's username."""

import base64
import binascii
import datetime as dt
import uuid
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Header, Path, Query, Router, Schema
from ninja.files import UploadedFile

from digigov.blocks.registries.queries import (
    agency_get,
    person_attributes_get,
    person_id_by_national_id,
    person_is_synthetic,
    synthetic_person_ids,
)
from digigov.blocks.services import actions as services_actions
from digigov.blocks.services import queries as services_queries
from digigov.blocks.services.errors import DocumentTooLarge
from digigov.blocks.workflow import actions as workflow_actions
from digigov.blocks.workflow import queries as workflow_queries
from digigov.frontdoors.govstack.access import Caller, GovStackAuth, caller_context
from digigov.platform.errors import NotFound, ValidationFailed

router = Router(auth=GovStackAuth("registration"), tags=["GovStack registration"])

# --- Schemas (the spec's components; names prefixed so they stay apart from other APIs' in /api/openapi.json) --


class RegistrationProperty(Schema):
    code: str
    value: str


class RegistrationService(Schema):
    id: uuid.UUID = Field(description="serviceId")
    name: str
    version: str = Field(description="The version of the service's e-form")
    type: Literal["None", "Private", "Public"]
    isExecutable: bool = Field(description="Whether the service takes applications")
    isClosed: bool
    description: str
    serviceBody: list[RegistrationProperty]


class RegistrationEFormListItem(Schema):
    eFormId: str
    name: str
    description: str
    version: str
    latest: bool


class RegistrationEForm(RegistrationEFormListItem):
    eform_json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema (draft 2020-12) of the answers")


class RegistrationFormData(Schema):
    data: dict[str, Any] | None = Field(
        None, description="Answers by question key: the value itself, or an object with the value under `value`"
    )
    eFormId: str | None = None


class RegistrationApplicationFileSubmit(Schema):
    applicationName: str | None = Field(None, max_length=200)
    applicantId: str = Field(max_length=40, description="The applicant's national ID number")
    created: dt.datetime | None = None
    formData: RegistrationFormData | None = None
    documentUrls: list[str] | None = Field(None, max_length=20, description="URLs (or ids) of uploaded documents")


class RegistrationStatus(Schema):
    code: Literal["PENDING", "APPROVED", "SENDBACK", "REJECTED"]
    title: str


class RegistrationAnswers(Schema):
    data: dict[str, dict[str, Any]] | None = None
    eFormId: str | None = None


class RegistrationApplicationData(Schema):
    applicationName: str | None = None
    applicantId: str
    created: dt.datetime | None = None
    formData: RegistrationAnswers | None = None
    documentUrls: list[str] | None = None


class RegistrationApplicationFile(Schema):
    fileId: str
    registered: dt.datetime | None = None
    serviceId: uuid.UUID
    serviceName: str
    status: RegistrationStatus
    ended: bool
    applicationData: RegistrationApplicationData


class RegistrationAdditionalData(Schema):
    data: dict[str, dict[str, Any]] | None = None


class RegistrationApplicationFileListItem(Schema):
    fileId: str
    mainTaskId: str | None = None
    taskTitle: str
    roleId: str | None = None
    roleName: str | None = None
    assigneeId: str | None = None
    operatorName: str | None = None
    status: RegistrationStatus
    applicantId: str
    created: dt.datetime
    registered: dt.datetime | None = None
    description: str
    serviceName: str
    serviceId: uuid.UUID
    eformId: str
    documentUrls: list[str]
    additionalMeta: RegistrationAdditionalData


class RegistrationUploadResponse(Schema):
    code: int
    type: str
    message: str
    url: str


class RegistrationUserTask(Schema):
    taskId: str
    mainTaskId: str
    name: str
    assigneeId: str | None = None
    roleId: str
    created: dt.datetime
    description: str
    serviceId: uuid.UUID
    serviceName: str
    fileId: str
    eFormId: str
    status: RegistrationStatus


class RegistrationDataUserTask(Schema):
    taskId: str
    taskName: str
    assigneeId: str | None = None
    roleId: str
    created: dt.datetime
    description: str
    fileId: str
    serviceId: uuid.UUID
    serviceName: str
    eFormId: str
    formVariables: dict[str, dict[str, Any]]
    status: RegistrationStatus
    data: dict[str, dict[str, Any]]


class RegistrationTaskInput(Schema):
    data: dict[str, Any] | None = Field(
        None,
        description="`decision`: approve, reject or request_info (or APPROVED, REJECTED, SENDBACK); `reason`: "
        "required to reject or to send back. Each value itself or an object with it under `value`.",
    )


class RegistrationCompletedTask(Schema):
    taskId: str
    fileId: str
    serviceId: uuid.UUID
    status: RegistrationStatus
    variables: dict[str, RegistrationAdditionalData]


class RegistrationStatisticsReferences(Schema):
    startDate: dt.date | None = None
    endDate: dt.date | None = None
    registrationName: str
    operator: str | None = None
    role: str | None = None
    timeframeDay: bool
    timeframeWeek: bool
    timeframeMonth: bool
    timeframeYear: bool


class RegistrationStatistics(Schema):
    processed: int = Field(description="approved + sentBack + rejected")
    approved: int
    sentBack: int
    rejected: int
    references: RegistrationStatisticsReferences


class RegistrationError(Schema):
    error: dict[str, Any]
    detail: str | None = None


_ERRORS = {400: RegistrationError, 401: RegistrationError, 403: RegistrationError}

# --- Mapping DigiGov's states to the spec's ---------------------------------------------------------------------

_STATUS = {
    "submitted": ("PENDING", gettext_lazy("Pending")),
    "in_review": ("PENDING", gettext_lazy("Pending")),
    "more_info": ("SENDBACK", gettext_lazy("Sent back")),
    "approved": ("APPROVED", gettext_lazy("Approved")),
    "rejected": ("REJECTED", gettext_lazy("Rejected")),
}
_DECISIONS = {
    "approve": "approve", "approved": "approve",
    "reject": "reject", "rejected": "reject",
    "request_info": "request_info", "sendback": "request_info",
}
_DECIDING_ROLE = ("case_officer", gettext_lazy("Case officer"))
_PERIOD_DAYS = {"day": 1, "week": 7}


def _status(application: Any) -> dict[str, str]:
    code, title = _STATUS.get(application.status, _STATUS["submitted"])
    return {"code": code, "title": str(title)}


def _caller(request: HttpRequest) -> Caller:
    return request.auth


def _plain(value: Any) -> Any:
    """A form value as the spec's clients send it: the value itself, or an object holding it under `value`."""
    return value.get("value") if isinstance(value, dict) else value


def _document_url(document_id: Any) -> str:
    return reverse("api:govstack_registration_document", kwargs={"document_id": document_id})


def _document_urls(application: Any) -> list[str]:
    return [_document_url(d) for d in services_queries.application_document_ids(application=application)]


def _document_ids(urls: list[str] | None) -> list[uuid.UUID]:
    ids = []
    for url in urls or []:
        try:
            ids.append(uuid.UUID(str(url).rstrip("/").rsplit("/", 1)[-1]))
        except ValueError:
            raise ValidationFailed(fields={"documentUrls": _("Give the URL of an uploaded document")}) from None
    return ids


def _person_id(caller: Caller, national_id: str) -> int:
    # A sandbox system's real person gets the answer for an unknown number (docs/govstack.md "Sandbox systems").
    person_id = person_id_by_national_id(national_id=national_id, synthetic_only=caller.sandbox)
    if person_id is None:
        raise ValidationFailed(fields={"applicantId": _("No person has this national ID number")})
    return person_id


def _read_context(caller: Caller, application: Any) -> Any:
    return caller_context(
        caller,
        purpose=_("Work on the application for %(service)s") % {"service": application.service.name},
        legal_basis=_("Your application %(reference)s") % {"reference": application.reference},
        service_ref=f"service:{application.service.slug}",
    )


def _application_file(caller: Caller, application: Any, *, national_id: str = "") -> dict:
    """The whole file: answers and the applicant's national ID, a read recorded for the applicant, unless
    `national_id` is given: the submitter's own answer to its submission holds only what it sent."""
    if not national_id:
        elements = ["person.national_id", *services_queries.application_answered_elements(application=application)]
        values = person_attributes_get(
            person_id=application.applicant_id, elements=elements, access=_read_context(caller, application)
        )
        national_id = values["person.national_id"].value
    service = application.service
    return {
        "fileId": str(application.pk),
        "registered": application.submitted_at,
        "serviceId": service.public_id,
        "serviceName": service.name,
        "status": _status(application),
        "ended": application.is_decided,
        "applicationData": {
            "applicationName": service.name,
            "applicantId": national_id,
            "created": application.created_at,
            "formData": {"data": application.answers, "eFormId": str(service.eform_id)},
            "documentUrls": _document_urls(application),
        },
    }


# --- Services and e-forms -----------------------------------------------------------------------------------------


def _service_out(service: Any) -> dict:
    body = {
        "slug": service.slug,
        "agency": service.agency.code,
        "agencyName": service.agency.name,
        "slaDays": str(service.sla_days),
        "feeCents": str(service.fee_cents),
        "audience": service.audience,
        "purpose": service.purpose,
        "eFormId": str(service.eform_id),
    }
    return {
        "id": service.public_id,
        "name": service.name,
        "version": str(service.eform_version),
        "type": "Public",
        "isExecutable": service.is_active,
        "isClosed": False,
        "description": service.summary,
        "serviceBody": [{"code": code, "value": value} for code, value in body.items()],
    }


def _eform_item(service: Any) -> dict:
    return {
        "eFormId": str(service.eform_id),
        "name": service.name,
        "description": _("The application form for %(service)s") % {"service": service.name},
        "version": str(service.eform_version),
        "latest": True,
    }


@router.get(
    "/services", response={200: list[RegistrationService], **_ERRORS}, exclude_none=True,
    operation_id="registration_getServiceList", summary="Services available to use",
)
def service_list(request: HttpRequest, name: str = Query("", max_length=200)):
    return [_service_out(s) for s in services_queries.service_list(query=name)]


@router.get(
    "/services/{serviceId}", response={200: RegistrationService, 404: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_getService", summary="A service",
)
def service_get(request: HttpRequest, serviceId: uuid.UUID):  # noqa: N803 (the spec's name)
    return _service_out(_service(serviceId))


def _service(public_id: uuid.UUID) -> Any:
    try:
        return services_queries.service_by_public_id(public_id=public_id)
    except NotFound:
        raise NotFound(_("service not found")) from None


@router.get(
    "/services/{serviceId}/eForms", response={200: list[RegistrationEFormListItem], 404: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_getServiceSchemaByServiceKey", summary="The service's e-forms",
)
def service_eforms(request: HttpRequest, serviceId: uuid.UUID):  # noqa: N803
    service = _service(serviceId)
    return [_eform_item(service)] if services_queries.service_fields(service=service) else []


@router.get(
    "/eForms/{eFormId}", response={200: RegistrationEForm, 404: RegistrationError, **_ERRORS}, by_alias=True,
    exclude_none=True, operation_id="registration_getEForm", summary="An e-form with its JSON Schema",
)
def eform_get(request: HttpRequest, eFormId: str):  # noqa: N803
    try:
        service = services_queries.eform_get(eform_id=eFormId)
    except NotFound:
        raise NotFound(_("Not Found")) from None
    return {**_eform_item(service), "schema": services_queries.eform_schema_get(service=service)}


# --- Documents ------------------------------------------------------------------------------------------------------


@router.post(
    "/documents", response={200: RegistrationUploadResponse, **_ERRORS}, exclude_none=True,
    operation_id="registration_uploadFile", summary="Upload a document to name in an application",
)
def document_upload(
    request: HttpRequest,
    file: File[list[UploadedFile]] = None,
    additionalMetadata: str = Query("", max_length=500),  # noqa: N803
):
    # Files come as multipart file parts; the spec also shows them as base64 text, so a text part named
    # `file` is decoded as base64. One document per request.
    parts = list(file or [])
    if len(parts) > 1:
        raise ValidationFailed(fields={"file": _("Send exactly one file")})
    if any(f.size > settings.DIGIGOV_UPLOAD_MAX_SIZE for f in parts):  # before reading it into memory
        raise DocumentTooLarge(fields={"file": services_actions.document_too_large_message()})
    uploads = [(f.name or "document", f.read()) for f in parts]
    for text in request.POST.getlist("file"):
        try:
            uploads.append(("document", base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError):
            raise ValidationFailed(fields={"file": _("Send the file as a file part or as base64 text")}) from None
    if len(uploads) != 1:
        raise ValidationFailed(fields={"file": _("Send exactly one file")})
    filename, content = uploads[0]
    document = services_actions.document_upload(owner=_caller(request).account, filename=filename, content=content)
    return {"code": 200, "type": document.content_type, "message": _("File successfully uploaded"),
            "url": _document_url(document.pk)}


@router.get(
    "/documents/{document_id}", response={200: None, 404: RegistrationError, **_ERRORS},
    url_name="govstack_registration_document", exclude_none=True, operation_id="registration_getDocument",
    summary="An uploaded document (DigiGov extension: the url an upload returns)",
)
def document_get(request: HttpRequest, document_id: uuid.UUID):
    document = services_queries.access_document(account=_caller(request).account, document_id=document_id)
    response = HttpResponse(services_queries.document_content(document=document), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.pk}"'
    return response


# --- Applications ---------------------------------------------------------------------------------------------------


@router.post(
    "/services/{serviceId}/applications",
    response={200: RegistrationApplicationFile, 404: RegistrationError, 409: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_submitApplication",
    summary="Submit an application file for an applicant",
)
def application_submit(
    request: HttpRequest,
    serviceId: uuid.UUID,  # noqa: N803
    body: RegistrationApplicationFileSubmit,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
):
    caller = _caller(request)
    service = _service(serviceId)
    person_id = _person_id(caller, body.applicantId)
    answers = {key: _plain(value) for key, value in ((body.formData and body.formData.data) or {}).items()}
    application, _created = services_actions.application_submit_for(
        submitter=caller.account,
        service=service,
        person_id=person_id,
        answers=answers,
        document_ids=_document_ids(body.documentUrls),
        access=caller_context(
            caller,
            purpose=_("Identify the applicant for %(service)s") % {"service": service.name},
            legal_basis=_("An application for %(service)s submitted for you by %(agency)s")
            % {"service": service.name, "agency": caller.agency.name},
            service_ref=f"service:{service.slug}",
        ),
        idempotency_key=idempotency_key or None,
    )
    return _application_file(caller, application, national_id=body.applicantId)


_APPLICATION_SORT = {
    "created": "created_at", "id": "id", "instanceId": "id", "caseInstanceId": "id", "executionId": "id",
    "caseExecutionId": "id", "name": "service__name", "nameCaseInsensitive": "service__name",
    "description": "reference", "dueDate": "submitted_at", "priority": "submitted_at",
}
_TASK_SORT = {
    "created": "created_at", "id": "id", "instanceId": "application_id", "caseInstanceId": "application_id",
    "executionId": "application_id", "caseExecutionId": "application_id", "name": "application__service__name",
    "nameCaseInsensitive": "application__service__name", "description": "application__reference",
    "dueDate": "due_at", "priority": "due_at", "assignee": "assignee__username",
}


def _order(sort_by: str, sort_order: str, keys: dict[str, str]) -> list[str]:
    if not sort_by:
        return []
    if sort_by not in keys:
        raise ValidationFailed(fields={"sortBy": _("Sort by one of: %(keys)s") % {"keys": ", ".join(sorted(keys))}})
    return [("-" if sort_order == "desc" else "") + keys[sort_by]]


class ListPage(Schema):
    firstResult: int = Field(0, ge=0, le=1_000_000, description="Index of the first result (0 is the first)")
    maxResult: int = Field(50, ge=1, le=200)
    sortBy: str = Field("", max_length=40)
    sortOrder: Literal["asc", "desc", ""] = ""


@router.get(
    "/applications", response={200: list[RegistrationApplicationFileListItem], **_ERRORS},
    exclude_none=True, operation_id="registration_getApplicantFileList", summary="Application files the caller may see",
)
def application_list(
    request: HttpRequest,
    page: Query[ListPage],
    serviceId: uuid.UUID | None = None,  # noqa: N803
    applicantId: str = Query("", max_length=40),  # noqa: N803
):
    caller = _caller(request)
    try:
        service = services_queries.service_by_public_id(public_id=serviceId) if serviceId else None
    except NotFound:
        return []  # filters that match nothing give the spec's empty array
    person_id = (
        person_id_by_national_id(national_id=applicantId, synthetic_only=caller.sandbox) if applicantId else None
    )
    if applicantId and person_id is None:
        return []
    files = services_queries.application_file_list(
        account=caller.account, service=service, person_id=person_id,
        order_by=_order(page.sortBy, page.sortOrder, _APPLICATION_SORT),
    )
    if caller.sandbox:
        files = files.filter(applicant_id__in=synthetic_person_ids())
    applications = list(files[page.firstResult:page.firstResult + page.maxResult])
    tasks = workflow_queries.tasks_for_applications(application_ids=[a.pk for a in applications])
    national_ids: dict[int, str] = {}
    for application in applications:  # each applicant's national ID read once, and recorded
        if application.applicant_id not in national_ids:
            values = person_attributes_get(
                person_id=application.applicant_id, elements=["person.national_id"],
                access=_read_context(caller, application),
            )
            national_ids[application.applicant_id] = values["person.national_id"].value
    return [_file_list_item(a, tasks.get(str(a.pk)), national_ids[a.applicant_id]) for a in applications]


def _file_list_item(application: Any, task: Any, national_id: str) -> dict:
    service = application.service
    assignee = task.assignee if task is not None and task.assignee_id else None
    return {
        "fileId": str(application.pk),
        "mainTaskId": str(task.pk) if task is not None else None,
        "taskTitle": f"{service.name} {application.reference}",
        "roleId": _DECIDING_ROLE[0] if task is not None else None,
        "roleName": str(_DECIDING_ROLE[1]) if task is not None else None,
        "assigneeId": assignee.username if assignee else None,
        "operatorName": (assignee.get_full_name() or assignee.username) if assignee else None,
        "status": _status(application),
        "applicantId": national_id,
        "created": application.created_at,
        "registered": application.submitted_at,
        "description": application.reference,
        "serviceName": service.name,
        "serviceId": service.public_id,
        "eformId": str(service.eform_id),
        "documentUrls": _document_urls(application),
        "additionalMeta": {"data": {"reference": {"value": application.reference},
                                    "channel": {"value": application.channel}}},
    }


def _reachable(caller: Caller, applicant_id: int) -> bool:
    """Whether the caller may see a file about this applicant: a sandbox system sees synthetic people only."""
    return not caller.sandbox or person_is_synthetic(person_id=applicant_id)


def _file(caller: Caller, file_id: str) -> Any:
    try:
        application = services_queries.access_application_file(account=caller.account, file_id=file_id)
    except NotFound:
        application = None
    if application is None or not _reachable(caller, application.applicant_id):
        raise NotFound(_("Application file was not found"))
    return application


@router.get(
    "/applications/{fileId}", response={200: RegistrationApplicationFile, 404: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_getApplicationFileById", summary="An application file",
)
def application_get(request: HttpRequest, fileId: str = Path(..., max_length=100)):  # noqa: N803
    caller = _caller(request)
    return _application_file(caller, _file(caller, fileId))


@router.put(
    "/applications/{fileId}",
    response={200: RegistrationApplicationFile, 404: RegistrationError, 409: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_updateApplicationFileForm",
    summary="Update an application file as an operator",
)
def application_update(
    request: HttpRequest, body: RegistrationApplicationFileSubmit, fileId: str = Path(..., max_length=100)  # noqa: N803
):
    caller = _caller(request)
    application = _file(caller, fileId)
    if person_id_by_national_id(national_id=body.applicantId) != application.applicant_id:
        raise ValidationFailed(fields={"applicantId": _("This is not the applicant of this application file")})
    answers = {key: _plain(value) for key, value in ((body.formData and body.formData.data) or {}).items()}
    application = services_actions.application_file_update(
        operator=caller.account, application=application, answers=answers,
        document_ids=_document_ids(body.documentUrls),
    )
    return _application_file(caller, application)


# --- Tasks ----------------------------------------------------------------------------------------------------------


def _task_out(task: Any) -> dict:
    application, service = task.application, task.application.service
    return {
        "taskId": str(task.pk),
        "mainTaskId": str(task.pk),
        "name": f"{service.name} {application.reference}",
        "assigneeId": task.assignee.username if task.assignee_id else None,
        "roleId": _DECIDING_ROLE[0],
        "created": task.created_at,
        "description": application.reference,
        "serviceId": service.public_id,
        "serviceName": service.name,
        "fileId": str(application.pk),
        "eFormId": str(service.eform_id),
        "status": _status(task.application),
    }


@router.get(
    "/tasks", response={200: list[RegistrationUserTask], **_ERRORS}, exclude_none=True,
    operation_id="registration_getTasks", summary="The agency's open tasks",
)
def task_list(
    request: HttpRequest,
    page: Query[ListPage],
    mainTaskId: str = Query("", max_length=100),  # noqa: N803
    fileId: str = Query("", max_length=100),  # noqa: N803
    assigneeId: str = Query("", max_length=150),  # noqa: N803
):
    caller = _caller(request)
    application_id = None
    if fileId:
        try:
            application_id = _file(caller, fileId).pk
        except NotFound:
            return []
    tasks = workflow_queries.task_list_for_system(
        account=caller.account, task_id=mainTaskId or None, application_id=application_id, assignee=assigneeId,
        order_by=_order(page.sortBy, page.sortOrder, _TASK_SORT),
    )
    if caller.sandbox:
        tasks = tasks.filter(application__applicant_id__in=synthetic_person_ids())
    return [_task_out(t) for t in tasks[page.firstResult:page.firstResult + page.maxResult]]


def _task(caller: Caller, task_id: str, message: str) -> Any:
    try:
        task = workflow_queries.access_task_for_system(account=caller.account, task_id=task_id)
    except NotFound:
        task = None
    if task is None or not _reachable(caller, task.application.applicant_id):
        raise NotFound(message)
    return task


@router.get(
    "/tasks/{taskId}", response={200: RegistrationDataUserTask, 404: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_getTaskById", summary="A task with the application's answers",
)
def task_get(request: HttpRequest, taskId: str = Path(..., max_length=100)):  # noqa: N803
    caller = _caller(request)
    task = _task(caller, taskId, _("Task hasn't found"))
    application = services_queries.application_for_review(  # records the read of the answers
        officer=caller.account, application_id=task.application_id,
        purpose=_("Decide the application for %(service)s") % {"service": task.application.service.name},
    )
    out = _task_out(task)
    return {
        **{k: out[k] for k in ("taskId", "assigneeId", "roleId", "created", "description", "fileId", "serviceId",
                               "serviceName", "eFormId", "status")},
        "taskName": out["name"],
        "formVariables": application.answers,
        "data": {"eligibility": application.eligibility} if application.eligibility else {},
    }


@router.post(
    "/tasks/{taskId}/complete",
    response={200: RegistrationCompletedTask, 404: RegistrationError, 409: RegistrationError, **_ERRORS},
    exclude_none=True, operation_id="registration_completeTaskById", summary="Decide a task",
)
def task_complete(request: HttpRequest, body: RegistrationTaskInput, taskId: str = Path(..., max_length=100)):  # noqa: N803
    caller = _caller(request)
    task = _task(caller, taskId, _("Task was not found"))
    data = body.data or {}
    given = _plain(data.get("decision", data.get("outcome")))
    decision = _DECISIONS.get(given.strip().lower()) if isinstance(given, str) else None
    if decision is None:
        raise ValidationFailed(fields={"data.decision": _("Choose approve, reject or request_info")})
    reason = _plain(data.get("reason", data.get("comment", ""))) or ""
    if not isinstance(reason, str) or len(reason) > 4000:
        raise ValidationFailed(fields={"data.reason": _("Give the reason as text of 4000 characters or fewer")})
    decision_row = workflow_actions.task_complete(actor=caller.account, task=task, outcome=decision, reason=reason)
    task = workflow_queries.access_task_for_system(account=caller.account, task_id=task.pk)
    return {
        "taskId": str(task.pk),
        "fileId": str(task.application_id),
        "serviceId": task.application.service.public_id,
        "status": _status(task.application),
        "variables": {"decision": {"data": {"outcome": {"value": decision_row.outcome},
                                            "reason": {"value": decision_row.reason}}}},
    }


# --- Statistics (statistics API 1.0.0: /data/statistics, and /data/statistics/1.0 as 2023 clients call it) ------


class StatisticsFilter(Schema):
    startDate: dt.date | None = None
    endDate: dt.date | None = None
    registrationName: str = Field("", max_length=200)
    operator: str = Field("", max_length=150)
    role: str = Field("", max_length=40)
    timeframe: Literal["day", "week", "month", "year"] | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _period_end(start: dt.date, timeframe: str) -> dt.date:
    if timeframe in _PERIOD_DAYS:
        return start + dt.timedelta(days=_PERIOD_DAYS[timeframe] - 1)
    if timeframe == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    return start.replace(month=12, day=31)


def statistics(request: HttpRequest, filters: Query[StatisticsFilter]):
    caller = _caller(request)
    if filters.startDate and filters.endDate and filters.startDate > filters.endDate:
        raise ValidationFailed(fields={"endDate": _("The end date must not be before the start date")})
    if filters.role and filters.role not in workflow_queries.QUEUE_ROLES:
        raise ValidationFailed(fields={"role": _("Choose one of: %(roles)s") % {
            "roles": ", ".join(sorted(workflow_queries.QUEUE_ROLES))}})
    services = list(services_queries.service_list(agency=caller.agency.code))
    if name := filters.registrationName.strip().lower():
        services = [s for s in services if name in {s.name.lower(), s.slug}]
        if not services:
            raise NotFound(_("Requests not found"))
    counts = workflow_queries.decision_statistics(
        agency_id=caller.agency.pk,
        start=_day_start(filters.startDate) if filters.startDate else None,
        end=_day_start(filters.endDate + dt.timedelta(days=1)) if filters.endDate else None,
        service_ids=[s.pk for s in services],
        operator=filters.operator.strip(),
        role=filters.role,
        timeframe=filters.timeframe or "",
    )
    by_service = {s.pk: s for s in services}
    if not filters.timeframe:  # one row per service, those without decisions too
        found = {c.service_id: c for c in counts}
        counts = [
            found.get(s.pk) or workflow_queries.DecisionCounts(s.pk, None, 0, 0, 0) for s in services
        ]
    rows = []
    for count in counts:
        start, end = filters.startDate, filters.endDate
        if count.period is not None:
            start = max(count.period, start) if start else count.period
            end = min(_period_end(count.period, filters.timeframe), end) if end else _period_end(
                count.period, filters.timeframe)
        rows.append({
            "processed": count.approved + count.sent_back + count.rejected,
            "approved": count.approved,
            "sentBack": count.sent_back,
            "rejected": count.rejected,
            "references": {
                "startDate": start, "endDate": end, "registrationName": by_service[count.service_id].name,
                "operator": filters.operator or None, "role": filters.role or None,
                **{f"timeframe{p.title()}": filters.timeframe == p for p in ("day", "week", "month", "year")},
            },
        })
    return rows


_STATISTICS_RESPONSES = {200: list[RegistrationStatistics], 404: RegistrationError, **_ERRORS}
router.get(
    "/data/statistics", response=_STATISTICS_RESPONSES, exclude_none=True, operation_id="registration_Statistics",
    summary="Decisions by service over a date range",
)(statistics)
router.get(
    "/data/statistics/1.0", response=_STATISTICS_RESPONSES, exclude_none=True,
    operation_id="registration_Statistics_1_0", summary="Decisions by service (the 2023 path)",
)(statistics)


# --- Fixtures: `digigov govstack load FILE.json` loads known services, e-forms, applications and tasks for an
# integrator, through the same actions the API uses, keeping the fixture's ids. ---


def _fixture_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        raise ValidationFailed(fields={"id": _("Not a UUID: %(value)s") % {"value": value}}) from None


def _fixture_entries(data: dict, key: str, required: tuple[str, ...]) -> list[dict]:
    entries = data.get(key, [])
    for number, entry in enumerate(entries):
        if missing := [name for name in required if not isinstance(entry, dict) or not entry.get(name)]:
            raise ValidationFailed(fields={f"{key}[{number}].{name}": _("Required") for name in missing})
    return entries


@transaction.atomic
def fixture_load(*, caller: Caller, data: dict) -> dict[str, int]:
    """Keys: "services" [{id, slug, name, description, agency, slaDays, purpose}], "eforms" [{eFormId,
    serviceId, fields: [{key, label, field_type, hint, required, choices, data_element}]}], "applications"
    [{fileId, serviceId, applicantId, formData: {data}}], "tasks" [{taskId, fileId, decision, reason}]."""
    actor = caller.account
    for entry in _fixture_entries(data, "services", ("slug", "name")):
        agency = agency_get(code=entry["agency"]) if entry.get("agency") else caller.agency
        services_actions.service_save(
            actor=actor, public_id=_fixture_uuid(entry.get("id")), slug=entry["slug"],
            values={
                "name": entry["name"], "summary": entry.get("description", entry["name"]), "agency": agency,
                "sla_days": int(entry.get("slaDays", 14)), "purpose": entry.get("purpose", entry["name"]),
            },
        )
    for entry in _fixture_entries(data, "eforms", ("serviceId", "fields")):
        services_actions.eform_save(
            actor=actor, service=services_queries.service_by_public_id(public_id=entry["serviceId"]),
            fields=entry["fields"], eform_id=_fixture_uuid(entry.get("eFormId")),
        )
    for entry in _fixture_entries(data, "applications", ("serviceId", "applicantId")):
        service = services_queries.service_by_public_id(public_id=entry["serviceId"])
        file_id = _fixture_uuid(entry.get("fileId"))
        answers = {k: _plain(v) for k, v in (entry.get("formData") or {}).get("data", {}).items()}
        services_actions.application_submit_for(
            submitter=actor, service=service, person_id=_person_id(caller, entry["applicantId"]), answers=answers,
            document_ids=[],
            access=caller_context(
                caller, purpose=_("Load example applications"),
                legal_basis=_("Example data loaded by %(agency)s") % {"agency": caller.agency.name},
                service_ref=f"service:{service.slug}",
            ),
            idempotency_key=f"fixture:{file_id}" if file_id else None, application_id=file_id,
        )
    for entry in _fixture_entries(data, "tasks", ("fileId",)):
        application = services_queries.application_get(application_id=entry["fileId"])
        task = workflow_actions.task_create_for_application(
            application=application, sla_days=application.service.sla_days, task_id=_fixture_uuid(entry.get("taskId"))
        )
        decision = _DECISIONS.get(str(entry.get("decision", "")).lower())
        if decision and task.status != "done":  # loading the fixture again leaves decided tasks as they are
            workflow_actions.task_complete(actor=actor, task=task, outcome=decision, reason=entry.get("reason", ""))
    return {key: len(data.get(key, [])) for key in ("services", "eforms", "applications", "tasks")}
