"""Schemathesis over the GovStack Digital Registries operations of DigiGov's OpenAPI document, sent in-process to
the WSGI application as an agency's calling system, with a real registry to aim at: no server errors, and every
answer has a documented status and fits its documented schema.

Bounded and deterministic (derandomised, a few examples per operation); raise FUZZ_EXAMPLES locally to
search harder."""

import json

import pytest
from django.test import Client

from tests.frontdoors.govstack.test_registries import MCTS_SCHEMA
from tests.fuzzing import DOCUMENTED, api_schema, bounded, examples

EXAMPLES = examples(20)
schema = api_schema(max_examples=EXAMPLES, path_regex="^/api/govstack/registries/", unexpected_method="PATCH")
# Aim every generated request at the registry the fixture creates, so that they reach its records' code.
schema.config.parameters = {"registryName": "MCTS", "versionNumber": "1.0"}


@pytest.fixture
def caller_headers(govstack_client_factory, db):
    """A calling system with a registry holding one record (made with Django's test client, which reconnects the
    request signals afterwards: the test asks for `in_test_transaction` after this)."""
    _account, headers = govstack_client_factory(agency="SSA", apis=("registries",))
    client, base = Client(), "/api/govstack/registries"
    body = {"code": "MCTS", "schema": MCTS_SCHEMA}
    client.post(f"{base}/database/modify", json.dumps(body), "application/json", headers=headers)
    record = {"write": {"content": {"child": {"firstName": "Usha"}, "visits": 1}}}
    client.post(f"{base}/data/MCTS/1.0/create", json.dumps(record), "application/json", headers=headers)
    return headers


@schema.parametrize()
@bounded(EXAMPLES)
def test_registries_answers_are_documented_and_never_server_errors(case, caller_headers, in_test_transaction):
    response = case.call(headers=caller_headers)
    case.validate_response(response, checks=DOCUMENTED)  # raises on an undocumented status, body or content type
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
