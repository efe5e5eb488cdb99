"""Contract tests of the GovStack Digital Registries API (data API and database API, 1.3.0), in both published
spellings, as an agency's calling system uses them."""

import base64
import json

import pytest
from django.test import Client

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent import queries as consent_queries
from digigov.blocks.registries.models import RegistryRecord
from digigov.frontdoors.govstack.access import Caller
from digigov.frontdoors.govstack.registries import fixture_load
from digigov.platform.errors import ValidationFailed
from digigov.platform.models import Event

BASE = "/api/govstack/registries"
DATA = f"{BASE}/data/MCTS/1.0"

MCTS_SCHEMA = {
    "type": "object",
    "description": "Mother and child tracking",
    "properties": {
        "ID": {"type": "string", "primaryKey": True, "readOnly": True, "description": "Registration ID"},
        "child": {
            "type": "object",
            "properties": {"firstName": {"type": "string"}, "birthdate": {"type": "string", "format": "date"}},
            "required": ["firstName"],
        },
        "caretaker": {
            "type": "object",
            "properties": {"id": {"type": "string", "nationalId": True}, "firstName": {"type": "string"}},
        },
        "visits": {"type": "integer"},
        "birthCertificate": {"type": "string"},
    },
    "required": ["child"],
}


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def ssa(govstack_client_factory):
    """A Social Support Agency system allowed to call the registries API: (account, headers)."""
    return govstack_client_factory(agency="SSA", apis=("registries",))


@pytest.fixture
def headers(ssa):
    return ssa[1]


@pytest.fixture
def hsg_headers(govstack_client_factory):
    return govstack_client_factory(agency="HSG", apis=("registries",))[1]


def post(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def put(client, url, body, headers):
    return client.put(url, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def mcts(client, headers):
    body = {"groupName": "Test", "catalogName": "Mother and Child", "code": "MCTS", "schema": MCTS_SCHEMA}
    response = post(client, f"{BASE}/database/modify", body, headers)
    assert response.status_code == 200, response.content
    return response.json()


def create(client, headers, **content):
    response = post(client, f"{DATA}/create", {"write": {"content": content}}, headers)
    assert response.status_code == 200, response.content
    return response.json()["content"]


@pytest.fixture
def usha(client, headers, mcts, nation):
    """A record about the demo citizen, who cares for a child named Usha."""
    return create(
        client, headers, child={"firstName": "Usha", "birthdate": "2026-10-20"},
        caretaker={"id": nation.demo_citizen_national_id, "firstName": "Nur"}, visits=1,
    )


# ---- database API ------------------------------------------------------------------------------------------


def test_modify_creates_a_registry_and_answers_its_schema(mcts):
    assert mcts == MCTS_SCHEMA


def test_databases_lists_the_agency_registries_in_both_spellings(client, headers, mcts):
    body = client.get(f"{BASE}/databases", headers=headers).json()
    assert body["code"] == "SSA"
    [info] = body["databases"]
    assert (info["name"], info["version"], info["catalogName"]) == ("MCTS", "1.0", "Mother and Child")
    assert info["schema"] == MCTS_SCHEMA
    assert info["modifiedAt"] == info["modified_at"]
    assert {"name": "primaryKey", "path": "/ID"} in info["schemaFlags"]
    assert {"name": "nationalId", "path": "/caretaker/id"} in info["schema_flags"]


def test_database_answers_one_registry_with_its_schema(client, headers, mcts):
    database_id = client.get(f"{BASE}/databases", headers=headers).json()["databases"][0]["id"]
    info = client.get(f"{BASE}/database/{database_id}", headers=headers).json()
    assert (info["id"], info["institution"], info["schema"]) == (database_id, "Social Support Agency", MCTS_SCHEMA)


def test_modify_takes_the_2023_field_names_too(client, headers):
    body = {"group_name": "Test", "catalog_name": "Births", "code": "BIRTHS", "schema": {"type": "object"}}
    assert post(client, f"{BASE}/database/modify", body, headers).status_code == 200
    [info] = client.get(f"{BASE}/databases", headers=headers).json()["databases"]
    assert (info["catalogName"], info["groupName"]) == ("Births", "Test")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schema": MCTS_SCHEMA}, "code"),
        ({"code": "MCTS"}, "schema"),
        ({"code": "MCTS", "schema": "not an object"}, "schema"),
        ({"code": "MCTS", "schema": {"type": "object", "properties": {"a": {"type": 5}}}}, "schema"),
        ({"code": "has/slash", "schema": MCTS_SCHEMA}, "code"),
        ({"code": "MyPersonalDataUsage", "schema": MCTS_SCHEMA}, "code"),
    ],
)
def test_modify_refuses_a_bad_request_with_field_errors(client, headers, body, field):
    response = post(client, f"{BASE}/database/modify", body, headers)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_schema_change_that_breaks_records_lists_them(client, headers, mcts):
    create(client, headers, ID="A1", child={"firstName": "Usha"}, visits=2)
    create(client, headers, ID="A2", child={"firstName": "Ravi"})
    breaking = RegistryRecord.objects.get(key="A2")
    stricter = {**MCTS_SCHEMA, "required": ["child", "visits"]}
    response = post(client, f"{BASE}/database/modify", {"code": "MCTS", "schema": stricter}, headers)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"records.{breaking.pk}"]


