"""DigiGov's richer message API for calling systems: templates, email / SMS / inbox channels, recipients by national
ID, personalisation, scheduled sends, retries and idempotency. Email goes over real SMTP, SMS over HTTP to the
local provider stand-in; the worker's loop is run as `digigov worker` runs it."""

import datetime as dt
import email
import json

import pytest
from django.test import Client
from django.utils import timezone

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.messaging.models import Dispatch, Message, Template
from digigov.blocks.messaging.tasks import scheduled_sends_release
from digigov.blocks.registries.queries import person_contact_get
from digigov.platform.models import Event
from tests.blocks.messaging.standins import sms_provider_running

BASE = "/api/govstack/messaging/v1"
pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_provider(settings):
    yield from sms_provider_running(settings)


@pytest.fixture
def system(govstack_client_factory):
    return govstack_client_factory(agency="SSA", apis=("messaging",))


def send(headers: dict, body: dict, **more):
    return Client().post(f"{BASE}/messages", data=json.dumps(body), content_type="application/json",
                         headers={**headers, **more})


def status_of(headers: dict, uid: str) -> dict:
    return Client().get(f"{BASE}/messages/{uid}", headers=headers).json()


def retries_due() -> None:
    """The worker backs off after a failure; make the retry due now instead of waiting for it."""
    Event.objects.filter(dispatched_at__isnull=True).update(next_attempt_at=None)


def put_template(headers: dict, key: str, **body):
    body = {"subject": "Hello {{ name }}", "body": "Your slot: {{ slot }}.", **body}
    return Client().put(f"{BASE}/templates/{key}", data=json.dumps(body), content_type="application/json",
                        headers=headers)


def test_a_system_lists_only_its_agencys_templates(system, govstack_client_factory):
    _account, headers = system
    put_template(headers, "ssa-appointment")
    _other, other_headers = govstack_client_factory(agency="HSG", apis=("messaging",))
    put_template(other_headers, "hsg-viewing")
    response = Client().get(f"{BASE}/templates", headers=headers)
    assert response.status_code == 200
    assert {t["key"] for t in response.json()} == {"ssa-appointment"}  # not the platform's, not HSG's


@pytest.mark.parametrize("key", ["application-received", "hsg-viewing"])
def test_a_system_cannot_send_the_platforms_or_another_agencys_template(system, govstack_client_factory, key):
    _account, headers = system
    _other, other_headers = govstack_client_factory(agency="HSG", apis=("messaging",))
    put_template(other_headers, "hsg-viewing")
    Template.objects.get_or_create(key="application-received", language="en",
                                   defaults={"subject": "S {{ name }}", "body": "B"})
    response = send(headers, {"template": key, "channels": ["email"], "recipients": [{"email": "a@example.org"}]})
    assert response.status_code == 400
    assert "template" in response.json()["error"]["fields"]
    assert not Dispatch.objects.exists()


def test_a_system_creates_and_changes_its_agencys_templates_only(system):
    _account, headers = system
    assert put_template(headers, "ssa-appointment").status_code == 201
    changed = put_template(headers, "ssa-appointment", subject="Appointment for {{ name }}")
    assert changed.status_code == 200 and changed.json()["subject"] == "Appointment for {{ name }}"
    assert Template.objects.get(key="ssa-appointment").subject == "Appointment for {{ name }}"
    refused = put_template(headers, "application-received")
    assert refused.status_code == 403
    assert "{{" in Template.objects.get(key="application-received", language="en").subject  # unchanged


def test_a_template_with_template_tags_is_refused(system):
    _account, headers = system
    response = put_template(headers, "ssa-tagged", body="{% if x %}hi{% endif %}")
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_a_template_is_personalised_per_recipient_on_email_and_sms(system, smtp_server, sms_provider,
                                                                     deliver_events):
    _account, headers = system
    put_template(headers, "ssa-appointment")
    response = send(headers, {
        "template": "ssa-appointment", "channels": ["email", "sms"],
        "recipients": [
            {"email": "ana@example.org", "phone": "+65 8111 2222", "name": "Ana", "personalisation": {"slot": "9:00"}},
            {"email": "ben@example.org", "phone": "+6583334444", "name": "Ben", "personalisation": {"slot": "10:30"}},
        ],
    })
    assert response.status_code == 202, response.json()
    uid = response.json()["requestUid"]
    deliver_events()
    subjects = {m.rcpt_tos[0]: email.message_from_bytes(m.content)["Subject"] for m in smtp_server.messages}
    assert subjects == {"ana@example.org": "Hello Ana", "ben@example.org": "Hello Ben"}
    assert {(s.to, s.body) for s in sms_provider.messages} == {
        ("+6581112222", "Your slot: 9:00."), ("+6583334444", "Your slot: 10:30.")}
    detail = status_of(headers, uid)
    assert detail["counts"]["sent"] == 4
    sms = [r for r in detail["recipients"] if r["channel"] == "sms"]
    assert all(r["status"] == "sent" for r in sms)
    assert Dispatch.objects.filter(request_id=uid, channel="sms").exclude(provider_ref="").count() == 2


