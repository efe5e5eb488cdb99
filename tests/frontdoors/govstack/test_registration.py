"""GovStack Registration (API 0.1.1, statistics 1.0.0) over the services and workflow blocks: contract tests
for every endpoint of the specs, positive and negative, called by real calling systems with real API keys."""

import base64
import uuid

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.services.backends import EICAR
from digigov.blocks.services.models import Application, Document
from digigov.blocks.workflow.models import Task
from digigov.platform.models import Event
from tests.support import entered_answers

BASE = "/api/govstack/registration"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def api():
    return Client()


@pytest.fixture
def operator(govstack_client_factory):
    """The Social Support Agency's case-work system: it decides Baby Bonus applications."""
    return govstack_client_factory(agency="SSA", apis=("registration",), roles=("case_officer",))


@pytest.fixture
def clinic(govstack_client_factory):
    """The birth registry's system, which applies for new parents; it holds no case-work role."""
    return govstack_client_factory(agency="REG", apis=("registration",))


@pytest.fixture
def nric(nation):
    return nation.demo_citizen_national_id


def _answers(service) -> dict:
    return {key: {"value": value} for key, value in entered_answers(service).items()}


def _submit(api, headers, service, nric, **extra):
    body = {"applicantId": nric, "formData": {"data": _answers(service)}, **extra}
    return api.post(
        f"{BASE}/services/{service.public_id}/applications", body, content_type="application/json", headers=headers
    )


def _upload(api, headers, content: bytes, name="birth-certificate.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post(f"{BASE}/documents", {"file": SimpleUploadedFile(name, content)}, headers=headers)


@pytest.fixture
def clinic_file(api, clinic, baby_bonus, nric, deliver_events):
    """A Baby Bonus application the clinic submitted, with its task in SSA's queue."""
    response = _submit(api, clinic[1], baby_bonus, nric)
    assert response.status_code == 200, response.content
    deliver_events()
    return response.json()


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body


# --- Who may call -----------------------------------------------------------------------------------------------


def test_a_call_without_credentials_is_refused(api):
    _error(api.get(f"{BASE}/services"), 401)


def test_a_system_not_allowed_the_registration_api_is_refused(api, govstack_client_factory):
    _account, headers = govstack_client_factory(agency="SSA", apis=("registries",))
    _error(api.get(f"{BASE}/services", headers=headers), 403)


# --- Services and e-forms ---------------------------------------------------------------------------------------


def test_services_are_listed_with_their_public_ids(api, clinic, baby_bonus):
    response = api.get(f"{BASE}/services", headers=clinic[1])
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()}
    entry = services[str(baby_bonus.public_id)]
    assert entry["name"] == "Baby Bonus" and entry["type"] == "Public" and entry["isExecutable"] is True
    assert {"code": "eFormId", "value": str(baby_bonus.eform_id)} in entry["serviceBody"]


def test_services_can_be_found_by_name(api, clinic):
    names = [s["name"] for s in api.get(f"{BASE}/services", {"name": "baby bonus"}, headers=clinic[1]).json()]
    assert names == ["Baby Bonus"]
    assert api.get(f"{BASE}/services", {"name": "no such service"}, headers=clinic[1]).json() == []


def test_a_service_is_found_by_its_id(api, clinic, baby_bonus):
    response = api.get(f"{BASE}/services/{baby_bonus.public_id}", headers=clinic[1])
    assert response.status_code == 200
    assert response.json()["id"] == str(baby_bonus.public_id)


def test_an_unknown_service_is_not_found_in_the_specs_words(api, clinic):
    body = _error(api.get(f"{BASE}/services/{uuid.uuid4()}", headers=clinic[1]), 404, "not_found")
    assert body["detail"] == "service not found"


def test_a_service_id_that_is_not_a_uuid_is_a_bad_request(api, clinic):
    _error(api.get(f"{BASE}/services/baby-bonus", headers=clinic[1]), 400, "validation_failed")


