"""GovStack Messaging over DigiGov's messaging block: single and batch email, status by request id and the reply
callback, in both published spellings, as a calling system sees them over HTTP; the emails go over real SMTP."""

import base64
import email
import json

import pytest
from django.test import Client

from digigov.blocks.audit.queries import entries_for_object
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.messaging.models import Dispatch, Message, Reply, SendRequest
from digigov.blocks.registries.queries import person_contact_get

BASE = "/api/govstack/messaging/v1"
# The example of batchRecipientInfo.batchEmailAsBase64 in the Messaging spec (both versions): two recipients.
SPEC_BATCH_EXAMPLE = (
    "W3sKCSJyZWNpcGllbnRJbmZvIjogewoJCSJlbWFpbCI6ICJjdXN0b21lckBleGFtcGxlLmNvbSIsCgkJImVtYWlsQ0MiOiAiY3Vz"
    "dG9tZXItY2NAZXhhbXBsZS5jb20iLAoJCSJlbWFpbEJDQyI6ICJjdXN0b21lci1iY2NAZXhhbXBsZS5jb20iLAoJCSJuYW1lIjog"
    "IkV4YW1wbGUgQ3VzdG9tZXIiCgl9Cn0sIHsKCSJyZWNpcGllbnRJbmZvIjogewoJCSJlbWFpbCI6ICJkZWFyLWN1c3RvbWVyQGV4"
    "YW1wbGUuY29tIiwKCQkibmFtZSI6ICJVbmtub3duIEN1c3RvbWVyIgoJfQp9XQ=="
)
pytestmark = pytest.mark.django_db


@pytest.fixture
def system(govstack_client_factory):
    account, headers = govstack_client_factory(agency="SSA", apis=("messaging",))
    return account, headers


def single(email_address="parent@example.org", **extra) -> dict:
    return {
        "senderInfo": {"organisationName": "Social Support Agency", "organisationRegNr": "GOV-SSA",
                       "replyTo": "help@ssa.example.gov"},
        "recipientInfo": {"email": email_address, "name": "A Parent", **extra.pop("recipient", {})},
        "emailContent": {"encoding": "UTF-8", "title": "Your appointment", "content": "See you on Monday."},
        **extra,
    }


def post(path: str, body, headers: dict, **more):
    return Client().post(f"{BASE}{path}", data=json.dumps(body), content_type="application/json",
                         headers={**headers, **more})


def batch_of(*recipients: dict) -> str:
    return base64.b64encode(json.dumps([{"recipientInfo": r} for r in recipients]).encode()).decode()


def test_a_single_email_is_accepted_with_a_request_id_in_both_spellings(system):
    account, headers = system
    response = post("/send/email/single", single(), headers)
    assert response.status_code == 200
    body = response.json()
    assert body["requestUid"] == body["requestUID"]
    assert "requestUid" in body["response"]
    request = SendRequest.objects.get(pk=body["requestUid"])
    assert request.requested_by == account and request.agency.code == "SSA" and request.kind == "single"
    assert entries_for_object(object_type="send_request", object_id=request.pk).get().actor_id == account.pk


def test_the_worker_sends_the_single_email_over_smtp_and_the_status_says_delivered(
    system, smtp_server, deliver_events
):
    _account, headers = system
    body = single(recipient={"emailCC": "other@example.org", "emailBCC": "hidden@example.org"})
    uid = post("/send/email/single", body, headers).json()["requestUid"]
    status = Client().get(f"{BASE}/status/email?status=processing&status=delivered", headers={**headers,
                          "requestUid": uid})
    assert status.json() == {"processing": 1, "delivered": 0}
    deliver_events()
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert sorted(envelope.rcpt_tos) == ["hidden@example.org", "other@example.org", "parent@example.org"]
    sent = email.message_from_bytes(envelope.content)
    assert sent["Subject"] == "Your appointment" and sent["Reply-To"] == "help@ssa.example.gov"
    assert "Bcc" not in sent
    status = Client().get(f"{BASE}/status/email", {"status": ["delivered", "processing", "notSent"]},
                          headers={**headers, "requestUid": uid})
    assert status.status_code == 200
    assert status.json() == {"delivered": 1, "processing": 0, "notSent": 0}


