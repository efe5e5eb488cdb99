"""Schema-defined registries in the registries block: schemas checked, records validated with field-level errors,
schema changes that must fit every record, identifiers, and reads of records about people recorded."""

import http.server
import threading

import pytest

from digigov.blocks.consent import queries as consent_queries
from digigov.blocks.registries import registry_actions as actions
from digigov.blocks.registries import registry_queries as queries
from digigov.blocks.registries import schema_registries as schemas
from digigov.blocks.registries.models import RegistryRecord, RegistrySecret
from digigov.blocks.registries.queries import AccessContext
from digigov.platform.errors import Conflict, NotFound, ValidationFailed

MCTS_SCHEMA = {
    "type": "object",
    "properties": {
        "ID": {"type": "string", "primaryKey": True, "readOnly": True, "description": "Registration ID"},
        "child": {
            "type": "object",
            "properties": {
                "firstName": {"type": "string"},
                "birthdate": {"type": "string", "format": "date"},
            },
            "required": ["firstName"],
        },
        "caretaker": {
            "type": "object",
            "properties": {"id": {"type": "string", "nationalId": True}, "firstName": {"type": "string"}},
        },
        "visits": {"type": "integer"},
    },
    "required": ["child"],
}


@pytest.fixture
def registry(ssa_officer):
    database, created = actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=MCTS_SCHEMA
    )
    assert created
    return database


@pytest.fixture
def access(ssa_officer):
    return AccessContext(
        accessor=ssa_officer, agency=ssa_officer.agency, purpose="Check a child's visits", legal_basis="Test basis"
    )


def _create(officer, registry, **content):
    return actions.record_create(actor=officer, database=registry, content=content)


def test_a_schema_that_is_not_json_schema_is_refused(ssa_officer):
    with pytest.raises(ValidationFailed) as refused:
        actions.database_modify(
            actor=ssa_officer, agency=ssa_officer.agency, code="BAD", version="1.0",
            schema={"type": "object", "properties": {"a": {"type": 5}}},
        )
    assert "schema" in refused.value.fields


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#"},
        {"$ref": "#/nowhere"},
        {"type": "object", "properties": {"a": {"$ref": "https://example.org/a.json"}}},
    ],
)
def test_a_schema_whose_references_loop_lead_nowhere_or_leave_it_is_refused(ssa_officer, schema):
    with pytest.raises(ValidationFailed) as refused:
        actions.database_modify(
            actor=ssa_officer, agency=ssa_officer.agency, code="BAD", version="1.0", schema=schema
        )
    assert "schema" in refused.value.fields


def test_a_record_reaching_a_looping_reference_gets_a_field_error():
    schema = {"type": "object", "properties": {"a": {"$ref": "#/properties/a"}}}
    schemas.schema_check(schema=schema)
    assert "itself without end" in schemas.content_errors(schema=schema, content={"a": 1})["content"]


def test_content_errors_name_the_nested_field():
    errors = schemas.content_errors(schema=MCTS_SCHEMA, content={"child": {"firstName": 7, "birthdate": "soon"}})
    assert set(errors) == {"content.child.firstName", "content.child.birthdate"}


def test_a_reference_to_a_web_address_in_a_schema_is_never_fetched():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's hook name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/name.json"
        schema = {"type": "object", "properties": {"name": {"$ref": url}}}
        errors = schemas.content_errors(schema=schema, content={"name": 5})
    finally:
        server.shutdown()
    assert hits == []
    assert "cannot be resolved" in errors["content"]


def test_a_record_without_an_identifier_gets_the_next_number_of_its_registry(ssa_officer, registry):
    first = _create(ssa_officer, registry, child={"firstName": "Usha"})
    second = _create(ssa_officer, registry, child={"firstName": "Ravi"})
    assert (first.key, second.key) == ("MCTS1", "MCTS2")
    assert second.content["ID"] == "MCTS2"