def test_a_person_named_by_national_id_gets_email_sms_and_the_inbox_from_the_registry(
    system, citizen, nation, smtp_server, sms_provider, deliver_events
):
    _account, headers = system
    response = send(headers, {
        "subject": "Dear {{ name }}", "body": "Your payment of {{ amount }} is on its way.",
        "channels": ["email", "sms", "inbox"],
        "recipients": [{"nationalId": nation.demo_citizen_national_id, "personalisation": {"amount": "$300"}}],
    })
    assert response.status_code == 202, response.json()
    deliver_events()
    contact = person_contact_get(person_id=citizen.person_id)
    assert [m.rcpt_tos for m in smtp_server.messages] == [[contact["email"]]]
    assert [s.to for s in sms_provider.messages] == [contact["mobile"].replace(" ", "")]
    message = Message.objects.get(person_id=citizen.person_id, subject=f"Dear {contact['full_name']}")
    assert message.body == "Your payment of $300 is on its way."
    assert message.deliveries.get().channel == "inbox"


def test_the_registry_name_is_not_sent_to_an_address_the_caller_chose(
    system, citizen, nation, smtp_server, sms_provider, deliver_events
):
    account, headers = system
    full_name = person_contact_get(person_id=citizen.person_id)["full_name"]
    response = send(headers, {
        "subject": "Dear {{ name }}", "body": "Hello {{ name }}.", "channels": ["email", "sms"],
        "recipients": [{"nationalId": nation.demo_citizen_national_id, "email": "me@caller.example",
                        "phone": "+6580000001"}],
    })
    assert response.status_code == 202, response.json()
    deliver_events()
    [sent] = smtp_server.messages
    assert sent.rcpt_tos == ["me@caller.example"]
    assert email.message_from_bytes(sent.content)["Subject"].strip() == "Dear"
    assert [s.body for s in sms_provider.messages] == ["Hello ."]
    assert full_name not in sent.content.decode()
    # Nothing was read from the registry for it: the caller gave every address and no name was needed.
    assert not AccessRecord.objects.filter(person_id=citizen.person_id, accessor_id=account.pk).exists()


def test_the_callers_own_name_personalises_a_message_to_an_address_it_chose(system, nation, smtp_server,
                                                                             deliver_events):
    _account, headers = system
    send(headers, {"subject": "Dear {{ name }}", "body": "B", "channels": ["email"], "recipients": [
        {"nationalId": nation.demo_citizen_national_id, "email": "me@caller.example", "name": "Ana"}]})
    deliver_events()
    assert email.message_from_bytes(smtp_server.messages[0].content)["Subject"] == "Dear Ana"


def test_a_scheduled_message_goes_out_only_when_due(system, smtp_server, deliver_events):
    _account, headers = system
    send_at = timezone.now() + dt.timedelta(days=1)
    response = send(headers, {"subject": "Reminder", "body": "Tomorrow.", "channels": ["email"],
                              "recipients": [{"email": "later@example.org"}], "sendAt": send_at.isoformat()})
    uid = response.json()["requestUid"]
    assert response.json()["counts"]["scheduled"] == 1
    deliver_events()
    assert scheduled_sends_release() == 0
    assert smtp_server.messages == []
    # The day passes: the worker's next turn releases it and sends it.
    Dispatch.objects.filter(request_id=uid).update(send_at=timezone.now() - dt.timedelta(seconds=1))
    assert scheduled_sends_release() == 1
    deliver_events()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["later@example.org"]]
    assert scheduled_sends_release() == 0
    assert status_of(headers, uid)["counts"]["sent"] == 1


def test_an_sms_provider_outage_is_retried_and_the_message_sent_once(system, sms_provider, deliver_events):
    _account, headers = system
    sms_provider.fail_next(1)
    uid = send(headers, {"body": "Code 4321", "channels": ["sms"], "recipients": [{"phone": "+6581234567"}]}
               ).json()["requestUid"]
    deliver_events()
    [first] = status_of(headers, uid)["recipients"]
    assert (first["status"], first["attempts"]) == ("pending", 1) and "503" in first["error"]
    assert status_of(headers, uid)["counts"]["retrying"] == 1
    retries_due()
    deliver_events()
    assert status_of(headers, uid)["recipients"][0]["status"] == "sent"
    assert len(sms_provider.messages) == 1


def test_a_number_the_provider_refuses_is_bounced_without_retrying(system, sms_provider, deliver_events):
    _account, headers = system
    uid = send(headers, {"body": "Hi", "channels": ["sms"], "recipients": [{"phone": "+15005550001"}]}
               ).json()["requestUid"]
    deliver_events()
    [dispatch] = status_of(headers, uid)["recipients"]
    assert (dispatch["status"], dispatch["attempts"]) == ("bounced", 1)
    assert "21211" in dispatch["error"]