def test_another_agency_does_not_see_the_registry(client, hsg_headers, mcts, headers):
    database_id = client.get(f"{BASE}/databases", headers=headers).json()["databases"][0]["id"]
    assert client.get(f"{BASE}/databases", headers=hsg_headers).json()["databases"] == []
    assert client.get(f"{BASE}/database/{database_id}", headers=hsg_headers).status_code == 404
    assert client.delete(f"{BASE}/database/{database_id}", headers=hsg_headers).status_code == 404
    assert post(client, f"{DATA}/read", {"query": {"content": {}}}, hsg_headers).status_code == 404


def test_an_unknown_or_malformed_database_id_is_refused(client, headers):
    assert client.get(f"{BASE}/database/999999", headers=headers).status_code == 404
    assert client.get(f"{BASE}/database/{10**30}", headers=headers).status_code == 404
    assert client.delete(f"{BASE}/database/-{10**30}", headers=headers).status_code == 404
    assert client.get(f"{BASE}/database/abc", headers=headers).status_code == 400


def test_deleting_a_registry_answers_success_and_removes_it(client, headers, usha):
    database_id = client.get(f"{BASE}/databases", headers=headers).json()["databases"][0]["id"]
    response = client.delete(f"{BASE}/database/{database_id}", headers=headers)
    assert (response.status_code, response.json()) == (200, "Success")
    assert client.get(f"{BASE}/database/{database_id}", headers=headers).status_code == 404
    assert client.get(DATA, headers=headers).status_code == 404


def test_a_caller_without_credentials_is_unauthorised(client, mcts):
    assert client.get(f"{BASE}/databases").status_code == 401
    assert client.get(DATA, headers={"Authorization": "not-a-key"}).status_code == 401


def test_a_system_not_allowed_this_api_is_forbidden(client, govstack_client_factory):
    _account, headers = govstack_client_factory(agency="SSA", apis=("messaging",))
    response = client.get(f"{BASE}/databases", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"


# ---- data API: writes ---------------------------------------------------------------------------------------


def test_create_answers_the_record_with_its_generated_identifier(client, headers, mcts):
    content = create(client, headers, child={"firstName": "Usha"})
    assert content == {"ID": "MCTS1", "child": {"firstName": "Usha"}}


def test_create_is_audited_as_the_calling_system_and_announced(client, headers, ssa, mcts):
    create(client, headers, child={"firstName": "Usha"})
    entry = AuditEntry.objects.filter(action="registries:record:create").latest("id")
    event = Event.objects.filter(type="registries.record.changed").latest("id")
    record = RegistryRecord.objects.get(key="MCTS1")
    assert entry.actor_id == ssa[0].pk
    assert (event.payload["record_id"], event.payload["change"]) == (str(record.pk), "create")
    assert "Usha" not in json.dumps(entry.detail) + json.dumps(event.payload)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "write"),
        ({"write": {}}, "write.content"),
        ({"write": {"content": "text"}}, "write.content"),
        ({"write": {"content": {"child": {"firstName": 5}}}}, "content.child.firstName"),
        ({"write": {"content": {"visits": 2}}}, "content"),
    ],
)
def test_create_refuses_missing_fields_and_wrong_types(client, headers, mcts, body, field):
    response = post(client, f"{DATA}/create", body, headers)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_create_in_an_unknown_registry_is_not_found(client, headers, mcts):
    response = post(client, f"{BASE}/data/NOPE/1.0/create", {"write": {"content": {}}}, headers)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_create_with_a_taken_identifier_is_a_conflict(client, headers, mcts):
    create(client, headers, ID="MCTS31", child={"firstName": "Usha"})
    again = {"write": {"content": {"ID": "MCTS31", "child": {"firstName": "Ravi"}}}}
    response = post(client, f"{DATA}/create", again, headers)
    assert response.status_code == 409