def test_an_invalid_record_is_refused_with_field_errors(ssa_officer, registry):
    with pytest.raises(ValidationFailed) as refused:
        _create(ssa_officer, registry, child={"firstName": "Usha"}, visits="three", caretaker={"id": "S1234567X"})
    assert set(refused.value.fields) == {"content.visits"}
    with pytest.raises(ValidationFailed) as refused:
        _create(ssa_officer, registry, child={"firstName": "Usha"}, caretaker={"id": "S1234567X"})
    assert set(refused.value.fields) == {"content.caretaker.id"}


def test_a_second_record_with_the_same_identifier_is_a_conflict(ssa_officer, registry):
    _create(ssa_officer, registry, ID="MCTS31", child={"firstName": "Usha"})
    with pytest.raises(Conflict):
        _create(ssa_officer, registry, ID="MCTS31", child={"firstName": "Ravi"})


def test_a_schema_change_that_breaks_a_record_is_refused_naming_the_record(ssa_officer, registry):
    _create(ssa_officer, registry, ID="A1", child={"firstName": "Usha"}, visits=2)
    breaking = _create(ssa_officer, registry, ID="A2", child={"firstName": "Ravi"})
    stricter = {**MCTS_SCHEMA, "required": ["child", "visits"]}
    with pytest.raises(ValidationFailed) as refused:
        actions.database_modify(
            actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=stricter
        )
    assert list(refused.value.fields) == [f"records.{breaking.pk}"]
    assert "visits" in refused.value.fields[f"records.{breaking.pk}"]
    registry.refresh_from_db()
    assert registry.schema == MCTS_SCHEMA


def test_a_schema_change_that_fits_links_records_to_the_person_they_are_about(ssa_officer, registry, citizen, nation):
    loose = {**MCTS_SCHEMA, "properties": {**MCTS_SCHEMA["properties"], "caretaker": {"type": "object"}}}
    actions.database_modify(actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=loose)
    record = _create(
        ssa_officer, registry, child={"firstName": "Usha"}, caretaker={"id": nation.demo_citizen_national_id}
    )
    assert record.person_id is None
    _database, created = actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="mcts", version="1.0", schema=MCTS_SCHEMA
    )
    record.refresh_from_db()
    assert not created
    assert record.person_id == citizen.person_id


def test_reading_a_record_about_a_person_is_shown_to_that_person(ssa_officer, registry, access, citizen, nation):
    _create(ssa_officer, registry, child={"firstName": "Usha"}, caretaker={"id": nation.demo_citizen_national_id})
    before = consent_queries.access_records_for_account(account=citizen).count()
    content = queries.record_read(database=registry, content={"child": {"firstName": "Usha"}}, access=access)
    reads = consent_queries.access_records_for_account(account=citizen)
    assert content["caretaker"]["id"] == nation.demo_citizen_national_id
    assert reads.count() == before + 1
    assert set(reads.first().elements) == {"MCTS.ID", "MCTS.child", "MCTS.caretaker"}


def test_a_query_matches_numbers_whether_given_as_numbers_or_as_text(ssa_officer, registry):
    _create(ssa_officer, registry, ID="A1", child={"firstName": "Usha"}, visits=3)
    _create(ssa_officer, registry, ID="A2", child={"firstName": "Ravi"}, visits=4)
    assert [r.key for r in queries.records_matching(database=registry, content={"visits": 3})] == ["A1"]
    assert [r.key for r in queries.records_matching(database=registry, texts={"visits": "4"})] == ["A2"]
    assert [r.key for r in queries.records_matching(database=registry, texts={"child.firstName": "Usha"})] == ["A1"]


def test_updating_several_records_changes_all_or_none(ssa_officer, registry):
    first = _create(ssa_officer, registry, ID="A1", child={"firstName": "Usha"}, visits=1)
    second = _create(ssa_officer, registry, ID="A2", child={"firstName": "Usha"}, visits=1)
    with pytest.raises(ValidationFailed) as refused:
        actions.records_update(actor=ssa_officer, database=registry, query={"visits": 1}, write={"visits": "two"})
    assert set(refused.value.fields) == {f"records.{first.pk}.visits", f"records.{second.pk}.visits"}
    changed = actions.records_update(actor=ssa_officer, database=registry, query={"visits": 1}, write={"visits": 2})
    assert changed == 2
    assert queries.records_matching(database=registry, content={"visits": 2}).count() == 2


