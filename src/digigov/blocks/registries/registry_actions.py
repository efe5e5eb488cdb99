"""Writes of schema-defined registries (GovStack Digital Registries): an agency defines a registry by a JSON
Schema, changes or deletes it, and creates, updates and deletes its records. Each write is one transaction with
its audit entry and outbox event. Audit entries name fields, never their values: the values are personal data."""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries import schema_registries as schemas
from digigov.blocks.registries.events import RegistryDatabaseChanged, RegistryRecordChanged
from digigov.blocks.registries.models import Agency, RegistryDatabase, RegistryRecord, RegistrySecret
from digigov.blocks.registries.queries import AccessContext, person_id_by_national_id
from digigov.blocks.registries.registry_queries import (
    CODE,
    NO_RECORD,
    SECRET_CONTEXT,
    VERSION,
    access_database,
    contents_of,
    national_id_index,
    reads_record,
    record_by_identifier,
    record_content,
    records_matching,
)
from digigov.platform import outbox
from digigov.platform.crypto import encrypt_many, row_context
from digigov.platform.errors import Conflict, NotFound, ValidationFailed

# /data/MyPersonalDataUsage/1.0 is the 2023 spelling of the data-usage endpoint; a registry of that name would be
# hidden behind it.
RESERVED_CODES = {"mypersonaldatausage"}
MAX_KEY_LENGTH = 200
# RegistryDatabase.name and .group_name: PostgreSQL refuses longer text outright (SQLite would store it).
MAX_NAME_LENGTH = 200
# One createEntries request is one transaction holding the registry's lock: bounded, so it cannot hold it long.
MAX_ENTRIES = 500