def test_update_replaces_the_written_fields_of_the_one_matching_record(client, headers, usha):
    body = {"query": {"content": {"child": {"firstName": "Usha"}}}, "write": {"content": {"visits": 2}}}
    assert put(client, f"{DATA}/update", body, headers).json() == {"count": 1}
    read = post(client, f"{DATA}/read", {"query": {"content": {"ID": usha["ID"]}}}, headers).json()["content"]
    assert read == {**usha, "visits": 2}


def test_update_without_a_query_finds_the_record_by_its_identifier(client, headers, usha):
    response = put(client, f"{DATA}/update", {"write": {"content": {"ID": usha["ID"], "visits": 5}}}, headers)
    assert response.status_code == 200


def test_update_of_no_record_or_of_several_is_refused(client, headers, usha):
    create(client, headers, child={"firstName": "Usha"})
    missing = {"query": {"content": {"ID": "nobody"}}, "write": {"content": {"visits": 2}}}
    several = {"query": {"content": {"child": {"firstName": "Usha"}}}, "write": {"content": {"visits": 2}}}
    bad = {"query": {"content": {"ID": usha["ID"]}}, "write": {"content": {"visits": "two"}}}
    assert put(client, f"{DATA}/update", missing, headers).json()["detail"] == "no record found"
    assert put(client, f"{DATA}/update", several, headers).status_code == 409
    assert put(client, f"{DATA}/update", bad, headers).json()["error"]["fields"] == {
        "content.visits": "'two' is not of type 'integer'"
    }


@pytest.mark.parametrize("path", ["updateEntries", "update-entries"])
def test_update_entries_changes_every_matching_record(client, headers, usha, path):
    create(client, headers, child={"firstName": "Usha"}, visits=1)
    body = {"query": {"content": {"visits": 1}}, "write": {"content": {"visits": 3}}}
    assert put(client, f"{DATA}/{path}", body, headers).json() == {"count": 2}
    assert put(client, f"{DATA}/{path}", {"write": {"content": {"visits": 3}}}, headers).status_code == 400


@pytest.mark.parametrize("path", ["updateOrCreate", "update-or-create"])
def test_update_or_create_creates_then_updates(client, headers, mcts, path):
    body = {"query": {"content": {"ID": "X1"}}, "write": {"content": {"ID": "X1", "child": {"firstName": "Usha"}}}}
    assert post(client, f"{DATA}/{path}", body, headers).json()["content"]["ID"] == "X1"
    body["write"]["content"] = {"visits": 4}
    assert post(client, f"{DATA}/{path}", body, headers).json()["content"] == {
        "ID": "X1", "child": {"firstName": "Usha"}, "visits": 4
    }


def test_delete_removes_the_record(client, headers, usha):
    assert client.delete(f"{DATA}/{usha['ID']}/delete", headers=headers).status_code == 204
    response = client.delete(f"{DATA}/{usha['ID']}/delete", headers=headers)
    assert (response.status_code, response.json()["detail"]) == (404, "no record found")


# ---- data API: reads ----------------------------------------------------------------------------------------


def test_read_answers_the_matching_record(client, headers, usha):
    response = post(client, f"{DATA}/read", {"query": {"content": {"child": {"firstName": "Usha"}}}}, headers)
    assert response.json() == {"content": usha}


def test_read_of_no_record_answers_the_spec_404(client, headers, mcts):
    response = post(client, f"{DATA}/read", {"query": {"content": {"ID": "nobody"}}}, headers)
    assert (response.status_code, response.json()["detail"]) == (404, "no record found")


