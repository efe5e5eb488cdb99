"""Reads of schema-defined registries (GovStack Digital Registries). A registry belongs to the agency that
created it; only that agency's systems see it, and to anyone else it does not exist. Every read of a record about
a person is recorded through the consent block, so the person sees it in "who accessed my data" and in
`myPersonalDataUsage`."""

import dataclasses
import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils.translation import gettext as _

from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries import schema_registries as schemas
from digigov.blocks.registries.models import Agency, Person, RegistryDatabase, RegistryRecord, RegistrySecret
from digigov.blocks.registries.queries import AccessContext, person_id_by_national_id
from digigov.platform.crypto import blind_index, blind_indexes, decrypt_many, row_context
from digigov.platform.errors import NotFound, ValidationFailed

# The Digital Registries spec names this text as the body of its 404.
NO_RECORD = "no record found"
MAX_PAGE_SIZE = 100
SERVICE_REF_PREFIX = "govstack-registries"
# Associated data of a sensitive field's ciphertext, with the RegistrySecret row's id (platform.keys lists it).
SECRET_CONTEXT = b"registries.record_secret"
# Context of the blind indexes of records' national ID fields (RegistrySecret.value_index), computed over the stored
# plaintext (the JSON text of the normalised number), which is what `digigov keys rotate-index` recomputes it from.
NATIONAL_ID_INDEX_CONTEXT = b"registries.record_national_id"
# A registry's code and version are segments of the data API's paths.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}")
ORDER_DIRECTIONS = {"ascending": "", "asc": "", "descending": "-", "desc": "-"}


def service_ref(*, database: RegistryDatabase, record: RegistryRecord | None = None) -> str:
    """How an access record names the registry (and record) that was read: `myPersonalDataUsage` finds the reads
    of one registry, and the records they were about, by it."""
    return f"{SERVICE_REF_PREFIX}:{database.pk}:{record.pk if record else ''}"


def database_list(*, agency: Agency) -> QuerySet[RegistryDatabase]:
    return RegistryDatabase.objects.filter(owner_agency=agency, deleted_at__isnull=True).order_by("code", "version")


def access_database(*, agency: Agency, database_id: int) -> RegistryDatabase:
    """One of the agency's registries by id; another agency's is "not found", like one that does not exist."""
    database = database_list(agency=agency).filter(pk=database_id).first()
    if database is None:
        raise NotFound(_("Registry not found."))
    return database


def database_by_code(*, agency: Agency, code: str, version: str | None) -> RegistryDatabase:
    """The agency's registry `code` in `version`, or without a version (the current spec's createEntries path names
    none) its newest version."""
    valid = CODE.fullmatch(code) and (version is None or VERSION.fullmatch(version))
    databases = database_list(agency=agency).filter(code__iexact=code)
    if version is not None:
        databases = databases.filter(version=version)
    database = databases.order_by("-created_at", "-pk").first() if valid else None
    if database is None:
        raise NotFound(_("Registry not found."))
    return database


def _json_path(path: Sequence[str], *, text: bool = False) -> KeyTransform:
    # Built from transforms rather than "content__a__b" lookups, so a field name may hold any character.
    expression: Any = "content"
    for index, part in enumerate(path):
        last = index == len(path) - 1
        expression = (KeyTextTransform if text and last else KeyTransform)(part, expression)
    return expression


def _equal_to_text(value: str) -> list[Any]:
    """What a query-string value may stand for: the text itself, or the number / true / false / null it spells."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    number = isinstance(parsed, bool | int) or (isinstance(parsed, float) and math.isfinite(parsed))
    return [value, parsed] if number or parsed is None else [value]


def national_id_index(*, plaintext: str) -> str:
    return blind_index(value=plaintext, context=NATIONAL_ID_INDEX_CONTEXT)


def _national_id_match(values: Sequence[Any]) -> Exists:
    """Records whose national ID field holds one of `values`: their secret's blind index, under any live key."""
    indexes = [
        index
        for value in values
        if isinstance(value, str) and value.strip()
        for index in blind_indexes(value=json.dumps(nid.normalise(value)), context=NATIONAL_ID_INDEX_CONTEXT)
    ]
    return Exists(RegistrySecret.objects.filter(record=OuterRef("pk"), value_index__in=indexes))