def _id_sequence_reset() -> None:
    """After a registry was created with a given id (a fixture's), move PostgreSQL's id sequence past it, or the
    next registry created without one would be handed a taken id."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [RegistryDatabase]):
            cursor.execute(statement)


def _locked(*, database: RegistryDatabase) -> RegistryDatabase:
    """The registry as it is now, locked until the transaction ends. Writes to one registry take turns, so that a
    schema change checks every record while none changes under the old schema, identifiers are checked for
    uniqueness before a concurrent write takes them, and generated numbers are handed out once."""
    locked = RegistryDatabase.objects.select_for_update().filter(pk=database.pk, deleted_at__isnull=True).first()
    if locked is None:
        raise NotFound(_("Registry not found."))
    return locked


def _database_event(*, database: RegistryDatabase, change: str) -> None:
    outbox.publish(
        RegistryDatabaseChanged(
            database_id=database.pk,
            code=database.code,
            version=database.version,
            agency_code=database.owner_agency.code,
            change=change,
        )
    )


def _record_written(
    *, actor: Any, database: RegistryDatabase, record: RegistryRecord, change: str, fields: Iterable[str]
) -> None:
    entry_record(
        actor=actor,
        action=f"registries:record:{change}",
        object_type="registry_record",
        object_id=record.pk,
        # The record's UUID (object_id) names it, never its key: a key may be personal data.
        detail={"database": database.pk, "code": database.code, "fields": sorted(fields)},
    )
    outbox.publish(RegistryRecordChanged(database_id=database.pk, record_id=str(record.pk), change=change))


def _key_of(*, schema: Mapping[str, Any], content: Mapping[str, Any]) -> str:
    value = content.get(schemas.primary_key_field(schema=schema)) if isinstance(content, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _record_check(*, schema: Mapping[str, Any], content: Any, prefix: str) -> tuple[str, int | None, dict[str, str]]:
    """(key, person id, field errors) of a record's content under a registry's schema."""
    errors = schemas.content_errors(schema=schema, content=content, prefix=prefix)
    if errors:
        return "", None, errors
    key = _key_of(schema=schema, content=content)
    if len(key) > MAX_KEY_LENGTH:
        field = schemas.primary_key_field(schema=schema)
        errors[f"{prefix}.{field}"] = _("An identifier is at most %(n)d characters.") % {"n": MAX_KEY_LENGTH}
    person_id = None
    if path := schemas.national_id_path(schema=schema):
        found, value = schemas.value_at(content=content, path=path)
        if found and value not in (None, ""):
            if isinstance(value, str) and nid.is_valid(value):
                person_id = person_id_by_national_id(national_id=value)
            else:
                errors[".".join((prefix, *path))] = _("Enter a valid national ID number.")
    return key, person_id, errors


def _key_taken(*, database: RegistryDatabase, key: str, record_id: Any = None) -> bool:
    return bool(key) and RegistryRecord.objects.filter(database=database, key=key).exclude(pk=record_id).exists()


def _key_conflict(*, database: RegistryDatabase) -> Conflict:
    field = schemas.primary_key_field(schema=database.schema)
    return Conflict(
        _("A record with this identifier already exists."),
        fields={f"content.{field}": _("A record with this identifier already exists.")},
    )


def _content_store(*, schema: Mapping[str, Any], record: RegistryRecord, content: dict, new: bool = False) -> None:
    """Save the record: its content without the sensitive and national ID fields, and each of those encrypted in a
    row of its own, bound to that row; the national ID field with the blind index its queries match."""
    public, taken = schemas.content_split(content=content, paths=schemas.encrypted_paths(schema=schema))
    indexed = schemas.indexed_path(schema=schema)
    if isinstance(taken.get(indexed), str) and taken[indexed]:
        # In its normal form, so that the index is that of the stored text: `keys rotate-index` recomputes it so.
        taken[indexed] = nid.normalise(taken[indexed])
    record.content = public
    record.save(force_insert=new)
    if not new:
        RegistrySecret.objects.filter(record=record).delete()
    if not taken:
        return
    plaintexts = [json.dumps(value) for value in taken.values()]
    secrets = RegistrySecret.objects.bulk_create(
        [
            RegistrySecret(
                record=record,
                path=json.dumps(list(path)),
                value_encrypted=b"",
                value_index=national_id_index(plaintext=plaintext) if path == indexed and taken[path] else "",
            )
            for path, plaintext in zip(taken, plaintexts, strict=True)
        ]
    )
    ciphertexts = encrypt_many(
        plaintexts=plaintexts,
        contexts=[row_context(context=SECRET_CONTEXT, row_id=secret.pk) for secret in secrets],
    )
    for secret, ciphertext in zip(secrets, ciphertexts, strict=True):
        secret.value_encrypted = ciphertext
    RegistrySecret.objects.bulk_update(secrets, ["value_encrypted"])


def _code_check(*, code: str, version: str) -> None:
    errors = {}
    if not CODE.fullmatch(code) or code.lower() in RESERVED_CODES:
        errors["code"] = _("Give a code of up to 40 letters, digits, dots, dashes or underscores.")
    if not VERSION.fullmatch(version):
        errors["version"] = _("Give a version of up to 20 letters, digits, dots, dashes or underscores.")
    if errors:
        raise ValidationFailed(fields=errors)


def _batches(records: Iterable[RegistryRecord], size: int = 500) -> Iterator[list[RegistryRecord]]:
    batch: list[RegistryRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _records_revalidate(*, database: RegistryDatabase, schema: Mapping[str, Any]) -> None:
    """Check every record against a new schema; refuse the change listing each offending record's fields, and
    otherwise bring the records' identifiers, persons and encrypted fields up to date with the new schema."""
    errors: dict[str, str] = {}
    changed: list[tuple[RegistryRecord, dict]] = []
    owners: dict[str, str] = {}
    encryption_changes = schemas.encrypted_paths(schema=schema) != schemas.encrypted_paths(schema=database.schema)
    records = RegistryRecord.objects.filter(database=database).order_by("created_at", "id").iterator()
    for batch in _batches(records):
        contents = contents_of(database=database, records=batch)
        for record in batch:
            # Errors name records by UUID: their keys may be personal data, and field names end up in logs.
            label = str(record.pk)
            content = contents[record.pk]
            key, person_id, record_errors = _record_check(schema=schema, content=content, prefix=f"records.{label}")
            errors.update(record_errors)
            if key and key in owners:
                errors[f"records.{label}"] = _("Same identifier as record %(other)s.") % {"other": owners[key]}
            if key:
                owners.setdefault(key, label)
            if encryption_changes or (key, person_id) != (record.key, record.person_id):
                record.key, record.person_id = key, person_id
                changed.append((record, content))
        if len(errors) >= schemas.MAX_ERRORS:
            break
    if errors:
        raise ValidationFailed(
            _("Some records do not fit the new schema; correct them or the schema first."), fields=errors
        )
    if changed:
        # Identifiers first cleared, so that records swapping them never meet the uniqueness constraint half-way.
        RegistryRecord.objects.filter(pk__in=[record.pk for record, _content in changed]).update(key="")
        for record, content in changed:
            _content_store(schema=schema, record=record, content=content)