@pytest.mark.parametrize("body", [{}, {"query": {}}, {"query": {"content": []}}])
def test_read_and_exists_refuse_a_query_without_content(client, headers, mcts, body):
    assert post(client, f"{DATA}/read", body, headers).status_code == 400
    assert post(client, f"{DATA}/exists", body, headers).status_code == 400


def test_exists_answers_true_or_false(client, headers, usha):
    found = post(client, f"{DATA}/exists", {"query": {"content": {"ID": usha["ID"]}}}, headers).json()
    missing = post(client, f"{DATA}/exists", {"query": {"content": {"ID": "nobody"}}}, headers).json()
    assert (found["answer"]["status"], missing["answer"]["status"]) == (True, False)


def test_a_read_of_a_record_about_a_person_is_shown_to_that_person(client, headers, ssa, usha, citizen):
    before = consent_queries.access_records_for_account(account=citizen).count()
    post(client, f"{DATA}/read", {"query": {"content": {"ID": usha["ID"]}}}, headers)
    reads = consent_queries.access_records_for_account(account=citizen)
    assert reads.count() == before + 1
    latest = reads.first()
    assert (latest.accessor_id, latest.agency.code) == (ssa[0].pk, "SSA")
    assert "GovStack Digital Registries API" in latest.legal_basis


def test_list_pages_through_the_records_with_links(client, headers, mcts):
    for name in ("A", "B", "C"):
        create(client, headers, child={"firstName": name})
    first = client.get(DATA, {"pageSize": 2}, headers=headers).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    second = client.get(first["next"], headers=headers).json()
    assert [r["child"]["firstName"] for r in second["results"]] == ["C"]
    assert second["next"] is None and "page=1" in second["previous"]
    legacy = client.get(DATA, {"page_size": 1, "page": 3}, headers=headers).json()
    assert [r["child"]["firstName"] for r in legacy["results"]] == ["C"]


def test_list_filters_searches_and_orders(client, headers, mcts):
    create(client, headers, child={"firstName": "Usha"}, visits=1)
    create(client, headers, child={"firstName": "Ravi"}, visits=2)
    create(client, headers, child={"firstName": "Ushan"}, visits=3)

    def names(**params):
        response = client.get(DATA, params, headers=headers)
        assert response.status_code == 200, response.content
        return [r["child"]["firstName"] for r in response.json()["results"]]

    assert names(**{"query.visits": "2"}) == ["Ravi"]
    assert names(**{"query.child.firstName": "Usha"}) == ["Usha"]
    assert names(search="usha") == ["Usha", "Ushan"]
    assert names(search="usha", filter="child.firstName", ordering="descending") == ["Ushan", "Usha"]
    assert names(ordering="-visits") == ["Ushan", "Ravi", "Usha"]


@pytest.mark.parametrize(
    "params",
    [
        {"query.nosuch": "x"},
        {"search": "x", "filter": "nosuch"},
        {"ordering": "nosuch"},
        {"page": "0"},
        {"page": str(10**20)},
        {"pageSize": "ten"},
    ],
)
def test_list_refuses_unknown_fields_and_bad_pages(client, headers, mcts, params):
    assert client.get(DATA, params, headers=headers).status_code == 400


@pytest.mark.parametrize("path", ["readValue", "read-value"])
def test_read_value_answers_json_or_text(client, headers, usha, path):
    as_json = client.get(f"{DATA}/{usha['ID']}/{path}/child.firstName.json", headers=headers)
    as_text = client.get(f"{DATA}/{usha['ID']}/{path}/visits.txt", headers=headers)
    assert as_json.json() == {"value": "Usha"}
    assert (as_text["Content-Type"], as_text.content) == ("text/plain; charset=utf-8", b"1")


def test_read_value_of_a_file_field_answers_the_file(client, headers, mcts):
    pdf = b"%PDF-1.4 certificate"
    data_uri = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    record = create(client, headers, child={"firstName": "Usha"}, birthCertificate=data_uri)
    response = client.get(f"{DATA}/{record['ID']}/readValue/birthCertificate.pdf", headers=headers)
    assert (response.status_code, response["Content-Type"], response.content) == (200, "application/pdf", pdf)
    assert "sandbox" in response["Content-Security-Policy"]


