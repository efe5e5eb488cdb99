"""Contract tests of the Digital Registries API's createEntries (both spellings), and of the answers that must
neither fail on malformed input nor tell a calling system more than the records it was shown."""

import base64
import json

import pytest
from django.test import Client

from digigov.blocks.consent import queries as consent_queries
from digigov.blocks.registries.models import RegistryRecord

BASE = "/api/govstack/registries"
SCHEMA = {
    "type": "object",
    "properties": {
        "ID": {"type": "string", "primaryKey": True},
        "child": {"type": "object", "properties": {"firstName": {"type": "string"}}, "required": ["firstName"]},
        "caretaker": {"type": "object", "properties": {"id": {"type": "string", "nationalId": True}}},
        "certificate": {"type": "object"},
    },
    "required": ["child"],
}


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def headers(govstack_client_factory):
    return govstack_client_factory(agency="SSA", apis=("registries",))[1]


def post(client, url, body, headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def modify(client, headers, version="1.0", **body):
    response = post(client, f"{BASE}/database/modify", {"code": "MCTS", "version": version, **body}, headers)
    assert response.status_code == 200, response.content
    return response


@pytest.fixture
def mcts(client, headers):
    return modify(client, headers, schema=SCHEMA)


ENTRIES = {
    "write": [{"content": {"child": {"firstName": "Usha"}}}, {"content": {"ID": "M7", "child": {"firstName": "Ravi"}}}]
}


@pytest.mark.parametrize(
    "path", ["/data/MCTS/createEntries", "/data/MCTS/1.0/createEntries", "/data/mcts/1.0/create-entries"]
)
def test_create_entries_creates_every_record_and_answers_them(client, headers, mcts, path):
    response = post(client, BASE + path, ENTRIES, headers)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "receive": [
            {"content": {"ID": "MCTS1", "child": {"firstName": "Usha"}}},
            {"content": {"ID": "M7", "child": {"firstName": "Ravi"}}},
        ]
    }
    assert RegistryRecord.objects.filter(database__code="MCTS").count() == 2


def test_create_entries_without_a_version_writes_to_the_newest(client, headers, mcts):
    modify(client, headers, version="2.0", schema=SCHEMA)
    assert post(client, f"{BASE}/data/MCTS/createEntries", ENTRIES, headers).status_code == 201
    assert set(RegistryRecord.objects.values_list("database__version", flat=True)) == {"2.0"}


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"write": [{"content": {"child": {"firstName": "Usha"}}}, {"content": {"child": {}}}]}, 400,
         {"write.1.content.child"}),
        ({"write": [{"content": {"ID": "A", "child": {"firstName": "U"}}}] * 2}, 409, {"write.1.content.ID"}),
        ({"write": []}, 400, {"write"}),
        ({"write": {"content": {}}}, 400, {"write"}),
    ],
)
def test_create_entries_creates_all_or_none(client, headers, mcts, body, status, fields):
    response = post(client, f"{BASE}/data/MCTS/1.0/create-entries", body, headers)
    assert response.status_code == status, response.content
    assert set(response.json()["error"]["fields"]) == fields
    assert not RegistryRecord.objects.exists()


def test_create_entries_in_an_unknown_registry_is_not_found(client, headers, mcts):
    assert post(client, f"{BASE}/data/NOPE/createEntries", ENTRIES, headers).status_code == 404
    assert post(client, f"{BASE}/data/MCTS/9.9/createEntries", ENTRIES, headers).status_code == 404


def test_a_schema_nested_too_deeply_is_a_bad_request(client, headers):
    schema = '{"type": "string"}'
    for _level in range(300):
        schema = '{"type": "object", "properties": {"a": ' + schema + "}}"
    response = post(client, f"{BASE}/database/modify", '{"code": "DEEP", "schema": ' + schema + "}", headers)
    assert response.status_code == 400
    assert "schema" in response.json()["error"]["fields"]


@pytest.mark.parametrize("field", ["catalogName", "groupName", "group_name", "code", "version"])
def test_names_longer_than_their_columns_are_a_bad_request(client, headers, field):
    body = {"code": "LONG", "schema": SCHEMA, field: "x" * 201}
    response = post(client, f"{BASE}/database/modify", body, headers)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("text/html\nSet-Cookie: session=stolen", "application/octet-stream"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("image/svg+xml", "image/svg+xml"),
    ],
)
def test_read_value_serves_a_file_as_a_download_of_a_plain_content_type(client, headers, mcts, stored, served):
    data = base64.b64encode(b"<svg onload=alert(1)>").decode()
    content = {"child": {"firstName": "Usha"}, "certificate": {"type": stored, "originalName": "c.svg", "data": data}}
    post(client, f"{BASE}/data/MCTS/1.0/create", {"write": {"content": content}}, headers)
    response = client.get(f"{BASE}/data/MCTS/1.0/MCTS1/readValue/certificate.svg", headers=headers)
    assert (response.status_code, response["Content-Type"]) == (200, served)
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''c.svg"
    assert "Set-Cookie" not in response


def test_read_value_answers_one_404_for_a_missing_record_or_field(client, headers, mcts):
    post(client, f"{BASE}/data/MCTS/1.0/create", {"write": {"content": {"child": {"firstName": "Usha"}}}}, headers)
    no_field = client.get(f"{BASE}/data/MCTS/1.0/MCTS1/readValue/caretaker.json", headers=headers)
    no_record = client.get(f"{BASE}/data/MCTS/1.0/MCTS2/readValue/caretaker.json", headers=headers)
    assert no_field.status_code == no_record.status_code == 404
    assert no_field.json() == no_record.json()


def test_a_filtered_list_does_not_tell_whether_an_unshown_person_is_in_the_registry(
    client, headers, mcts, citizen, nation
):
    content = {"child": {"firstName": "Usha"}, "caretaker": {"id": nation.demo_citizen_national_id}}
    post(client, f"{BASE}/data/MCTS/1.0/create", {"write": {"content": content}}, headers)
    before = consent_queries.access_records_for_account(account=citizen).count()
    params = {"query.caretaker.id": nation.demo_citizen_national_id, "page": 2}
    past_the_end = client.get(f"{BASE}/data/MCTS/1.0", params, headers=headers).json()
    assert (past_the_end["count"], past_the_end["results"]) == (0, [])
    assert consent_queries.access_records_for_account(account=citizen).count() == before


def test_a_national_id_field_is_found_by_equality_but_never_listed_as_searchable(client, headers, mcts, nation):
    national_id = nation.demo_citizen_national_id
    content = {"child": {"firstName": "Usha"}, "caretaker": {"id": national_id.lower()}}
    post(client, f"{BASE}/data/MCTS/1.0/create", {"write": {"content": content}}, headers)
    found = client.get(f"{BASE}/data/MCTS/1.0", {"query.caretaker.id": national_id}, headers=headers).json()
    searched = client.get(f"{BASE}/data/MCTS/1.0", {"search": "S", "filter": "caretaker.id"}, headers=headers)
    info = client.get(f"{BASE}/databases", headers=headers).json()["databases"][0]
    assert [r["caretaker"] for r in found["results"]] == [{"id": national_id}]
    assert searched.status_code == 400
    assert "/caretaker/id" not in [tag["path"] for tag in info["schemaTags"]]
