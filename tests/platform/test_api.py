"""The API's contract: one error shape, no 500 for malformed input, the right 401/403/404."""

import json

import pytest
from django.test import Client

from tests.support import entered_answers, signed_in_client


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def _apply(client, service, *, key="api-key-0001", body=None, **extra):
    payload = (
        body if body is not None else json.dumps({"answers": entered_answers(service), "consent_to_prefill": True})
    )
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/services/{service.slug}/applications", payload, content_type="application/json", **headers, **extra
    )


def test_the_openapi_document_and_docs_are_served(db):
    client = Client()
    document = client.get("/api/openapi.json").json()
    assert "/api/services/{slug}/applications" in document["paths"]
    assert "/api/kpi/summary" in document["paths"]
    assert client.get("/api/docs").status_code == 200


def test_apply_over_the_api_prefills_and_is_idempotent(citizen, baby_bonus):
    client = signed_in_client(citizen)
    first = _apply(client, baby_bonus, key="api-retry-1")
    again = _apply(client, baby_bonus, key="api-retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert first.json()["prefilled"] is True
    whole = client.get(first.json()["url"]).json()
    assert whole["reference"] == first.json()["reference"]
    assert {a["source"] for a in whole["answers"].values()} == {"verified", "entered"}
    listed = client.get("/api/applications").json()
    assert [a["reference"] for a in listed].count(first.json()["reference"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        json.dumps({"answers": "nope", "consent_to_prefill": True}),
        json.dumps({"answers": {}}),
        json.dumps({"answers": {}, "consent_to_prefill": "maybe"}),
        "",
    ],
)
def test_malformed_bodies_get_a_400_in_the_one_error_shape(citizen, baby_bonus, body):
    response = _apply(signed_in_client(citizen), baby_bonus, body=body)
    assert response.status_code == 400
    assert _error(response)["code"] in {"validation_failed", "bad_request"}


def test_wrong_answers_come_back_per_field(citizen, baby_bonus):
    answers = {**entered_answers(baby_bonus), "no_such_question": "x"}
    response = _apply(
        signed_in_client(citizen), baby_bonus, body=json.dumps({"answers": answers, "consent_to_prefill": True})
    )
    assert response.status_code == 400
    assert "no_such_question" in _error(response)["fields"]


def test_a_missing_idempotency_key_is_refused(citizen, baby_bonus):
    response = _apply(signed_in_client(citizen), baby_bonus, key=None)
    assert response.status_code == 400
    assert _error(response)["fields"]


def test_anonymous_callers_get_401(baby_bonus):
    response = _apply(Client(), baby_bonus)
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert Client().get("/api/applications").status_code == 401


def test_unknown_service_and_unknown_route_get_404(citizen):
    client = signed_in_client(citizen)
    assert _error(client.get("/api/services/no-such-service"))["code"] == "not_found"
    assert client.get("/api/no/such/route").status_code == 404


def test_a_citizen_cannot_read_another_citizens_application_by_id(other_citizen, submitted_application):
    response = signed_in_client(other_citizen).get(f"/api/applications/{submitted_application.pk}")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_malformed_id_is_a_clear_error_not_a_500(citizen):
    response = signed_in_client(citizen).get("/api/applications/not-a-uuid")
    assert response.status_code in {400, 404}
    _error(response)


def test_citizens_cannot_use_officer_endpoints(citizen):
    response = signed_in_client(citizen).get("/api/tasks")
    assert response.status_code == 403
    assert _error(response)["code"] == "not_permitted"


def test_officers_without_the_second_factor_cannot_use_officer_endpoints(ssa_officer):
    client = Client()
    client.force_login(ssa_officer, backend="digigov.blocks.identity.backends.SignInIdBackend")
    assert client.get("/api/tasks").status_code == 403


def test_officers_see_only_their_agencys_tasks(submitted_application, ssa_officer, hsg_officer, deliver_events):
    deliver_events()
    ssa_refs = [t["reference"] for t in signed_in_client(ssa_officer).get("/api/tasks").json()]
    hsg_refs = [t["reference"] for t in signed_in_client(hsg_officer).get("/api/tasks").json()]
    assert submitted_application.reference in ssa_refs
    assert submitted_application.reference not in hsg_refs


def test_an_officer_of_another_agency_cannot_decide_by_task_id(submitted_application, hsg_officer, deliver_events):
    from digigov.blocks.workflow.models import Task

    deliver_events()
    task = Task.objects.get(application_id=submitted_application.pk)
    client = signed_in_client(hsg_officer)
    assert client.post(f"/api/tasks/{task.pk}/claim", content_type="application/json").status_code == 404
    response = client.post(
        f"/api/tasks/{task.pk}/decision", json.dumps({"outcome": "approve"}), content_type="application/json"
    )
    assert response.status_code == 404


def test_csrf_is_enforced_for_session_writes(citizen, baby_bonus):
    client = signed_in_client(citizen)
    client.handler.enforce_csrf_checks = True
    response = _apply(client, baby_bonus, key="csrf-check-1")
    assert response.status_code == 403
    assert _error(response)["code"] in {"not_permitted", "csrf_failed"}


def test_security_headers_are_set(db):
    response = Client().get("/api/kpi/summary")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Request-Id"]
