"""Fuzzing the messaging operations (GovStack and DigiGov's own) from the OpenAPI document: schemathesis generates
valid and malformed requests, sent in-process to the WSGI application by an authenticated calling system. No
answer may be a server error, and every answer must be a documented status with a body of the documented schema.

Bounded and deterministic (FUZZ_EXAMPLES per operation, derandomised), so it runs on every `make test`."""

import pytest

from tests.fuzzing import DOCUMENTED, api_schema, bounded, examples

FUZZ_EXAMPLES = examples(20)
schema = api_schema(max_examples=FUZZ_EXAMPLES, path_regex=r"^/api/govstack/messaging/v1/")
pytestmark = pytest.mark.usefixtures("in_test_transaction")


@pytest.fixture
def caller_headers(govstack_client_factory):
    _account, headers = govstack_client_factory(agency="SSA", apis=("messaging",))
    return headers


@schema.parametrize()
@bounded(FUZZ_EXAMPLES)
def test_messaging_answers_are_documented_and_never_server_errors(case, caller_headers):
    response = case.call(headers=caller_headers)
    case.validate_response(response, checks=DOCUMENTED)  # raises on an undocumented status, body or content type
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
