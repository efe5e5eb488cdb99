"""Sandbox calling systems (`digigov govstack client-add --sandbox`) reach synthetic people only: a real person
is answered exactly as a person nobody knows, in the registration, registries and messaging APIs.

Everyone the test nation's seed made is synthetic; a "real" resident here is a seeded person whose flag is
cleared, as if an agency had loaded them."""

import itertools
import json

import pytest
from django.core.management import call_command
from django.test import Client

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.identity.actions import api_client_create
from digigov.blocks.identity.models import ApiClient
from digigov.blocks.messaging.models import SendRequest
from digigov.blocks.registries.models import Person
from digigov.blocks.registries.queries import agency_get, person_id_by_national_id
from tests.frontdoors.govstack.test_registries import MCTS_SCHEMA
from tests.support import entered_answers

REGISTRATION = "/api/govstack/registration"
REGISTRIES = "/api/govstack/registries"
DATA = f"{REGISTRIES}/data/MCTS/1.0"
MESSAGES = "/api/govstack/messaging/v1/messages"
UNKNOWN_NRIC = "S0000001I"  # well formed, but nobody's

_names = itertools.count(1)
pytestmark = pytest.mark.django_db


def system(*, agency: str, apis: tuple[str, ...], sandbox: bool, roles: tuple[str, ...] = ()) -> tuple:
    client, key = api_client_create(
        actor=None, name=f"sandbox-test-{next(_names)}", agency=agency_get(code=agency), apis=list(apis),
        roles=list(roles), is_sandbox=sandbox,
    )
    return client.account, {"Authorization": key}


def made_real(national_id: str) -> None:
    Person.objects.filter(pk=person_id_by_national_id(national_id=national_id)).update(synthetic=False)


def post(url: str, body: dict, headers: dict):
    return Client().post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_the_unknown_number_used_here_is_well_formed_and_nobodys(nation):
    from digigov.blocks.registries import national_id

    assert national_id.is_valid(UNKNOWN_NRIC) and person_id_by_national_id(national_id=UNKNOWN_NRIC) is None


def test_client_add_with_sandbox_registers_a_sandbox_system(nation, capsys):
    call_command("govstack", "client-add", "sandbox-cli", "--agency", "SSA", "--api", "registries", "--sandbox")
    assert ApiClient.objects.get(name="sandbox-cli").is_sandbox is True
    assert "sandbox" in capsys.readouterr().out
    call_command("govstack", "client-add", "live-cli", "--agency", "SSA", "--api", "registries")
    assert ApiClient.objects.get(name="live-cli").is_sandbox is False


# --- Registration -------------------------------------------------------------------------------------------------


def submit(headers: dict, service, national_id: str):
    answers = {key: {"value": value} for key, value in entered_answers(service).items()}
    return post(f"{REGISTRATION}/services/{service.public_id}/applications",
                {"applicantId": national_id, "formData": {"data": answers}}, headers)


def test_a_sandbox_system_submits_for_a_synthetic_person(baby_bonus, nation):
    _account, headers = system(agency="REG", apis=("registration",), sandbox=True)
    response = submit(headers, baby_bonus, nation.demo_citizen_national_id)
    assert response.status_code == 200, response.content


def test_a_sandbox_system_cannot_submit_for_a_real_person_and_learns_nothing(baby_bonus, nation, citizen):
    _account, headers = system(agency="REG", apis=("registration",), sandbox=True)
    made_real(nation.demo_citizen_national_id)
    real = submit(headers, baby_bonus, nation.demo_citizen_national_id)
    unknown = submit(headers, baby_bonus, UNKNOWN_NRIC)
    assert real.status_code == unknown.status_code == 400
    assert real.json() == unknown.json()
    assert not AccessRecord.objects.filter(person_id=citizen.person_id, accessor_label__contains="sandbox").exists()


def test_a_sandbox_system_does_not_see_a_real_persons_application_file(baby_bonus, nation, deliver_events):
    _live, live_headers = system(agency="SSA", apis=("registration",), sandbox=False, roles=("case_officer",))
    _sandbox, sandbox_headers = system(agency="SSA", apis=("registration",), sandbox=True, roles=("case_officer",))
    made_real(nation.demo_citizen_national_id)
    file = submit(live_headers, baby_bonus, nation.demo_citizen_national_id).json()
    deliver_events()  # the file's task lands in SSA's queue
    api = Client()
    assert api.get(f"{REGISTRATION}/applications/{file['fileId']}", headers=live_headers).status_code == 200
    assert api.get(f"{REGISTRATION}/applications/{file['fileId']}", headers=sandbox_headers).status_code == 404
    listed = api.get(f"{REGISTRATION}/applications", headers=sandbox_headers).json()
    assert file["fileId"] not in {f["fileId"] for f in listed}
    by_applicant = {"applicantId": nation.demo_citizen_national_id}
    assert api.get(f"{REGISTRATION}/applications", by_applicant, headers=sandbox_headers).json() == []
    tasks = api.get(f"{REGISTRATION}/tasks", {"fileId": file["fileId"]}, headers=live_headers).json()
    assert tasks and api.get(f"{REGISTRATION}/tasks", headers=sandbox_headers).json() == []
    task_id = tasks[0]["taskId"]
    assert api.get(f"{REGISTRATION}/tasks/{task_id}", headers=sandbox_headers).status_code == 404


