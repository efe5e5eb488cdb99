"""Idempotency under real concurrency: the same submission sent many times at once, with the same key, to a
real server with several worker processes, through the API and through the portal's form, makes one
application and one event; every caller is told about that one application."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability.harness import Server, new_key, platform_create

RETRIES = 8

COUNT = """
import json, os
from digigov.blocks.services.models import Application, ApplicationStep
from digigov.platform.models import Event
key = os.environ["HARNESS_KEY"]
ids = [str(i) for i in Application.objects.filter(idempotency_key=key).values_list("id", flat=True)]
events = [e for e in Event.objects.filter(type="application.submitted") if e.payload["application_id"] in ids]
steps = ApplicationStep.objects.filter(application_id__in=ids, status="submitted").count()
print("HARNESS " + json.dumps({"applications": ids, "events": len(events), "submitted_steps": steps}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    platform = platform_create(folder=tmp_path_factory.mktemp("idempotency"), accounts=2)
    server = Server(platform, workers=2, threads=4)
    server.start()
    yield server
    server.kill()
    platform.close()


def _at_once(call, times: int) -> list:
    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(lambda _i: call(), range(times)))


def test_concurrent_api_retries_with_one_key_make_one_application(server):
    session, key, answers = server.platform.sessions[0], new_key(), server.service_answers()
    results = _at_once(lambda: server.apply(session=session, key=key, answers=answers, timeout=30), RETRIES)

    assert {status for status, _body in results} <= {200, 201}, results
    assert [status for status, _body in results].count(201) == 1
    assert len({body["id"] for _status, body in results}) == 1
    state = server.platform.shell(COUNT, HARNESS_KEY=key)
    assert state["applications"] == [results[0][1]["id"]]
    assert state["events"] == 1 and state["submitted_steps"] == 1


def test_concurrent_portal_form_submissions_with_one_key_make_one_application(server):
    session = server.platform.sessions[1]
    status, consent_url, _body = server.page("GET", "/services/baby-bonus/apply/", session=session)
    assert status == 302 and consent_url.endswith("/consent/"), consent_url
    status, form_url, _body = server.page("POST", consent_url, session=session, form={"decision": "granted"})
    assert status == 302, _body[:300]
    _status, _location, form = server.page("GET", form_url, session=session)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    answers = {**server.service_answers(), "idempotency_key": key, "action": "submit"}

    results = _at_once(lambda: server.page("POST", form_url, session=session, form=answers), RETRIES)

    assert {status for status, _location, _body in results} == {302}, [r[:2] for r in results]
    assert len({location for _status, location, _body in results}) == 1
    state = server.platform.shell(COUNT, HARNESS_KEY=key)
    assert len(state["applications"]) == 1
    assert state["events"] == 1 and state["submitted_steps"] == 1