def test_read_value_of_an_unknown_record_or_field_or_a_non_file_is_refused(client, headers, usha):
    assert client.get(f"{DATA}/nobody/readValue/visits.json", headers=headers).status_code == 404
    assert client.get(f"{DATA}/{usha['ID']}/readValue/nosuch.json", headers=headers).status_code == 404
    assert client.get(f"{DATA}/{usha['ID']}/readValue/visits.pdf", headers=headers).status_code == 400


def test_my_personal_data_usage_lists_the_reads_of_a_person_records(client, headers, usha, nation):
    post(client, f"{DATA}/read", {"query": {"content": {"ID": usha["ID"]}}}, headers)
    params = {"userId": nation.demo_citizen_national_id, "databaseId": "MCTS"}
    usage = client.get(f"{BASE}/data/myPersonalDataUsage", params, headers=headers).json()
    [read] = [u for u in usage if u["refrences"]]
    assert (read["readerInstitutionId"], read["refrences"]) == ("SSA", [{"ReferenceID": usha["ID"]}])
    legacy_params = {"userID": nation.demo_citizen_national_id, "DatabaseID": "MCTS"}
    legacy = client.get(f"{BASE}/data/MyPersonalDataUsage/1.0", legacy_params, headers=headers).json()
    assert read["id"] in {u["ID"] for u in legacy}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"userId": "S1234567X", "databaseId": "MCTS"}, 400),
        ({"databaseId": "MCTS"}, 400),
        ({"userId": "NATIONAL_ID", "databaseId": "NOPE"}, 404),
    ],
)
def test_my_personal_data_usage_refuses_bad_or_unknown_ids(client, headers, mcts, nation, params, status):
    params = {k: nation.demo_citizen_national_id if v == "NATIONAL_ID" else v for k, v in params.items()}
    assert client.get(f"{BASE}/data/myPersonalDataUsage", params, headers=headers).status_code == status


def test_fixture_load_keeps_the_given_ids(ssa, nation):
    account, headers = ssa
    caller = Caller(account=account, agency=account.agency, client_id=0, label="fixture", via="api_key")
    record_id = "0b9a4c52-5d0f-4a55-9a43-2b7a5a2d0c11"
    counts = fixture_load(
        caller=caller,
        data={"registries": [{"id": 4242, "code": "MCTS", "schema": MCTS_SCHEMA, "records": [
            {"id": record_id, "content": {"ID": "MCTS7", "child": {"firstName": "Usha"}}},
            {"child": {"firstName": "Ravi"}},
        ]}]},
    )
    assert counts == {"registries": 1, "registry records": 2}
    client = Client()
    info = client.get(f"{BASE}/database/4242", headers=headers).json()
    assert info["dataIndexIncrement"] == 2
    value = client.get(f"{DATA}/{record_id}/readValue/ID.json", headers=headers).json()
    assert value == {"value": "MCTS7"}


def test_text_no_database_can_store_is_refused_rather_than_failing(client, headers, mcts):
    nul = {"write": {"content": {"child": {"firstName": "U\u0000"}}}}
    half_pair = {"query": {"content": {"child": {"firstName": "\ud800"}}}}
    refused = post(client, f"{DATA}/create", nul, headers)  # the platform refuses NUL in any request (400)
    assert refused.status_code == 400 and refused.json()["detail"]
    assert post(client, f"{DATA}/read", half_pair, headers).status_code == 400
    assert client.get(DATA, {"search": "a\x00"}, headers=headers).status_code == 400