def test_a_services_e_form_is_listed_and_its_json_schema_checks_answers(api, clinic, baby_bonus):
    forms = api.get(f"{BASE}/services/{baby_bonus.public_id}/eForms", headers=clinic[1]).json()
    assert forms == [{"eFormId": str(baby_bonus.eform_id), "name": "Baby Bonus", "description": forms[0]["description"],
                      "version": str(baby_bonus.eform_version), "latest": True}]
    eform = api.get(f"{BASE}/eForms/{baby_bonus.eform_id}", headers=clinic[1]).json()
    schema = eform["schema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    answers = _typed(schema, entered_answers(baby_bonus))
    assert validator.is_valid(answers)
    assert not validator.is_valid({**answers, "not_a_question": "x"})
    assert not validator.is_valid({k: v for k, v in answers.items() if k != "declaration"})
    assert not validator.is_valid({**answers, "declaration": "perhaps"})


def _typed(schema: dict, answers: dict) -> dict:
    return {k: int(v) if schema["properties"][k]["type"] == "integer" else v for k, v in answers.items()}


def test_every_services_e_form_schema_is_valid_json_schema_and_accepts_what_the_form_accepts(nation):
    from digigov.blocks.services.queries import eform_schema_get, service_list

    for service in service_list():
        schema = eform_schema_get(service=service)
        Draft202012Validator.check_schema(schema)  # raises on a schema that breaks the meta-schema
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        assert validator.is_valid(_typed(schema, entered_answers(service))), service.slug


def test_e_forms_of_an_unknown_service_or_id_are_not_found(api, clinic):
    _error(api.get(f"{BASE}/services/{uuid.uuid4()}/eForms", headers=clinic[1]), 404)
    assert _error(api.get(f"{BASE}/eForms/{uuid.uuid4()}", headers=clinic[1]), 404)["detail"] == "Not Found"
    _error(api.get(f"{BASE}/eForms/not-an-id", headers=clinic[1]), 404)


# --- Applications submitted by a calling system --------------------------------------------------------------


def test_a_system_submits_an_application_for_a_person_as_the_portal_would(api, clinic, baby_bonus, nric):
    response = _submit(api, clinic[1], baby_bonus, nric)
    assert response.status_code == 200, response.content
    file = response.json()
    assert file["serviceId"] == str(baby_bonus.public_id)
    assert file["status"] == {"code": "PENDING", "title": "Pending"}
    assert file["ended"] is False
    assert file["applicationData"]["applicantId"] == nric
    application = Application.objects.get(pk=file["fileId"])
    assert application.submitted_by == clinic[0] and application.reference
    # The clinic's answers are shown as given by its agency, not as the applicant's own.
    assert application.answers["declaration"] == {
        "value": "yes", "source": "agency", "agency": "REG", "agency_name": clinic[0].agency.name
    }
    assert Event.objects.filter(type="application.submitted", payload__application_id=file["fileId"]).exists()
    # The clinic identified the person by national ID on a stated legal basis; the person sees it.
    record = AccessRecord.objects.filter(person_id=application.applicant_id, accessor_id=clinic[0].pk).first()
    assert record.elements == ["person.national_id"] and "submitted for you by" in record.legal_basis


def test_answers_may_be_plain_values_too(api, clinic, baby_bonus, nric):
    body = {"applicantId": nric, "formData": {"data": entered_answers(baby_bonus)}}
    response = api.post(f"{BASE}/services/{baby_bonus.public_id}/applications", body,
                        content_type="application/json", headers=clinic[1])
    assert response.status_code == 200, response.content


def test_a_retried_submission_with_its_idempotency_key_creates_one_application(api, clinic, baby_bonus, nric):
    headers = {**clinic[1], "Idempotency-Key": "clinic-42"}
    first = _submit(api, headers, baby_bonus, nric).json()
    again = _submit(api, headers, baby_bonus, nric).json()
    assert again["fileId"] == first["fileId"]
    assert Application.objects.filter(submitted_by=clinic[0]).count() == 1


def test_a_submission_without_an_applicant_is_refused(api, clinic, baby_bonus):
    response = api.post(f"{BASE}/services/{baby_bonus.public_id}/applications", {"formData": {"data": {}}},
                        content_type="application/json", headers=clinic[1])
    assert "applicantId" in _error(response, 400, "validation_failed")["error"]["fields"]


def test_a_submission_with_a_wrongly_typed_field_is_refused(api, clinic, baby_bonus):
    response = api.post(f"{BASE}/services/{baby_bonus.public_id}/applications", {"applicantId": 12345},
                        content_type="application/json", headers=clinic[1])
    _error(response, 400, "validation_failed")


def test_a_submission_for_nobody_on_record_is_refused(api, clinic, baby_bonus):
    body = _error(_submit(api, clinic[1], baby_bonus, "S0000000A"), 400, "validation_failed")
    assert "applicantId" in body["error"]["fields"]


def test_a_submission_with_missing_answers_says_which(api, clinic, baby_bonus, nric):
    body = {"applicantId": nric, "formData": {"data": {"declaration": "yes"}}}
    response = api.post(f"{BASE}/services/{baby_bonus.public_id}/applications", body,
                        content_type="application/json", headers=clinic[1])
    fields = _error(response, 400, "validation_failed")["error"]["fields"]
    assert "declaration" not in fields and fields


def test_a_submission_to_an_unknown_service_is_not_found(api, clinic, nric):
    response = api.post(f"{BASE}/services/{uuid.uuid4()}/applications", {"applicantId": nric},
                        content_type="application/json", headers=clinic[1])
    _error(response, 404)


# --- Documents --------------------------------------------------------------------------------------------------


def test_an_uploaded_document_is_attached_to_the_application_that_names_it(api, clinic, baby_bonus, nric):
    upload = _upload(api, clinic[1], PDF)
    assert upload.status_code == 200, upload.content
    assert upload.json()["type"] == "application/pdf"
    url = upload.json()["url"]
    file = _submit(api, clinic[1], baby_bonus, nric, documentUrls=[url]).json()
    assert file["applicationData"]["documentUrls"] == [url]
    document = Document.objects.get()
    assert str(document.application_id) == file["fileId"] and document.scan_status == "clean"
    downloaded = api.get(url, headers=clinic[1])
    assert downloaded.status_code == 200 and downloaded.content == PDF


def test_a_document_cannot_be_attached_twice_or_by_another_system(api, clinic, operator, baby_bonus, nric):
    url = _upload(api, clinic[1], PDF).json()["url"]
    _error(_submit(api, operator[1], baby_bonus, nric, documentUrls=[url]), 400, "validation_failed")
    _submit(api, clinic[1], baby_bonus, nric, documentUrls=[url])
    _error(_submit(api, clinic[1], baby_bonus, nric, documentUrls=[url]), 400, "validation_failed")
    _error(_submit(api, clinic[1], baby_bonus, nric, documentUrls=["not a url"]), 400, "validation_failed")


def test_a_document_sent_as_base64_text_is_accepted(api, clinic):
    response = api.post(f"{BASE}/documents", {"file": base64.b64encode(PDF).decode()}, headers=clinic[1])
    assert response.status_code == 200, response.content


def test_the_eicar_test_file_is_refused_and_recorded_without_its_bytes(api, clinic, settings):
    settings.DIGIGOV_DOCUMENT_SCANNER = "digigov.blocks.services.backends.EicarScanner"
    _error(_upload(api, clinic[1], EICAR + b"\r\n", name="invoice.pdf"), 400, "document_infected")
    refused = Document.objects.get()
    assert refused.scan_status == "infected" and bytes(refused.content_encrypted) == b""
    assert AuditEntry.objects.filter(action="services:document:refuse", object_id=str(refused.pk)).exists()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(api, clinic, settings):
    settings.DIGIGOV_UPLOAD_MAX_SIZE = 64
    _error(_upload(api, clinic[1], PDF + b" " * 64), 413, "request_too_large")
    assert not Document.objects.exists()


def test_uploads_of_a_wrong_type_or_empty_are_refused(api, clinic):
    _error(_upload(api, clinic[1], b"MZ\x90\x00 an executable", name="report.pdf"), 400, "validation_failed")
    _error(api.post(f"{BASE}/documents", {}, headers=clinic[1]), 400, "validation_failed")
    _error(api.post(f"{BASE}/documents", {"file": "%%% not base64"}, headers=clinic[1]), 400)
    assert not Document.objects.exists()


def test_another_systems_document_is_not_found(api, clinic, govstack_client_factory):
    url = _upload(api, clinic[1], PDF).json()["url"]
    _other, headers = govstack_client_factory(agency="REG", apis=("registration",))
    _error(api.get(url, headers=headers), 404)


# --- Reading application files ------------------------------------------------------------------------------------


def test_a_submitting_system_lists_its_own_applications_only(api, clinic, clinic_file, submitted_application):
    files = api.get(f"{BASE}/applications", headers=clinic[1]).json()
    assert [f["fileId"] for f in files] == [clinic_file["fileId"]]
    assert files[0]["applicantId"] == clinic_file["applicationData"]["applicantId"]
    assert files[0]["mainTaskId"] == str(Task.objects.get(application_id=clinic_file["fileId"]).pk)


def test_an_operator_lists_its_agencys_applications(api, operator, clinic_file, submitted_application, baby_bonus):
    files = api.get(f"{BASE}/applications", {"serviceId": str(baby_bonus.public_id), "sortBy": "created",
                                             "sortOrder": "desc"}, headers=operator[1]).json()
    assert [f["fileId"] for f in files] == [str(submitted_application.pk), clinic_file["fileId"]]
    page = api.get(f"{BASE}/applications", {"firstResult": 1, "maxResult": 1}, headers=operator[1]).json()
    assert len(page) == 1


def test_applications_filter_by_applicant(api, operator, clinic_file, nation):
    mine = api.get(f"{BASE}/applications", {"applicantId": nation.demo_citizen_national_id}, headers=operator[1])
    assert clinic_file["fileId"] in [f["fileId"] for f in mine.json()]
    other = api.get(f"{BASE}/applications", {"applicantId": nation.demo_spouse_national_id}, headers=operator[1])
    assert other.json() == []


def test_application_list_parameters_are_checked(api, operator):
    _error(api.get(f"{BASE}/applications", {"sortBy": "colour"}, headers=operator[1]), 400, "validation_failed")
    _error(api.get(f"{BASE}/applications", {"maxResult": "many"}, headers=operator[1]), 400, "validation_failed")
    _error(api.get(f"{BASE}/applications", {"firstResult": -1}, headers=operator[1]), 400, "validation_failed")


def test_an_operator_reads_a_file_and_the_applicant_sees_the_read(api, operator, clinic_file):
    response = api.get(f"{BASE}/applications/{clinic_file['fileId']}", headers=operator[1])
    assert response.status_code == 200
    assert response.json()["applicationData"]["formData"]["data"]["declaration"]["value"] == "yes"
    application = Application.objects.get(pk=clinic_file["fileId"])
    assert AccessRecord.objects.filter(person_id=application.applicant_id, accessor_id=operator[0].pk).exists()
    by_reference = api.get(f"{BASE}/applications/{application.reference}", headers=operator[1])
    assert by_reference.json()["fileId"] == clinic_file["fileId"]


def test_a_file_another_system_may_not_see_is_not_found(api, govstack_client_factory, clinic_file):
    _other, headers = govstack_client_factory(agency="HSG", apis=("registration",), roles=("case_officer",))
    body = _error(api.get(f"{BASE}/applications/{clinic_file['fileId']}", headers=headers), 404)
    assert body["detail"] == "Application file was not found"
    _error(api.get(f"{BASE}/applications/{uuid.uuid4()}", headers=headers), 404)


# --- Operators update files ---------------------------------------------------------------------------------------


def _update(api, headers, file_id, nric, data, **extra):
    return api.put(f"{BASE}/applications/{file_id}", {"applicantId": nric, "formData": {"data": data}, **extra},
                   content_type="application/json", headers=headers)


def test_an_operator_updates_an_answer_and_the_applicant_sees_it(api, operator, clinic_file, nric):
    response = _update(api, operator[1], clinic_file["fileId"], nric, {"bank_account_number": {"value": "123-456"}})
    assert response.status_code == 200, response.content
    answer = response.json()["applicationData"]["formData"]["data"]["bank_account_number"]
    assert answer["value"] == "123-456" and answer["source"] == "agency"
    application = Application.objects.get(pk=clinic_file["fileId"])
    assert application.steps.last().note == "The agency updated your application."
    assert Event.objects.filter(type="application.updated", payload__fields=["bank_account_number"]).exists()


def test_an_update_is_checked_like_an_application(api, operator, clinic_file, nric, nation):
    _error(_update(api, operator[1], clinic_file["fileId"], nric, {"declaration": "perhaps"}), 400)
    _error(_update(api, operator[1], clinic_file["fileId"], nation.demo_spouse_national_id, {}), 400)
    _error(_update(api, operator[1], str(uuid.uuid4()), nric, {}), 404)


def test_a_submitting_system_may_not_update_as_an_operator(api, clinic, clinic_file, nric):
    _error(_update(api, clinic[1], clinic_file["fileId"], nric, {"bank_account_number": "1"}), 403)


# --- Tasks ------------------------------------------------------------------------------------------------------


def test_an_operator_lists_and_reads_its_agencys_tasks(api, operator, clinic_file):
    tasks = api.get(f"{BASE}/tasks", {"fileId": clinic_file["fileId"]}, headers=operator[1]).json()
    assert len(tasks) == 1 and tasks[0]["fileId"] == clinic_file["fileId"]
    assert tasks[0]["status"]["code"] == "PENDING"
    task = api.get(f"{BASE}/tasks/{tasks[0]['taskId']}", headers=operator[1])
    assert task.status_code == 200
    assert task.json()["formVariables"]["declaration"]["value"] == "yes"
    everything = api.get(f"{BASE}/tasks", {"sortBy": "dueDate", "sortOrder": "asc"}, headers=operator[1]).json()
    assert tasks[0]["taskId"] in [t["taskId"] for t in everything]


def test_a_system_without_a_case_work_role_sees_no_tasks(api, clinic, clinic_file):
    assert api.get(f"{BASE}/tasks", headers=clinic[1]).json() == []
    task = Task.objects.get(application_id=clinic_file["fileId"])
    assert _error(api.get(f"{BASE}/tasks/{task.pk}", headers=clinic[1]), 404)["detail"] == "Task hasn't found"


def _complete(api, headers, task_id, data):
    return api.post(f"{BASE}/tasks/{task_id}/complete", {"data": data}, content_type="application/json",
                    headers=headers)


def test_an_operator_completes_a_task_with_a_decision(api, operator, clinic_file):
    task = Task.objects.get(application_id=clinic_file["fileId"])
    response = _complete(api, operator[1], task.pk, {"decision": {"value": "APPROVED"}})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == {"code": "APPROVED", "title": "Approved"}
    application = Application.objects.get(pk=clinic_file["fileId"])
    assert application.status == "approved"
    assert Event.objects.filter(type="application.decided", payload__application_id=clinic_file["fileId"]).exists()
    _error(_complete(api, operator[1], task.pk, {"decision": "approve"}), 409, "task_closed")


def test_sending_back_or_rejecting_needs_a_reason(api, operator, clinic_file):
    task = Task.objects.get(application_id=clinic_file["fileId"])
    _error(_complete(api, operator[1], task.pk, {"decision": "SENDBACK"}), 400, "validation_failed")
    _error(_complete(api, operator[1], task.pk, {"decision": "maybe"}), 400, "validation_failed")
    _error(_complete(api, operator[1], task.pk, {}), 400, "validation_failed")
    sent_back = _complete(api, operator[1], task.pk, {"decision": "SENDBACK", "reason": "Which hospital?"})
    assert sent_back.json()["status"]["code"] == "SENDBACK"


def test_only_a_deciding_role_completes_tasks(api, govstack_client_factory, clinic_file):
    _owner, headers = govstack_client_factory(agency="SSA", apis=("registration",), roles=("service_owner",))
    task = Task.objects.get(application_id=clinic_file["fileId"])
    _error(_complete(api, headers, task.pk, {"decision": "approve"}), 403)
    body = _error(_complete(api, headers, uuid.uuid4(), {"decision": "approve"}), 404)
    assert body["detail"] == "Task was not found"


# --- Statistics ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/data/statistics", "/data/statistics/1.0"])
def test_statistics_count_decisions_by_service_on_both_paths(api, operator, clinic_file, path):
    task = Task.objects.get(application_id=clinic_file["fileId"])
    _complete(api, operator[1], task.pk, {"decision": "approve"})
    response = api.get(f"{BASE}{path}", {"registrationName": "Baby Bonus"}, headers=operator[1])
    assert response.status_code == 200
    [row] = response.json()
    assert (row["processed"], row["approved"], row["sentBack"], row["rejected"]) == (1, 1, 0, 0)
    assert row["references"]["registrationName"] == "Baby Bonus"


def test_statistics_by_day_operator_and_role(api, operator, clinic_file):
    task = Task.objects.get(application_id=clinic_file["fileId"])
    _complete(api, operator[1], task.pk, {"decision": "reject", "reason": "Not eligible"})
    by_day = api.get(f"{BASE}/data/statistics", {"timeframe": "day"}, headers=operator[1]).json()
    assert [(r["rejected"], r["references"]["timeframeDay"]) for r in by_day] == [(1, True)]
    assert by_day[0]["references"]["startDate"] == by_day[0]["references"]["endDate"]
    mine = api.get(f"{BASE}/data/statistics", {"operator": operator[0].username, "role": "case_officer",
                                                "registrationName": "baby-bonus"}, headers=operator[1]).json()
    assert mine[0]["rejected"] == 1
    nobody = api.get(f"{BASE}/data/statistics", {"operator": "someone else", "registrationName": "baby-bonus"},
                     headers=operator[1]).json()
    assert nobody[0]["processed"] == 0


def test_statistics_parameters_are_checked(api, operator):
    _error(api.get(f"{BASE}/data/statistics", {"registrationName": "No such registration"}, headers=operator[1]), 404)
    _error(api.get(f"{BASE}/data/statistics", {"startDate": "yesterday"}, headers=operator[1]), 400)
    _error(api.get(f"{BASE}/data/statistics", {"startDate": "2026-02-01", "endDate": "2026-01-01"},
                   headers=operator[1]), 400)
    _error(api.get(f"{BASE}/data/statistics/1.0", {"timeframe": "fortnight"}, headers=operator[1]), 400)
    _error(api.get(f"{BASE}/data/statistics", {"role": "Handler"}, headers=operator[1]), 400)
    _error(api.get(f"{BASE}/data/statistics/1.0"), 401)


def test_an_operator_cannot_change_verified_answers(api, operator, submitted_application, nric):
    verified = {k: a for k, a in submitted_application.answers.items() if a["source"] == "verified"}
    key, answer = next(iter(verified.items()))
    response = _update(api, operator[1], submitted_application.pk, nric, {key: "something else"})
    assert response.status_code == 200, response.content
    assert response.json()["applicationData"]["formData"]["data"][key] == answer


# --- Fixtures for integrators -------------------------------------------------------------------------------------


def test_a_fixture_loads_a_registration_with_known_ids_through_the_api_actions(api, operator, nric):
    from digigov.frontdoors.govstack.access import Caller
    from digigov.frontdoors.govstack.registration import fixture_load

    account = operator[0]
    caller = Caller(account=account, agency=account.agency, client_id=account.api_client.pk, label="cli", via="cli")
    service_id, eform_id, file_id, task_id = (str(uuid.uuid4()) for _ in range(4))
    fixture = {
        "services": [{"id": service_id, "slug": "mother-and-child", "name": "Mother and Child Registration",
                      "description": "Register a mother and her newborn.", "slaDays": 7}],
        "eforms": [{"eFormId": eform_id, "serviceId": service_id, "fields": [
            {"key": "child_name", "label": "Child's name", "field_type": "text"},
            {"key": "born_on", "label": "Date of birth", "field_type": "date"},
        ]}],
        "applications": [{"fileId": file_id, "serviceId": service_id, "applicantId": nric,
                          "formData": {"data": {"child_name": {"value": "Aisyah"}, "born_on": "2026-10-20"}}}],
        "tasks": [{"taskId": task_id, "fileId": file_id, "decision": "approve"}],
    }
    counts = fixture_load(caller=caller, data=fixture)
    assert counts == {"services": 1, "eforms": 1, "applications": 1, "tasks": 1}
    assert fixture_load(caller=caller, data=fixture) == counts  # loading again changes nothing
    assert Application.objects.filter(submitted_by=account).count() == 1
    forms = api.get(f"{BASE}/services/{service_id}/eForms", headers=operator[1]).json()
    assert [(f["eFormId"], f["version"]) for f in forms] == [(eform_id, "1")]
    file = api.get(f"{BASE}/applications/{file_id}", headers=operator[1]).json()
    assert file["status"]["code"] == "APPROVED"
    assert api.get(f"{BASE}/tasks/{task_id}", headers=operator[1]).json()["fileId"] == file_id


def test_a_fixture_with_a_malformed_e_form_loads_nothing(operator, baby_bonus):
    from digigov.frontdoors.govstack.access import Caller
    from digigov.frontdoors.govstack.registration import fixture_load
    from digigov.platform.errors import ValidationFailed

    account = operator[0]
    caller = Caller(account=account, agency=account.agency, client_id=account.api_client.pk, label="cli", via="cli")
    fixture = {"eforms": [{"serviceId": str(baby_bonus.public_id), "fields": [
        {"key": "colour", "label": "Colour", "field_type": "choice", "choices": "red"},
        {"key": "size", "label": "Size", "field_type": "shoe-size"},
    ]}]}
    with pytest.raises(ValidationFailed) as refused:
        fixture_load(caller=caller, data=fixture)
    assert set(refused.value.fields) == {"colour.choices", "size.field_type"}
    assert baby_bonus.fields.count() > 2


def test_only_the_services_agency_and_the_agencies_it_names_may_apply_for_a_person(
    api, govstack_client_factory, baby_bonus, nric
):
    # Baby Bonus (SSA) names the birth registry (REG): tell us once. The housing board's system may not apply.
    _hsg, housing = govstack_client_factory(agency="HSG", apis=("registration",))
    refused = _submit(api, housing, baby_bonus, nric)
    _error(refused, 403, "not_permitted")
    assert not Application.objects.filter(service=baby_bonus, submitted_by=_hsg).exists()
    for agency in ("SSA", "REG"):
        _account, headers = govstack_client_factory(agency=agency, apis=("registration",))
        assert _submit(api, headers, baby_bonus, nric).status_code == 200


def test_the_agency_reading_a_document_another_system_attached_is_recorded_for_the_applicant(
    api, clinic, operator, baby_bonus, nric
):
    url = _upload(api, clinic[1], PDF).json()["url"]
    file = _submit(api, clinic[1], baby_bonus, nric, documentUrls=[url]).json()
    application = Application.objects.get(pk=file["fileId"])
    reads = AccessRecord.objects.filter(person_id=application.applicant_id, elements=["application.documents"])
    assert api.get(url, headers=clinic[1]).status_code == 200  # the uploader reads its own file: not a new read
    assert not reads.exists()
    assert api.get(url, headers=operator[1]).status_code == 200  # the deciding agency reads the applicant's file
    record = reads.get()
    assert record.agency.code == "SSA" and application.reference in record.purpose