def test_an_update_matching_several_records_is_refused(ssa_officer, registry):
    _create(ssa_officer, registry, ID="A1", child={"firstName": "Usha"})
    _create(ssa_officer, registry, ID="A2", child={"firstName": "Usha"})
    with pytest.raises(Conflict):
        actions.record_update(
            actor=ssa_officer, database=registry, query={"child": {"firstName": "Usha"}}, write={"visits": 1}
        )


def test_another_agency_cannot_see_a_registry(ssa_officer, hsg_officer, registry):
    with pytest.raises(NotFound):
        queries.access_database(agency=hsg_officer.agency, database_id=registry.pk)
    with pytest.raises(NotFound):
        queries.database_by_code(agency=hsg_officer.agency, code="MCTS", version="1.0")


def test_deleting_a_registry_removes_its_records_and_frees_its_code(ssa_officer, registry):
    _create(ssa_officer, registry, child={"firstName": "Usha"})
    actions.database_delete(actor=ssa_officer, agency=ssa_officer.agency, database_id=registry.pk)
    assert not registry.records.exists()
    again, created = actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=MCTS_SCHEMA
    )
    assert created and again.pk != registry.pk


def _sensitive(schema):
    caretaker = schema["properties"]["caretaker"]
    national_id = {**caretaker["properties"]["id"], "classification": "sensitive"}
    caretaker = {**caretaker, "properties": {**caretaker["properties"], "id": national_id}}
    return {**schema, "properties": {**schema["properties"], "caretaker": caretaker}}


def test_a_sensitive_field_is_stored_encrypted_apart_and_read_back_whole(ssa_officer, access, citizen, nation):
    database, _created = actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="SAFE", version="1.0", schema=_sensitive(MCTS_SCHEMA)
    )
    national_id = nation.demo_citizen_national_id
    caretaker = {"id": national_id, "firstName": "Nur"}
    record = _create(ssa_officer, database, child={"firstName": "Usha"}, caretaker=caretaker)
    stored = RegistryRecord.objects.get(pk=record.pk)
    secret = RegistrySecret.objects.get(record=record)
    assert stored.content["caretaker"] == {"firstName": "Nur"}
    assert national_id.encode() not in bytes(secret.value_encrypted)
    assert stored.person_id == citizen.person_id
    content = queries.record_read(database=database, content={"ID": record.key}, access=access)
    assert content["caretaker"] == {"firstName": "Nur", "id": national_id}


def test_a_sensitive_field_cannot_be_searched(ssa_officer):
    database, _created = actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="SAFE", version="1.0", schema=_sensitive(MCTS_SCHEMA)
    )
    with pytest.raises(ValidationFailed) as refused:
        list(queries.records_matching(database=database, content={"caretaker": {"id": "S1234567D"}}))
    assert list(refused.value.fields) == ["query.caretaker.id"]


def test_marking_a_field_sensitive_encrypts_existing_records_and_unmarking_decrypts_them(ssa_officer, registry, nation):
    national_id = nation.demo_citizen_national_id
    record = _create(ssa_officer, registry, child={"firstName": "Usha"}, caretaker={"id": national_id})
    actions.database_modify(
        actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=_sensitive(MCTS_SCHEMA)
    )
    record.refresh_from_db()
    assert record.content["caretaker"] == {}
    assert RegistrySecret.objects.filter(record=record).count() == 1
    # Neither sensitive nor a national ID field (which is always stored encrypted): back in the record's content.
    loose = {**MCTS_SCHEMA, "properties": {**MCTS_SCHEMA["properties"], "caretaker": {"type": "object"}}}
    actions.database_modify(actor=ssa_officer, agency=ssa_officer.agency, code="MCTS", version="1.0", schema=loose)
    record.refresh_from_db()
    assert record.content["caretaker"] == {"id": national_id}
    assert not RegistrySecret.objects.filter(record=record).exists()
