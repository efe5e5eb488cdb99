"""Schema-defined registries keep national ID numbers and other identifiers out of logs and events, give no
existence oracle, refuse malformed input as field errors, and create several records all or nothing."""

import importlib
import json

import pytest
from django.apps import apps as django_apps

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent import queries as consent_queries
from digigov.blocks.registries import registry_actions as actions
from digigov.blocks.registries import registry_queries as queries
from digigov.blocks.registries.models import RegistryRecord, RegistrySecret
from digigov.blocks.registries.queries import AccessContext
from digigov.platform.errors import Conflict, NotFound, ValidationFailed
from digigov.platform.models import Event

# A registry whose records are named by something personal: the caretaker's phone number.
PHONE_SCHEMA = {
    "type": "object",
    "properties": {
        "phone": {"type": "string", "primaryKey": True},
        "caretaker": {"type": "object", "properties": {"id": {"type": "string", "nationalId": True}}},
        "visits": {"type": "integer"},
    },
    "required": ["phone"],
}


def _modify(officer, schema, code="PHONES", **names):
    return actions.database_modify(
        actor=officer, agency=officer.agency, code=code, version="1.0", schema=schema, **names
    )[0]


@pytest.fixture
def phones(ssa_officer):
    return _modify(ssa_officer, PHONE_SCHEMA)


@pytest.fixture
def access(ssa_officer):
    return AccessContext(
        accessor=ssa_officer, agency=ssa_officer.agency, purpose="Check a child's visits", legal_basis="Test basis"
    )


def _deep(depth):
    schema = {"type": "string"}
    for _level in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


@pytest.mark.parametrize(
    "properties",
    [
        {"nid": {"type": "string", "primaryKey": True, "nationalId": True}},
        {"id": {"type": "string", "nationalId": True}},  # the fallback identifier field
    ],
)
def test_a_national_id_field_cannot_be_the_primary_key(ssa_officer, properties):
    with pytest.raises(ValidationFailed) as refused:
        _modify(ssa_officer, {"type": "object", "properties": properties})
    assert "national ID" in refused.value.fields["schema"]


def test_a_record_key_is_never_written_to_the_audit_log_or_an_event(ssa_officer, phones):
    record = actions.record_create(actor=ssa_officer, database=phones, content={"phone": "+3725278511"})
    actions.record_update(actor=ssa_officer, database=phones, query=None, write={"phone": "+3725278511", "visits": 2})
    actions.record_delete(actor=ssa_officer, database=phones, identifier="+3725278511")
    entries = AuditEntry.objects.filter(action__startswith="registries:record:", object_id=str(record.pk))
    events = Event.objects.filter(type="registries.record.changed", payload__record_id=str(record.pk))
    assert (entries.count(), events.count()) == (3, 3)
    written = json.dumps([e.detail for e in entries]) + json.dumps([e.payload for e in events])
    assert "5278511" not in written


def test_errors_about_existing_records_name_them_by_uuid_not_key(ssa_officer, phones):
    record = actions.record_create(actor=ssa_officer, database=phones, content={"phone": "+3725278511"})
    with pytest.raises(ValidationFailed) as refused:
        actions.records_update(actor=ssa_officer, database=phones, query={"phone": "+3725278511"}, write={"visits": ""})
    with pytest.raises(ValidationFailed) as broken:
        _modify(ssa_officer, {**PHONE_SCHEMA, "required": ["phone", "visits"]})
    assert list(refused.value.fields) == [f"records.{record.pk}.visits"]
    assert list(broken.value.fields) == [f"records.{record.pk}"]


def test_a_schema_nested_too_deeply_is_a_field_error(ssa_officer):
    with pytest.raises(ValidationFailed) as refused:
        _modify(ssa_officer, _deep(600))
    assert "schema" in refused.value.fields