def contents_of(*, database: RegistryDatabase, records: Sequence[RegistryRecord]) -> dict[Any, dict]:
    """Each record's whole content by its id: its stored content with its sensitive fields decrypted back in."""
    if not schemas.encrypted_paths(schema=database.schema):
        return {record.pk: record.content for record in records}
    secrets = list(RegistrySecret.objects.filter(record__in=[r.pk for r in records]).order_by("id"))
    values = decrypt_many(
        ciphertexts=[s.value_encrypted for s in secrets],
        contexts=[row_context(context=SECRET_CONTEXT, row_id=s.pk) for s in secrets],
    )
    taken: dict[Any, dict] = {record.pk: {} for record in records}
    for secret, value in zip(secrets, values, strict=True):
        taken[secret.record_id][tuple(json.loads(secret.path))] = json.loads(value)
    return {r.pk: schemas.content_joined(content=r.content, taken=taken[r.pk]) for r in records}


def record_content(*, database: RegistryDatabase, record: RegistryRecord) -> dict:
    return contents_of(database=database, records=[record])[record.pk]


def _searchable_check(
    *, database: RegistryDatabase, fields: Mapping[str, Sequence[str]], equality: bool = False
) -> None:
    # A national ID field is encrypted too (sensitive in the common data standard), yet found by equality.
    message = _("This field is sensitive: it is stored encrypted and cannot be searched.")
    schema = database.schema
    if refused := {
        name: message
        for name, path in fields.items()
        if schemas.unsearchable(schema=schema, path=tuple(path), equality=equality)
    }:
        raise ValidationFailed(fields=refused)


def records_matching(
    *, database: RegistryDatabase, content: Mapping[str, Any] | None = None, texts: Mapping[str, str] | None = None
) -> QuerySet[RegistryRecord]:
    """Records whose content equals `content` on each of its leaf fields (a GovStack query.content object), and
    the text values `texts` ({"child.firstName": "Usha"}, from query.<field> parameters)."""
    schemas.texts_check(**{"query.content": dict(content or {}), "query": dict(texts or {})})
    records = RegistryRecord.objects.filter(database=database)
    conditions: list[tuple[Sequence[str], list[Any]]] = [
        (path, [value]) for path, value in schemas.leaf_items(content=content or {})
    ]
    conditions += [(tuple(name.split(".")), _equal_to_text(value)) for name, value in (texts or {}).items()]
    _searchable_check(
        database=database, fields={"query." + ".".join(path): path for path, _values in conditions}, equality=True
    )
    indexed = schemas.indexed_path(schema=database.schema)
    for index, (path, values) in enumerate(conditions):
        if path == indexed:
            records = records.filter(_national_id_match(values))
            continue
        alias = f"match_{index}"
        records = records.alias(**{alias: _json_path(path)})
        any_value = Q()
        for value in values:
            any_value |= Q(**{alias: value})
        records = records.filter(any_value)
    return records.order_by("created_at", "id")


def _reachable(records: QuerySet[RegistryRecord], *, access: AccessContext) -> QuerySet[RegistryRecord]:
    """The records the reader may see: for a sandbox system (access.synthetic_only) none about a real person,
    which then looks exactly like a record that is not there."""
    if access.synthetic_only:
        return records.filter(Q(person__isnull=True) | Q(person__synthetic=True))
    return records


def reads_record(
    *, database: RegistryDatabase, reads: Sequence[tuple[RegistryRecord, Sequence[str]]], access: AccessContext
) -> None:
    """Record, for every record about a person, that the calling system read these fields of it."""
    from digigov.blocks.consent import actions as consent_actions

    about = {record.person_id for record, _fields in reads} - {None}
    if access.synthetic_only and about - set(Person.objects.filter(pk__in=about, synthetic=True).values_list(
        "pk", flat=True
    )):
        # The reads above leave real people's records out for a sandbox; a path that reaches one anyway (an
        # upsert's answer) is refused rather than shown, and its write undone with the caller's transaction.
        raise NotFound(NO_RECORD)
    with transaction.atomic():
        for record, fields in reads:
            if record.person_id is None:
                continue
            consent_actions.access_record(
                person_id=record.person_id,
                elements=[f"{database.code}.{field}" for field in fields],
                context=dataclasses.replace(access, service_ref=service_ref(database=database, record=record)),
            )