@transaction.atomic
def database_modify(
    *,
    actor: Any,
    agency: Agency,
    code: str,
    version: str,
    schema: Any,
    name: str = "",
    group_name: str = "",
    description: str = "",
    database_id: int | None = None,
) -> tuple[RegistryDatabase, bool]:
    """Create the agency's registry `code` `version`, or change its schema: (database, created). A new schema must
    fit every existing record, or the change is refused with the records' field errors."""
    _code_check(code=code, version=version)
    schemas.texts_check(catalogName=name, groupName=group_name, description=description)
    names = {"catalogName": name, "groupName": group_name}
    if long := {field: _("At most %(n)d characters.") % {"n": MAX_NAME_LENGTH}
                for field, text in names.items() if len(text) > MAX_NAME_LENGTH}:
        raise ValidationFailed(fields=long)
    schemas.schema_check(schema=schema)
    database = (
        RegistryDatabase.objects.select_for_update()
        .filter(owner_agency=agency, code__iexact=code, version=version, deleted_at__isnull=True)
        .first()
    )
    created = database is None
    if created:
        if database_id is not None and RegistryDatabase.objects.filter(pk=database_id).exists():
            raise Conflict(fields={"id": _("This id belongs to another registry.")})
        database = RegistryDatabase(pk=database_id, code=code, version=version, owner_agency=agency)
        database.created_by_id = getattr(actor, "pk", None)
        database.created_by_label = getattr(actor, "username", "") or ""
    else:
        _records_revalidate(database=database, schema=schema)
    database.schema = schema
    database.name = name or database.name or code
    database.group_name = group_name or database.group_name
    database.description = description or database.description or str(schema.get("description", ""))
    try:
        with transaction.atomic():
            database.save()
    except IntegrityError:  # the same code and version, created by a concurrent request since the lookup
        raise Conflict(fields={"code": _("This registry is being created by another request.")}) from None
    if database_id is not None:
        _id_sequence_reset()
    change = "created" if created else "modified"
    entry_record(
        actor=actor,
        action=f"registries:database:{'create' if created else 'modify'}",
        object_type="registry_database",
        object_id=database.pk,
        detail={"code": database.code, "version": database.version, "fields": sorted(schemas.properties_of(schema))},
    )
    _database_event(database=database, change=change)
    return database, created


@transaction.atomic
def database_delete(*, actor: Any, agency: Agency, database_id: int) -> RegistryDatabase:
    """Delete one of the agency's registries with all its records."""
    database = _locked(database=access_database(agency=agency, database_id=database_id))
    removed, _by_model = RegistryRecord.objects.filter(database=database).delete()
    database.deleted_at = timezone.now()
    database.save(update_fields=["deleted_at", "modified_at"])
    entry_record(
        actor=actor,
        action="registries:database:delete",
        object_type="registry_database",
        object_id=database.pk,
        detail={"code": database.code, "version": database.version, "records": removed},
    )
    _database_event(database=database, change="deleted")
    return database


def _numbered(*, database: RegistryDatabase, content: Any) -> Any:
    """Count one more record of the registry (the caller saves the count), and give `content` the next
    "{code}{n}" (or n) when it has no value for the primary key field."""
    database.index_increment += 1
    key_field = schemas.primary_key_field(schema=database.schema)
    if isinstance(content, dict) and key_field and key_field not in content:
        key_spec = database.schema["properties"][key_field]
        is_number = isinstance(key_spec, dict) and key_spec.get("type") == "integer"
        generated = database.index_increment if is_number else f"{database.code}{database.index_increment}"
        content = {key_field: generated, **content}
    return content