def test_a_query_nested_too_deeply_is_a_field_error(ssa_officer, phones, access):
    query = {}
    for _level in range(2000):
        query = {"a": query}
    with pytest.raises(ValidationFailed):
        queries.record_read(database=phones, content=query, access=access)


def test_names_longer_than_their_columns_are_refused(ssa_officer):
    with pytest.raises(ValidationFailed) as refused:
        _modify(ssa_officer, PHONE_SCHEMA, name="n" * 201, group_name="g" * 201)
    assert set(refused.value.fields) == {"catalogName", "groupName"}


def _search(database, access, page=1, **texts):
    return queries.records_search(
        database=database, texts=texts, search="", search_field="", ordering="", page=page, page_size=1,
        access=access,
    )


def test_a_filtered_search_does_not_tell_how_many_match_beyond_what_it_shows(
    ssa_officer, phones, access, citizen, nation
):
    actions.record_create(
        actor=ssa_officer, database=phones, content={"phone": "1", "caretaker": {"id": nation.demo_citizen_national_id}}
    )
    before = consent_queries.access_records_for_account(account=citizen).count()
    # A page past the end: nothing is shown, so nothing may be told, or the person would be found unrecorded.
    count, shown = _search(phones, access, page=5, **{"caretaker.id": nation.demo_citizen_national_id})
    assert (count, shown) == (0, [])
    assert consent_queries.access_records_for_account(account=citizen).count() == before
    count, shown = _search(phones, access, **{"caretaker.id": nation.demo_citizen_national_id})
    assert (count, len(shown)) == (1, 1)
    assert consent_queries.access_records_for_account(account=citizen).count() == before + 1


def test_a_filtered_search_counts_one_more_when_another_page_follows(ssa_officer, phones, access):
    for phone in ("1", "2", "3"):
        actions.record_create(actor=ssa_officer, database=phones, content={"phone": phone, "visits": 1})
    assert _search(phones, access, visits="1")[0] == 2
    assert _search(phones, access, page=3, visits="1")[0] == 3
    assert _search(phones, access)[0] == 3  # no filter: the total


def test_a_missing_field_and_a_missing_record_answer_the_same(ssa_officer, phones, access):
    actions.record_create(actor=ssa_officer, database=phones, content={"phone": "1"})
    with pytest.raises(NotFound) as no_field:
        queries.record_value_get(database=phones, identifier="1", field="visits", access=access)
    with pytest.raises(NotFound) as no_record:
        queries.record_value_get(database=phones, identifier="2", field="visits", access=access)
    assert str(no_field.value) == str(no_record.value)


def test_several_records_are_created_at_once_with_generated_identifiers(ssa_officer):
    numbered = _modify(ssa_officer, {"type": "object", "properties": {"ID": {"type": "string"}}}, code="NUMS")
    records = actions.records_create(actor=ssa_officer, database=numbered, contents=[{}, {"ID": "X"}, {}])
    assert [r.key for r in records] == ["NUMS1", "X", "NUMS3"]
    numbered.refresh_from_db()
    assert numbered.index_increment == 3


def test_several_records_are_created_all_or_none(ssa_officer, phones):
    actions.record_create(actor=ssa_officer, database=phones, content={"phone": "1"})
    with pytest.raises(ValidationFailed) as invalid:
        actions.records_create(actor=ssa_officer, database=phones, contents=[{"phone": "2"}, {"visits": "x"}])
    with pytest.raises(Conflict) as taken:
        actions.records_create(actor=ssa_officer, database=phones, contents=[{"phone": "2"}, {"phone": "1"}])
    with pytest.raises(Conflict) as twice:
        actions.records_create(actor=ssa_officer, database=phones, contents=[{"phone": "3"}, {"phone": "3"}])
    assert list(invalid.value.fields) == ["write.1.content.visits"]
    assert list(taken.value.fields) == ["write.1.content.phone"]
    assert list(twice.value.fields) == ["write.1.content.phone"]
    assert list(RegistryRecord.objects.filter(database=phones).values_list("key", flat=True)) == ["1"]


