"""Fuzzing the GovStack Registration API: schemathesis generates requests (valid and malformed) for each of its
operations from DigiGov's OpenAPI document and sends them in-process to the WSGI application as a case-work
system of the Social Support Agency. No answer may be a server error, use a status code the document does not
list for the operation, or break the documented response schema. The budget is bounded and deterministic."""

import pytest

from tests.fuzzing import DOCUMENTED, api_schema, bounded, examples

FUZZ_EXAMPLES = examples(20)
schema = api_schema(max_examples=FUZZ_EXAMPLES, path_regex="^/api/govstack/registration/")


@pytest.fixture
def operator_headers(in_test_transaction, govstack_client_factory):
    _account, headers = govstack_client_factory(agency="SSA", apis=("registration",), roles=("case_officer",))
    return headers


@pytest.fixture
def known_ids(baby_bonus):
    """Real ids to put in generated paths, so requests reach the checks behind "not found" (answers,
    applicants, documents) as well; unknown ids are the contract tests' business."""
    return {"serviceId": str(baby_bonus.public_id), "eFormId": str(baby_bonus.eform_id)}


@schema.parametrize()
@bounded(FUZZ_EXAMPLES)
def test_registration_answers_every_request_as_documented(case, operator_headers, known_ids):
    for name, value in known_ids.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = value
    response = case.call(headers=operator_headers)
    case.validate_response(response, checks=DOCUMENTED)  # raises on an undocumented status, body or content type
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