def test_the_2023_spellings_of_the_status_request_are_answered_in_kind(system, smtp_server, deliver_events):
    _account, headers = system
    uid = post("/send/email/single", single(), headers).json()["requestUID"]
    deliver_events()
    response = Client().get(f"{BASE}/status/email", {"status": ["not sent", "delivered"]},
                            headers={**headers, "requestUID": uid})
    assert response.status_code == 200
    assert response.json() == {"not_sent": 0, "delivered": 1}


def test_the_specs_own_api_key_header_is_accepted(system):
    _account, headers = system
    key = headers["Authorization"]
    assert post("/send/email/single", single(), {"apiKey": key}).status_code == 200
    assert post("/send/email/single", single(), {"Api-Key": key}).status_code == 200


def test_a_batch_goes_to_every_recipient_with_one_status_per_recipient(system, smtp_server, deliver_events):
    _account, headers = system
    recipients = batch_of({"email": "one@example.org", "name": "One"}, {"email": "two@example.org"},
                          {"email": "three@example.org", "emailCC": "cc3@example.org"})
    body = {"senderInfo": {"organisationName": "SSA"}, "recipientInfo": {"batchEmailAsBase64": recipients},
            "emailContent": {"title": "Office closed", "content": "Closed on Friday."}}
    response = post("/send/email/batch", body, headers)
    assert response.status_code == 200
    uid = response.json()["requestUid"]
    assert Dispatch.objects.filter(request_id=uid).count() == 3
    deliver_events()
    assert sorted(a for m in smtp_server.messages for a in m.rcpt_tos) == [
        "cc3@example.org", "one@example.org", "three@example.org", "two@example.org"]
    detail = Client().get(f"{BASE}/messages/{uid}", headers=headers).json()
    assert [(r["recipient"], r["status"]) for r in detail["recipients"]] == [(0, "sent"), (1, "sent"), (2, "sent")]


def test_the_specs_own_batch_example_is_accepted(system):
    _account, headers = system
    body = {"recipientInfo": {"batchEmailAsBase64": SPEC_BATCH_EXAMPLE}, "emailContent": {"title": "T", "content": "C"},
            "callbackUri": None}
    response = post("/send/email/batch", body, headers)
    assert response.status_code == 200, response.json()
    assert Dispatch.objects.filter(request_id=response.json()["requestUid"]).count() == 2