@transaction.atomic
def record_create(
    *, actor: Any, database: RegistryDatabase, content: Any, record_id: UUID | None = None
) -> RegistryRecord:
    """Add a record. Without a value for the primary key field, the record gets the next "{code}{n}"."""
    database = _locked(database=database)
    content = _numbered(database=database, content=content)
    database.save(update_fields=["index_increment"])
    key, person_id, errors = _record_check(schema=database.schema, content=content, prefix="content")
    if errors:
        raise ValidationFailed(fields=errors)
    if _key_taken(database=database, key=key) or (
        record_id is not None and RegistryRecord.objects.filter(pk=record_id).exists()
    ):
        raise _key_conflict(database=database)
    record = RegistryRecord(database=database, key=key, person_id=person_id)
    if record_id is not None:
        record.id = record_id
    _content_store(schema=database.schema, record=record, content=content, new=True)
    _record_written(actor=actor, database=database, record=record, change="create", fields=content)
    return record


@transaction.atomic
def records_create(*, actor: Any, database: RegistryDatabase, contents: Sequence[Any]) -> list[RegistryRecord]:
    """Add several records (GovStack's createEntries): all of them, or none when any is refused. Errors name each
    record by its place in the request (`write.<n>.content...`)."""
    if not contents or len(contents) > MAX_ENTRIES:
        message = _("Give between 1 and %(n)d records.") % {"n": MAX_ENTRIES}
        raise ValidationFailed(fields={"write": message})
    database = _locked(database=database)
    key_field = schemas.primary_key_field(schema=database.schema)
    checked: list[tuple[dict, str, int | None]] = []
    errors: dict[str, str] = {}
    for index, content in enumerate(contents):
        content = _numbered(database=database, content=content)
        key, person_id, record_errors = _record_check(
            schema=database.schema, content=content, prefix=f"write.{index}.content"
        )
        errors |= record_errors
        checked.append((content, key, person_id))
    if errors:
        raise ValidationFailed(fields=errors)
    keys = [key for _content, key, _person in checked if key]
    taken = set(RegistryRecord.objects.filter(database=database, key__in=keys).values_list("key", flat=True))
    seen: set[str] = set()
    conflicts = {}
    for index, (_content, key, _person) in enumerate(checked):
        if key and (key in taken or key in seen):
            conflicts[f"write.{index}.content.{key_field}"] = _("A record with this identifier already exists.")
        seen.add(key)
    if conflicts:
        raise Conflict(_("A record with this identifier already exists."), fields=conflicts)
    database.save(update_fields=["index_increment"])
    records = []
    for content, key, person_id in checked:
        record = RegistryRecord(database=database, key=key, person_id=person_id)
        _content_store(schema=database.schema, record=record, content=content, new=True)
        _record_written(actor=actor, database=database, record=record, change="create", fields=content)
        records.append(record)
    return records


def _merged(
    *,
    record: RegistryRecord,
    whole: Mapping[str, Any],
    write: Mapping[str, Any],
    schema: Mapping[str, Any],
    prefix: str,
) -> tuple[dict, dict[str, str]]:
    """(new content, field errors): top-level fields of `write` replace the record's, its other fields stay. Sets
    the record's identifier and person to the new content's."""
    content = {**whole, **write}
    key, person_id, errors = _record_check(schema=schema, content=content, prefix=prefix)
    if not errors:
        record.key, record.person_id = key, person_id
    return content, errors


def _query_or_key(*, database: RegistryDatabase, query: Mapping[str, Any] | None, write: Mapping[str, Any]):
    """The query that finds the record to write: the one given, or the written content's identifier."""
    if query is not None:
        return query
    key_field = schemas.primary_key_field(schema=database.schema)
    if key_field and key_field in write:
        return {key_field: write[key_field]}
    return None