@pytest.mark.parametrize("too_many", [False, True])
def test_creating_no_records_or_too_many_at_once_is_refused(ssa_officer, phones, too_many):
    count = actions.MAX_ENTRIES + 1 if too_many else 0
    with pytest.raises(ValidationFailed) as refused:
        actions.records_create(
            actor=ssa_officer, database=phones, contents=[{"phone": str(n)} for n in range(count)]
        )
    assert "write" in refused.value.fields


def test_a_national_id_field_is_stored_encrypted_and_found_by_its_blind_index(
    ssa_officer, phones, access, citizen, nation
):
    national_id = nation.demo_citizen_national_id
    record = actions.record_create(
        actor=ssa_officer, database=phones, content={"phone": "1", "caretaker": {"id": f" {national_id.lower()} "}}
    )
    stored = RegistryRecord.objects.get(pk=record.pk)
    secret = RegistrySecret.objects.get(record=record)
    assert stored.content == {"phone": "1", "caretaker": {}}
    assert national_id.encode() not in bytes(secret.value_encrypted) and secret.value_index
    assert stored.person_id == citizen.person_id
    read = queries.record_read(database=phones, content={"caretaker": {"id": national_id}}, access=access)
    assert read["caretaker"] == {"id": national_id}  # in its normal form
    assert _search(phones, access, **{"caretaker.id": national_id.lower()})[0] == 1
    assert not queries.record_exists(database=phones, content={"caretaker": {"id": "S0000001I"}}, access=access)


def test_a_national_id_field_is_found_by_equality_only(ssa_officer, phones, access):
    with pytest.raises(ValidationFailed) as searched:
        queries.records_search(
            database=phones, texts={}, search="S12", search_field="caretaker.id", ordering="", page=1, page_size=1,
            access=access,
        )
    with pytest.raises(ValidationFailed) as ordered:
        queries.records_search(
            database=phones, texts={}, search="", search_field="", ordering="caretaker.id", page=1, page_size=1,
            access=access,
        )
    with pytest.raises(ValidationFailed) as whole:
        queries.record_read(database=phones, content={"caretaker": {}}, access=access)
    assert (list(searched.value.fields), list(ordered.value.fields)) == (["filter"], ["ordering"])
    assert list(whole.value.fields) == ["query.caretaker"]


def test_a_national_id_is_still_found_while_the_blind_index_key_changes(ssa_officer, phones, access, nation, settings):
    national_id = nation.demo_citizen_national_id
    actions.record_create(actor=ssa_officer, database=phones, content={"phone": "1", "caretaker": {"id": national_id}})
    settings.DIGIGOV_BLIND_INDEX_KEY_PREVIOUS = [settings.DIGIGOV_BLIND_INDEX_KEY]
    settings.DIGIGOV_BLIND_INDEX_KEY = bytes(32)
    assert queries.record_exists(database=phones, content={"caretaker": {"id": national_id}}, access=access)


def test_the_migration_encrypts_national_ids_that_records_held_in_clear(ssa_officer, phones, access, nation):
    migration = importlib.import_module("digigov.blocks.registries.migrations.0005_registry_national_id_encrypted")
    national_id = nation.demo_citizen_national_id
    # A record as the code before the migration stored it: the number in its content.
    old = RegistryRecord.objects.create(
        database=phones, key="1", content={"phone": "1", "caretaker": {"id": national_id}}
    )
    migration.national_ids_encrypt(django_apps, None)
    old.refresh_from_db()
    assert old.content == {"phone": "1", "caretaker": {}}
    assert queries.record_read(database=phones, content={"caretaker": {"id": national_id}}, access=access) == {
        "phone": "1", "caretaker": {"id": national_id}
    }
    migration.national_ids_decrypt(django_apps, None)
    old.refresh_from_db()
    assert old.content == {"phone": "1", "caretaker": {"id": national_id}}
    assert not RegistrySecret.objects.filter(record=old).exists()