# --- Registries ---------------------------------------------------------------------------------------------------


@pytest.fixture
def registry_about(nation):
    """SSA's mother-and-child registry with a record about the demo citizen, written by SSA's live system."""
    _live, live_headers = system(agency="SSA", apis=("registries",), sandbox=False)
    body = {"groupName": "Test", "catalogName": "Mother and Child", "code": "MCTS", "schema": MCTS_SCHEMA}
    assert post(f"{REGISTRIES}/database/modify", body, live_headers).status_code == 200
    record = post(f"{DATA}/create", {"write": {"content": {
        "child": {"firstName": "Usha"}, "caretaker": {"id": nation.demo_citizen_national_id}, "visits": 1,
    }}}, live_headers).json()["content"]
    return record, live_headers


def sandbox_reads(record: dict, national_id: str) -> dict:
    _sandbox, headers = system(agency="SSA", apis=("registries",), sandbox=True)
    query = {"query": {"content": {"ID": record["ID"]}}}
    api = Client()
    return {
        "read": post(f"{DATA}/read", query, headers).status_code,
        "exists": post(f"{DATA}/exists", query, headers).json()["answer"]["status"],
        "list": [r["ID"] for r in api.get(DATA, headers=headers).json()["results"]],
        "value": api.get(f"{DATA}/{record['ID']}/readValue/visits.json", headers=headers).status_code,
        "usage": api.get(f"{REGISTRIES}/data/myPersonalDataUsage", {"userId": national_id, "databaseId": "MCTS"},
                         headers=headers).status_code,
    }


def test_a_sandbox_system_reads_records_about_synthetic_people(registry_about, nation):
    record, _live_headers = registry_about
    assert sandbox_reads(record, nation.demo_citizen_national_id) == {
        "read": 200, "exists": True, "list": [record["ID"]], "value": 200, "usage": 200,
    }


def test_a_sandbox_system_finds_no_record_about_a_real_person(registry_about, nation, citizen):
    record, live_headers = registry_about
    made_real(nation.demo_citizen_national_id)
    reads_before = AccessRecord.objects.filter(person_id=citizen.person_id).count()
    assert sandbox_reads(record, nation.demo_citizen_national_id) == {
        "read": 404, "exists": False, "list": [], "value": 404, "usage": 404,
    }
    assert AccessRecord.objects.filter(person_id=citizen.person_id).count() == reads_before
    # The agency's live system still reads it.
    assert post(f"{DATA}/read", {"query": {"content": {"ID": record["ID"]}}}, live_headers).status_code == 200


def test_a_sandbox_update_or_create_that_meets_a_real_persons_record_changes_nothing(registry_about, nation):
    record, live_headers = registry_about
    made_real(nation.demo_citizen_national_id)
    _sandbox, headers = system(agency="SSA", apis=("registries",), sandbox=True)
    body = {"query": {"content": {"ID": record["ID"]}}, "write": {"content": {"visits": 9}}}
    assert post(f"{DATA}/updateOrCreate", body, headers).status_code == 404
    read = post(f"{DATA}/read", {"query": {"content": {"ID": record["ID"]}}}, live_headers).json()["content"]
    assert read["visits"] == 1


# --- Messaging ----------------------------------------------------------------------------------------------------


def message(headers: dict, national_id: str):
    return post(MESSAGES, {"subject": "Hello", "body": "A test message.", "channels": ["inbox"],
                           "recipients": [{"nationalId": national_id}]}, headers)


def test_a_sandbox_system_messages_a_synthetic_person(nation):
    _account, headers = system(agency="SSA", apis=("messaging",), sandbox=True)
    assert message(headers, nation.demo_citizen_national_id).status_code == 202


def test_a_sandbox_system_cannot_message_a_real_person_and_learns_nothing(nation):
    account, headers = system(agency="SSA", apis=("messaging",), sandbox=True)
    made_real(nation.demo_citizen_national_id)
    real, unknown = message(headers, nation.demo_citizen_national_id), message(headers, UNKNOWN_NRIC)
    assert real.status_code == unknown.status_code == 400
    assert real.json() == unknown.json()
    assert "recipients.0.nationalId" in real.json()["error"]["fields"]
    assert not SendRequest.objects.filter(requested_by=account).exists()


def test_a_sandbox_system_cannot_email_a_real_person_through_the_spec_endpoint(nation):
    _account, headers = system(agency="SSA", apis=("messaging",), sandbox=True)
    made_real(nation.demo_citizen_national_id)
    body = {
        "senderInfo": {"organisationName": "Social Support Agency", "organisationRegNr": "GOV-SSA",
                       "replyTo": "help@ssa.example.gov"},
        "recipientInfo": {"nationalId": nation.demo_citizen_national_id, "name": "A Parent"},
        "emailContent": {"encoding": "UTF-8", "title": "Your appointment", "content": "See you on Monday."},
    }
    response = post("/api/govstack/messaging/v1/send/email/single", body, headers)
    assert response.status_code == 405  # the spec's InvalidInput, as for a number nobody has
    assert "recipients.0.nationalId" in response.json()["error"]["fields"]