def _only_match(*, database: RegistryDatabase, query: Mapping[str, Any]) -> RegistryRecord | None:
    matches = list(records_matching(database=database, content=query)[:2])
    if len(matches) > 1:
        raise Conflict(_("The query matches more than one record; make it narrower, or update all of them."))
    return matches[0] if matches else None


def _record_save(
    *, actor: Any, database: RegistryDatabase, record: RegistryRecord, content: dict, fields: Iterable[str]
) -> None:
    if _key_taken(database=database, key=record.key, record_id=record.pk):
        raise _key_conflict(database=database)
    _content_store(schema=database.schema, record=record, content=content)
    _record_written(actor=actor, database=database, record=record, change="update", fields=fields)


@transaction.atomic
def record_update(
    *, actor: Any, database: RegistryDatabase, query: Mapping[str, Any] | None, write: Mapping[str, Any]
) -> RegistryRecord:
    """Change the one record the query (or, without one, the written identifier) finds."""
    database = _locked(database=database)
    found_by = _query_or_key(database=database, query=query, write=write)
    if found_by is None:
        raise ValidationFailed(fields={"query": _("Say which record to update.")})
    record = _only_match(database=database, query=found_by)
    if record is None:
        raise NotFound(NO_RECORD)
    whole = record_content(database=database, record=record)
    content, errors = _merged(record=record, whole=whole, write=write, schema=database.schema, prefix="content")
    if errors:
        raise ValidationFailed(fields=errors)
    _record_save(actor=actor, database=database, record=record, content=content, fields=write)
    return record


@transaction.atomic
def records_update(
    *, actor: Any, database: RegistryDatabase, query: Mapping[str, Any] | None, write: Mapping[str, Any]
) -> int:
    """Change every record the query finds; if any would break the schema, none changes."""
    if query is None:
        # Changing every record of a registry is never what a missing query should mean.
        raise ValidationFailed(fields={"query": _("Say which records to update.")})
    database = _locked(database=database)
    records = list(records_matching(database=database, content=query))
    wholes = contents_of(database=database, records=records)
    contents: dict[Any, dict] = {}
    errors: dict[str, str] = {}
    for record in records:
        prefix = f"records.{record.pk}"
        contents[record.pk], record_errors = _merged(
            record=record, whole=wholes[record.pk], write=write, schema=database.schema, prefix=prefix
        )
        errors |= record_errors
    keys = [r.key for r in records if r.key]
    if len(keys) != len(set(keys)):
        errors[f"content.{schemas.primary_key_field(schema=database.schema)}"] = _(
            "The records would share one identifier."
        )
    if errors:
        raise ValidationFailed(fields=errors)
    for record in records:
        _record_save(actor=actor, database=database, record=record, content=contents[record.pk], fields=write)
    return len(records)


@transaction.atomic
def record_upsert(
    *,
    actor: Any,
    database: RegistryDatabase,
    query: Mapping[str, Any] | None,
    write: Mapping[str, Any],
    access: AccessContext,
) -> tuple[RegistryRecord, bool]:
    """Update the one record the query finds, or create one from `write` when none matches: (record, created).
    The answer shows the whole updated record, so an update of a record about a person is recorded as a read."""
    database = _locked(database=database)
    found_by = _query_or_key(database=database, query=query, write=write)
    record = _only_match(database=database, query=found_by) if found_by is not None else None
    if record is None:
        return record_create(actor=actor, database=database, content=dict(write)), True
    whole = record_content(database=database, record=record)
    content, errors = _merged(record=record, whole=whole, write=write, schema=database.schema, prefix="content")
    if errors:
        raise ValidationFailed(fields=errors)
    _record_save(actor=actor, database=database, record=record, content=content, fields=write)
    reads_record(database=database, reads=[(record, list(content))], access=access)
    return record, False


@transaction.atomic
def record_delete(*, actor: Any, database: RegistryDatabase, identifier: str) -> None:
    database = _locked(database=database)
    record = record_by_identifier(database=database, identifier=identifier)
    RegistryRecord.objects.filter(pk=record.pk).delete()
    _record_written(actor=actor, database=database, record=record, change="delete", fields=())