def _ordering(*, database: RegistryDatabase, ordering: str) -> tuple[str, Sequence[str] | None]:
    """GovStack's `ordering`: "ascending" / "descending" (by when records were created), or a field name with an
    optional "-" for descending, as the Django REST framework the spec's list answer comes from spells it."""
    if not ordering or ordering.lower() in ORDER_DIRECTIONS:
        return ORDER_DIRECTIONS.get(ordering.lower(), ""), None
    direction, field = ("-", ordering[1:]) if ordering.startswith("-") else ("", ordering)
    path = tuple(field.split("."))
    if path[0] not in schemas.properties_of(database.schema):
        raise ValidationFailed(fields={"ordering": _("The registry has no field %(field)s.") % {"field": field}})
    _searchable_check(database=database, fields={"ordering": path})
    return direction, path


def records_search(
    *,
    database: RegistryDatabase,
    texts: Mapping[str, str],
    search: str,
    search_field: str,
    ordering: str,
    page: int,
    page_size: int,
    access: AccessContext,
) -> tuple[int, list[dict]]:
    """One page of the registry's records matching the query: (count, this page's contents). `count` is how many
    match in all, except for a query that filters (`texts` or `search`): then it is how many match up to the end
    of this page, plus one when more follow, and 0 for an empty page."""
    schemas.texts_check(search=search, filter=search_field, ordering=ordering)
    fields = schemas.properties_of(database.schema)
    unknown = {f"query.{name}": name for name in texts if name.split(".")[0] not in fields}
    if search_field and search_field.split(".")[0] not in fields:
        unknown["filter"] = search_field
    if unknown:
        message = _("The registry has no field %(field)s.")
        raise ValidationFailed(fields={param: message % {"field": name} for param, name in unknown.items()})
    records = _reachable(records_matching(database=database, texts=texts), access=access)
    if search_field:
        _searchable_check(database=database, fields={"filter": tuple(search_field.split("."))})
    if search:
        paths = [tuple(search_field.split("."))] if search_field else schemas.text_paths(schema=database.schema)
        any_field = Q(pk__in=[])
        for index, path in enumerate(paths):
            alias = f"search_{index}"
            records = records.alias(**{alias: _json_path(path, text=True)})
            any_field |= Q(**{f"{alias}__icontains": search})
        records = records.filter(any_field)
    direction, order_path = _ordering(database=database, ordering=ordering)
    if order_path is not None:
        records = records.alias(order_value=_json_path(order_path)).order_by(
            f"{direction}order_value", f"{direction}created_at", f"{direction}id"
        )
    else:
        records = records.order_by(f"{direction}created_at", f"{direction}id")
    start = (page - 1) * page_size
    if texts or search:
        # The total of a filtered query would be an oracle: query.caretaker.id=<national ID> with a page past the
        # end tells whether that person is in the registry while no record of theirs is read (and so recorded).
        # Only the records shown, each recorded below, are counted, and one more tells that a next page exists.
        found = list(records[start : start + page_size + 1])
        more = len(found) > page_size
        found = found[:page_size]
        count = start + len(found) + more if found else 0
    else:
        count = records.count()
        found = list(records[start : start + page_size])
    contents = contents_of(database=database, records=found)
    reads_record(database=database, reads=[(r, list(contents[r.pk])) for r in found], access=access)
    return count, [contents[r.pk] for r in found]


def record_read(*, database: RegistryDatabase, content: Mapping[str, Any], access: AccessContext) -> dict:
    """The content of the first record (oldest first) matching the query."""
    record = _reachable(records_matching(database=database, content=content), access=access).first()
    if record is None:
        raise NotFound(NO_RECORD)
    whole = record_content(database=database, record=record)
    reads_record(database=database, reads=[(record, list(whole))], access=access)
    return whole


def record_exists(*, database: RegistryDatabase, content: Mapping[str, Any], access: AccessContext) -> bool:
    """Whether a record matches. Knowing that someone is in a registry is itself their data, so a match about a
    person is recorded as a read of the fields asked about."""
    record = _reachable(records_matching(database=database, content=content), access=access).first()
    if record is not None:
        fields = list(content) or ["exists"]
        reads_record(database=database, reads=[(record, fields)], access=access)
    return record is not None