def test_after_five_failed_attempts_the_message_is_reported_not_sent(system, sms_provider, deliver_events):
    _account, headers = system
    sms_provider.fail_next(5)
    uid = send(headers, {"body": "Hi", "channels": ["sms"], "recipients": [{"phone": "+6581234567"}]}
               ).json()["requestUid"]
    for _attempt in range(5):
        deliver_events()
        retries_due()
    [dispatch] = status_of(headers, uid)["recipients"]
    assert (dispatch["status"], dispatch["attempts"]) == ("failed", 5)
    assert status_of(headers, uid)["counts"]["failed"] == 1
    assert sms_provider.messages == []


def test_a_retried_request_sends_once_and_a_reused_key_for_another_request_conflicts(
    system, smtp_server, deliver_events
):
    _account, headers = system
    body = {"subject": "S", "body": "B", "channels": ["email"], "recipients": [{"email": "once@example.org"}]}
    first = send(headers, body, **{"Idempotency-Key": "run-7"})
    again = send(headers, body, **{"Idempotency-Key": "run-7"})
    assert first.status_code == again.status_code == 202
    assert first.json()["requestUid"] == again.json()["requestUid"]
    deliver_events()
    assert len(smtp_server.messages) == 1
    other = send(headers, {**body, "body": "Different"}, **{"Idempotency-Key": "run-7"})
    assert other.status_code == 409


def test_a_person_without_an_address_on_record_is_reported_not_sent_while_the_others_go(
    system, nation, other_citizen, smtp_server, deliver_events
):
    from digigov.blocks.registries.models import Person  # the test arranges the registry record itself

    _account, headers = system
    Person.objects.filter(pk=other_citizen.person_id).update(email="")
    uid = send(headers, {"subject": "S", "body": "B", "channels": ["email"],
                         "recipients": [{"nationalId": nation.demo_spouse_national_id}, {"email": "ok@example.org"}]}
               ).json()["requestUid"]
    deliver_events()
    statuses = [(r["recipient"], r["status"]) for r in status_of(headers, uid)["recipients"]]
    assert statuses == [(0, "failed"), (1, "sent")]
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ok@example.org"]]


@pytest.mark.parametrize("body,field", [
    ({"subject": "S", "body": "B", "channels": [], "recipients": [{"email": "a@example.org"}]}, "channels"),
    ({"subject": "S", "body": "B", "channels": ["fax"], "recipients": [{"email": "a@example.org"}]}, "channels.0"),
    ({"subject": "S", "body": "B", "channels": ["inbox"], "recipients": [{"email": "a@example.org"}]}, "request"),
    ({"subject": "S", "body": "B", "channels": ["sms"], "recipients": [{"email": "a@example.org"}]}, "request"),
    ({"body": "B", "channels": ["email"], "recipients": [{"email": "a@example.org"}]}, "request"),
    ({"subject": "S", "body": "B", "channels": ["sms"], "recipients": [{"phone": "81234567"}]}, "recipients.0.phone"),
    ({"subject": "S", "body": "B", "channels": ["email"], "recipients": []}, "recipients"),
    ({"subject": "S", "body": "B", "channels": ["email"], "recipients": [{"email": "a@example.org"}],
      "sendAt": "2026-12-24T09:00:00"}, "request"),
    ({"template": "no-such-template", "channels": ["email"], "recipients": [{"email": "a@example.org"}]},
     "template"),
    ({"subject": "S", "body": "{% load x %}", "channels": ["email"], "recipients": [{"email": "a@example.org"}]},
     "body"),
    ({"subject": "S", "body": "B", "channels": ["email"], "recipients": [{"email": "a@example.org"}],
      "callbackUrl": "https://unregistered.example.org/hook"}, "callback"),
])
def test_invalid_message_requests_are_refused_with_the_field(system, body, field):
    _account, headers = system
    response = send(headers, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert not Dispatch.objects.exists()


def test_another_agencys_request_is_not_found(system, govstack_client_factory):
    _account, headers = system
    uid = send(headers, {"subject": "S", "body": "B", "channels": ["email"],
                         "recipients": [{"email": "a@example.org"}]}).json()["requestUid"]
    _other, other_headers = govstack_client_factory(agency="HSG", apis=("messaging",))
    assert Client().get(f"{BASE}/messages/{uid}", headers=other_headers).status_code == 404
    assert Client().get(f"{BASE}/messages/not-a-uuid", headers=headers).status_code == 404
    assert Client().get(f"{BASE}/messages/{uid}").status_code == 401


def test_templates_load_from_a_fixture_through_the_same_action(system):
    from django.test import RequestFactory

    from digigov.frontdoors.govstack.access import GovStackAuth
    from digigov.frontdoors.govstack.messaging import fixture_load

    _account, headers = system
    caller = GovStackAuth("messaging")(RequestFactory().get("/", headers=headers))
    counts = fixture_load(caller=caller, data={"templates": [
        {"key": "ssa-welcome", "subject": "Welcome {{ name }}", "body": "Hello."},
        {"key": "ssa-welcome", "language": "ms", "subject": "Selamat datang {{ name }}", "body": "Halo."},
    ]})
    assert counts == {"templates": 2}
    assert set(Template.objects.filter(key="ssa-welcome").values_list("language", flat=True)) == {"en", "ms"}