def test_a_number_json_cannot_spell_is_refused(client, headers, mcts):
    body = '{"write": {"content": {"child": {"firstName": "Usha"}, "visits": 1e999}}}'
    response = client.post(f"{DATA}/create", body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert client.get(DATA, {"query.visits": "1e999"}, headers=headers).json()["count"] == 0


def test_each_agency_names_its_own_registries(client, headers, hsg_headers, usha):
    body = {"code": "MCTS", "schema": {"type": "object", "properties": {"note": {"type": "string"}}}}
    assert post(client, f"{BASE}/database/modify", body, hsg_headers).status_code == 200
    assert client.get(DATA, headers=hsg_headers).json()["count"] == 0
    assert client.get(DATA, headers=headers).json()["count"] == 1


def test_a_new_version_is_a_registry_of_its_own(client, headers, usha):
    body = {"code": "MCTS", "version": "2.0", "schema": MCTS_SCHEMA}
    assert post(client, f"{BASE}/database/modify", body, headers).status_code == 200
    assert client.get(f"{BASE}/data/MCTS/2.0", headers=headers).json()["count"] == 0
    assert len(client.get(f"{BASE}/databases", headers=headers).json()["databases"]) == 2


def test_read_value_answers_a_file_object_with_its_name(client, headers, mcts):
    schema = {**MCTS_SCHEMA, "properties": {**MCTS_SCHEMA["properties"], "picture": {"type": "object"}}}
    post(client, f"{BASE}/database/modify", {"code": "MCTS", "schema": schema}, headers)
    picture = {"url": "", "originalName": "Nur.png", "type": "image/png", "data": base64.b64encode(b"PNG").decode()}
    record = create(client, headers, child={"firstName": "Usha"}, picture=picture)
    response = client.get(f"{DATA}/{record['ID']}/read-value/picture.png", headers=headers)
    assert (response["Content-Type"], response.content) == ("image/png", b"PNG")
    assert "Nur.png" in response["Content-Disposition"]


def test_update_or_create_without_a_query_or_identifier_creates(client, headers, mcts):
    response = post(client, f"{DATA}/updateOrCreate", {"write": {"content": {"child": {"firstName": "Ravi"}}}}, headers)
    assert response.json()["content"]["ID"] == "MCTS1"


def test_the_2023_data_usage_path_wants_its_own_parameter_names(client, headers, mcts, nation):
    params = {"userId": nation.demo_citizen_national_id, "databaseId": "MCTS"}
    assert client.get(f"{BASE}/data/MyPersonalDataUsage/1.0", params, headers=headers).status_code == 400


@pytest.mark.parametrize(
    "registries",
    [
        "not a list",
        [{"schema": MCTS_SCHEMA}],
        [{"code": "MCTS", "id": "one", "schema": MCTS_SCHEMA}],
        [{"code": "MCTS", "schema": MCTS_SCHEMA, "records": [{"id": "nope", "content": {}}]}],
        [{"code": "MCTS", "schema": MCTS_SCHEMA, "records": ["text"]}],
    ],
)
def test_fixture_load_refuses_a_malformed_fixture_with_field_errors(ssa, registries):
    account, _headers = ssa
    caller = Caller(account=account, agency=account.agency, client_id=0, label="fixture", via="api_key")
    with pytest.raises(ValidationFailed):
        fixture_load(caller=caller, data={"registries": registries})


def test_a_sensitive_field_is_answered_whole_but_cannot_be_searched(client, headers, mcts, nation):
    caretaker = MCTS_SCHEMA["properties"]["caretaker"]
    sensitive_id = {**caretaker["properties"]["id"], "classification": "sensitive"}
    schema = {**MCTS_SCHEMA, "properties": {**MCTS_SCHEMA["properties"], "caretaker": {
        **caretaker, "properties": {**caretaker["properties"], "id": sensitive_id}}}}
    assert post(client, f"{BASE}/database/modify", {"code": "MCTS", "schema": schema}, headers).status_code == 200
    record = create(client, headers, child={"firstName": "Usha"}, caretaker={"id": nation.demo_citizen_national_id})
    assert record["caretaker"] == {"id": nation.demo_citizen_national_id}
    [listed] = client.get(DATA, headers=headers).json()["results"]
    assert listed == record
    value = client.get(f"{DATA}/{record['ID']}/readValue/caretaker.id.json", headers=headers).json()
    assert value == {"value": nation.demo_citizen_national_id}
    refused = client.get(DATA, {"query.caretaker.id": nation.demo_citizen_national_id}, headers=headers)
    assert refused.json()["error"]["fields"] == {
        "query.caretaker.id": "This field is sensitive: it is stored encrypted and cannot be searched."
    }
    info = client.get(f"{BASE}/databases", headers=headers).json()["databases"][0]
    assert {"name": "sensitive", "path": "/caretaker/id"} in info["schemaFlags"]