def record_by_identifier(*, database: RegistryDatabase, identifier: str) -> RegistryRecord:
    """A record by its registry identifier (the primary key field's value) or by its DigiGov UUID."""
    if any(schemas.unstorable_paths(identifier)):
        raise NotFound(NO_RECORD)
    records = RegistryRecord.objects.filter(database=database)
    record = records.filter(key=identifier).first()
    if record is None:
        try:
            record = records.filter(pk=uuid.UUID(identifier)).first()
        except ValueError:
            record = None
    if record is None:
        raise NotFound(NO_RECORD)
    return record


def record_value_get(
    *, database: RegistryDatabase, identifier: str, field: str, access: AccessContext
) -> Any:
    """One field's value of one record (`field` may be a dotted path into nested objects)."""
    record = record_by_identifier(database=database, identifier=identifier)
    if not _reachable(RegistryRecord.objects.filter(pk=record.pk), access=access).exists():
        raise NotFound(NO_RECORD)
    whole = record_content(database=database, record=record)
    found, value = schemas.value_at(content=whole, path=tuple(field.split(".")))
    if not found:
        # The same answer as for a missing record: a different one would tell whether an identifier (possibly
        # personal data) is in the registry without any read being recorded.
        raise NotFound(NO_RECORD)
    reads_record(database=database, reads=[(record, [field])], access=access)
    return value


@dataclass(frozen=True)
class PersonalDataUsage:
    """One read of a person's record in a registry, in the terms of GovStack's PersonalDataUsage."""

    id: str
    reader_id: str
    reader_initials: str
    reader_institution_id: str
    reader_institution_name: str
    reader_application_name: str
    read_at: dt.datetime
    references: list[str]


def _initials(label: str) -> str:
    return "".join(word[0] for word in label.split() if word[:1].isalpha()).upper()[:4]


def personal_data_usage(
    *, agency: Agency, national_id: str, database_code: str, access: AccessContext
) -> list[PersonalDataUsage]:
    """Who has read a person's records in one of the agency's registries (all its versions), newest first."""
    from digigov.blocks.consent import actions as consent_actions
    from digigov.blocks.consent import queries as consent_queries

    if not nid.is_valid(national_id):
        raise ValidationFailed(fields={"userId": _("Enter a valid national ID number.")})
    if not CODE.fullmatch(database_code):
        raise NotFound(_("Person requests not found."))
    databases = list(
        RegistryDatabase.objects.filter(owner_agency=agency, code__iexact=database_code).order_by(
            F("deleted_at").asc(nulls_first=True)
        )
    )
    person_id = person_id_by_national_id(national_id=national_id, synthetic_only=access.synthetic_only)
    if not databases or person_id is None:
        raise NotFound(_("Person requests not found."))
    prefixes = Q()
    for database in databases:
        prefixes |= Q(service_ref__startswith=service_ref(database=database))
    reads = list(consent_queries.access_records_for_person(person_id=person_id).filter(prefixes))
    record_ids = {r.service_ref.rsplit(":", 1)[1] for r in reads} - {""}
    keys = {
        str(pk): key or str(pk)
        for pk, key in RegistryRecord.objects.filter(pk__in=record_ids).values_list("pk", "key")
    }
    # The log of reads is the person's data too: reading it is recorded like any other read.
    consent_actions.access_record(
        person_id=person_id,
        elements=[f"{databases[0].code}.personalDataUsage"],
        context=dataclasses.replace(access, service_ref=service_ref(database=databases[0])),
    )
    usage = []
    for read in reads:
        record_id = read.service_ref.rsplit(":", 1)[1]
        usage.append(
            PersonalDataUsage(
                id=str(read.pk),
                reader_id=str(read.accessor_id or ""),
                reader_initials=_initials(read.accessor_label),
                reader_institution_id=read.agency.code,
                reader_institution_name=read.agency.name,
                reader_application_name=read.accessor_label,
                read_at=read.accessed_at,
                references=[keys.get(record_id, record_id)] if record_id else [],
            )
        )
    return usage