def test_a_retried_request_with_the_same_idempotency_key_sends_once(system, smtp_server, deliver_events):
    _account, headers = system
    first = post("/send/email/single", single(), headers, **{"Idempotency-Key": "appt-42"})
    again = post("/send/email/single", single(), headers, **{"Idempotency-Key": "appt-42"})
    assert first.json()["requestUid"] == again.json()["requestUid"]
    deliver_events()
    assert len(smtp_server.messages) == 1
    other = post("/send/email/single", single("else@example.org"), headers, **{"Idempotency-Key": "appt-42"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "conflict"


def test_a_person_named_by_national_id_gets_the_email_at_their_registered_address_and_in_their_inbox(
    system, citizen, nation, smtp_server, deliver_events
):
    account, headers = system
    body = single(recipient={"email": None, "nationalId": nation.demo_citizen_national_id})
    del body["recipientInfo"]["email"]
    response = post("/send/email/single", body, headers)
    assert response.status_code == 200, response.json()
    deliver_events()
    contact = person_contact_get(person_id=citizen.person_id)
    assert [m.rcpt_tos for m in smtp_server.messages] == [[contact["email"]]]
    message = Message.objects.get(person_id=citizen.person_id, subject="Your appointment")
    assert message.body == "See you on Monday."
    # The registry read behind it is in the person's "who accessed my data".
    record = AccessRecord.objects.filter(person_id=citizen.person_id, accessor_id=account.pk).get()
    assert "person.email" in record.elements


@pytest.mark.parametrize("body,field", [
    ({"emailContent": {"title": "T", "content": "C"}}, "recipientInfo"),
    ({"recipientInfo": {"email": "a@example.org"}}, "emailContent"),
    ({"recipientInfo": {"email": "not-an-address"}, "emailContent": {"title": "T", "content": "C"}},
     "recipientInfo.email"),
    ({"recipientInfo": {"name": "No Address"}, "emailContent": {"title": "T", "content": "C"}}, "recipientInfo"),
    ({"recipientInfo": {"email": "a@example.org"}, "emailContent": {"title": 5, "content": "C"}},
     "emailContent.title"),
    ({"recipientInfo": {"email": "a@example.org"}, "emailContent": {"title": "", "content": "C"}},
     "emailContent.title"),
    ({"recipientInfo": "a@example.org", "emailContent": {"title": "T", "content": "C"}}, "recipientInfo"),
])
def test_invalid_single_emails_are_answered_405_as_the_spec_says(system, body, field):
    _account, headers = system
    response = post("/send/email/single", body, headers)
    assert response.status_code == 405
    error = response.json()
    assert error["error"]["code"] == "invalid_input" and error["detail"]
    assert any(name.startswith(field) for name in error["error"]["fields"]), error
    assert not SendRequest.objects.exists()


@pytest.mark.parametrize("payload", ["not base64!", base64.b64encode(b"{}").decode(), batch_of(),
                                     batch_of({"email": "ok@example.org"}, {"email": "broken"}),
                                     batch_of({"email": "ok@example.org", "name": "Nul\x00"})])
def test_invalid_batches_are_answered_405(system, payload):
    _account, headers = system
    body = {"recipientInfo": {"batchEmailAsBase64": payload}, "emailContent": {"title": "T", "content": "C"}}
    response = post("/send/email/batch", body, headers)
    assert response.status_code == 405
    assert "recipientInfo.batchEmailAsBase64" in response.json()["error"]["fields"]


def test_an_overlong_idempotency_key_is_refused(system):
    _account, headers = system
    response = post("/send/email/single", single(), headers, **{"Idempotency-Key": "k" * 201})
    assert response.status_code == 400
    assert not SendRequest.objects.exists()


def test_a_body_that_is_not_json_is_a_bad_request(system):
    _account, headers = system
    response = Client().post(f"{BASE}/send/email/single", data="{not json", content_type="application/json",
                             headers=headers)
    assert response.status_code == 400


def test_an_unknown_national_id_is_invalid_input(system):
    _account, headers = system
    body = single(recipient={"nationalId": "S0000000A"})
    response = post("/send/email/single", body, headers)
    assert response.status_code == 405
    assert "recipients.0.nationalId" in response.json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/send/email/single", "/send/email/batch", "/callback/email"])
def test_writes_without_credentials_are_refused(path):
    response = Client().post(f"{BASE}{path}", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_wrong_key_is_refused():
    response = post("/send/email/single", single(), {"Authorization": "dg_nope_nope"})
    assert response.status_code == 401


def test_a_system_not_registered_for_messaging_is_forbidden(govstack_client_factory):
    _account, headers = govstack_client_factory(agency="SSA", apis=("registries",))
    assert post("/send/email/single", single(), headers).status_code == 403
    assert Client().get(f"{BASE}/status/email?status=delivered", headers={**headers, "requestUid": "x"}
                        ).status_code == 403


def test_status_of_an_unknown_or_another_agencys_request_is_not_found(system, govstack_client_factory):
    _account, headers = system
    uid = post("/send/email/single", single(), headers).json()["requestUid"]
    _other, other_headers = govstack_client_factory(agency="HSG", apis=("messaging",))
    for who, request_uid in ((headers, "7d5f9a52-8c1e-4e0e-9a55-000000000000"), (headers, "nonsense"),
                             (other_headers, uid)):
        response = Client().get(f"{BASE}/status/email?status=delivered", headers={**who, "requestUid": request_uid})
        assert response.status_code == 404
        assert response.json()["detail"]


@pytest.mark.parametrize("query,extra_headers", [
    ("", {"requestUid": "x"}),  # status is required
    ("?status=sent", {"requestUid": "x"}),  # not one of the spec's words
    ("?status=delivered", {}),  # requestUid is required
])
def test_invalid_status_requests_are_answered_405(system, query, extra_headers):
    _account, headers = system
    response = Client().get(f"{BASE}/status/email{query}", headers={**headers, **extra_headers})
    assert response.status_code == 405, response.json()


def test_the_status_words_may_be_comma_separated(system):
    _account, headers = system
    uid = post("/send/email/single", single(), headers).json()["requestUid"]
    response = Client().get(f"{BASE}/status/email?status=processing,scheduled", headers={**headers,
                            "requestUid": uid})
    assert response.json() == {"processing": 1, "scheduled": 0}


def test_a_reply_is_recorded_against_the_request(system):
    account, headers = system
    uid = post("/send/email/single", single(), headers).json()["requestUid"]
    content = base64.b64encode(b'{"answer": "I will come"}').decode()
    response = post("/callback/email", {"meta": "reply", "content": content}, headers, requestUid=uid)
    assert response.status_code == 200
    assert response.json()["requestUid"] == uid
    reply = Reply.objects.get(request_id=uid)
    assert bytes(reply.content) == b'{"answer": "I will come"}' and reply.meta == "reply"
    assert reply.received_from == account
    assert entries_for_object(object_type="reply", object_id=reply.pk).exists()


def test_a_reply_to_an_unknown_request_is_not_found_and_bad_content_is_invalid(system):
    _account, headers = system
    content = base64.b64encode(b"hello").decode()
    unknown = post("/callback/email", {"content": content}, headers, requestUid="7d5f9a52-8c1e-4e0e-9a55-0000000000ff")
    assert unknown.status_code == 404
    uid = post("/send/email/single", single(), headers).json()["requestUid"]
    assert post("/callback/email", {"content": "%%%"}, headers, requestUid=uid).status_code == 405
    assert post("/callback/email", {"meta": "no content"}, headers, requestUid=uid).status_code == 405
    assert post("/callback/email", {"content": content}, headers).status_code == 405  # no requestUid
    assert not Reply.objects.exists()


def test_the_openapi_document_describes_the_govstack_operations_with_their_schemas():
    document = Client().get("/api/openapi.json").json()
    operations = {op["operationId"]: (path, method) for path, item in document["paths"].items()
                  for method, op in item.items() if path.startswith(BASE)}
    for operation_id in ("sendSingleEmail", "sendBatchEmail", "callbackEmail", "getEmailStatus"):
        assert operation_id in operations
    single_op = document["paths"][f"{BASE}/send/email/single"]["post"]
    assert set(single_op["responses"]) >= {"200", "405"}
    assert single_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/EmailIn")


@pytest.mark.parametrize("copies", [{"emailCC": "me@caller.example"}, {"emailBCC": "me@caller.example"}])
def test_copies_of_an_email_to_the_address_on_record_are_refused(system, nation, copies):
    _account, headers = system
    body = single(recipient={"nationalId": nation.demo_citizen_national_id, **copies})
    del body["recipientInfo"]["email"]
    response = post("/send/email/single", body, headers)
    assert response.status_code == 405  # the copy would show the person's registered address
    assert "recipients.0.emailCC" in response.json()["error"]["fields"]
    assert not SendRequest.objects.exists() and not AccessRecord.objects.filter(accessor_id=_account.pk).exists()


def test_a_batch_with_copies_to_an_address_on_record_is_refused(system, nation):
    _account, headers = system
    recipients = batch_of({"email": "one@example.org"},
                          {"nationalId": nation.demo_citizen_national_id, "emailBCC": "me@caller.example"})
    body = {"recipientInfo": {"batchEmailAsBase64": recipients}, "emailContent": {"title": "T", "content": "C"}}
    response = post("/send/email/batch", body, headers)
    assert response.status_code == 405
    assert "recipients.1.emailCC" in response.json()["error"]["fields"]
    assert not SendRequest.objects.exists()


def test_copies_are_allowed_when_the_caller_gives_the_address_itself(system, nation, smtp_server, deliver_events):
    _account, headers = system
    body = single(recipient={"nationalId": nation.demo_citizen_national_id, "emailCC": "me@caller.example"})
    assert post("/send/email/single", body, headers).status_code == 200
    deliver_events()
    assert sorted(smtp_server.messages[0].rcpt_tos) == ["me@caller.example", "parent@example.org"]


def test_the_email_status_counts_emails_only_not_the_inbox_copy(system, citizen, nation, smtp_server, deliver_events):
    _account, headers = system
    body = single(recipient={"nationalId": nation.demo_citizen_national_id})
    del body["recipientInfo"]["email"]
    uid = post("/send/email/single", body, headers).json()["requestUid"]
    assert Dispatch.objects.filter(request_id=uid).count() == 2  # email and inbox
    deliver_events()
    response = Client().get(f"{BASE}/status/email?status=delivered&status=processing",
                            headers={**headers, "requestUid": uid})
    assert response.json() == {"delivered": 1, "processing": 0}
