"""GovStack Digital Registries 1.3.0 (data API and database API) over DigiGov's schema-defined registries.

Both published spellings are served on the same router (docs/govstack.md): `updateEntries` / `update-entries`,
`updateOrCreate` / `update-or-create`, `readValue` / `read-value`, `myPersonalDataUsage` (camelCase answer) /
`MyPersonalDataUsage/1.0` (the 2023 PascalCase answer). The database API's paths are the same in both versions
while its field names differ (`groupName` / `group_name`, `modifiedAt` / `modified_at`), so requests may use
either and answers carry both.

A registry belongs to the calling system's agency; other agencies' systems are told it does not exist.
"""

import base64
import binascii
import json
import re
import urllib.parse
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AliasChoices

from digigov.blocks.registries import registry_actions as actions
from digigov.blocks.registries import registry_queries as queries
from digigov.blocks.registries import schema_registries as schemas
from digigov.frontdoors.govstack.access import Caller, GovStackAuth, caller_context
from digigov.platform.errors import ValidationFailed

router = Router(auth=GovStackAuth("registries"), tags=["GovStack registries"])

DEFAULT_PAGE_SIZE = 10
# Keeps the offset within the databases' 64-bit integers (a billion pages of a hundred records).
MAX_PAGE = 10**9
DATA = "/data/{registryName}/{versionNumber}"
SERVED_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+", re.ASCII)


# ---- schemas ------------------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class GovStackError(Schema):
    """DigiGov's error shape, with the GovStack specs' `detail` beside it."""

    error: ErrorDetail
    detail: str


ERRORS: dict[int, type] = {400: GovStackError, 401: GovStackError, 403: GovStackError, 404: GovStackError}
WRITE_ERRORS: dict[int, type] = {**ERRORS, 409: GovStackError}


class Content(Schema):
    content: dict[str, Any]


class ContentOut(Schema):
    content: dict[str, Any]


class WriteIn(Schema):
    write: Content


class EntriesIn(Schema):
    write: list[Content]


class EntriesOut(Schema):
    receive: list[ContentOut]


class QueryIn(Schema):
    query: Content


class QueryWriteIn(Schema):
    query: Content | None = None
    write: Content


class CountOut(Schema):
    count: int = Field(description="How many records were changed")


class Answer(Schema):
    status: bool
    message: str


class ExistsOut(Schema):
    answer: Answer


class RecordPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[dict[str, Any]]


class ValueOut(Schema):
    value: Any


class ModifyIn(Schema):
    # The lengths of RegistryDatabase's columns: PostgreSQL refuses longer text with an error of its own.
    code: str = Field(max_length=40)
    version: str = Field("1.0", max_length=20, description="DigiGov extension: the version in the data API's paths")
    group_name: str = Field("", max_length=200, validation_alias=AliasChoices("groupName", "group_name"))
    catalog_name: str = Field("", max_length=200, validation_alias=AliasChoices("catalogName", "catalog_name"))
    description: str = ""
    database_schema: dict[str, Any] = Field(alias="schema")


class SchemaTag(Schema):
    name: str
    path: str
    isFulltext: bool
    is_fulltext: bool


class SchemaFlag(Schema):
    name: str
    path: str


class DatabaseInfo(Schema):
    id: int
    version: str
    name: str
    code: str
    description: str
    institution: str
    catalogName: str
    groupName: str
    numberFormat: str
    number_format: str
    database_schema: dict[str, Any] = Field(alias="schema")
    schemaTags: list[SchemaTag]
    schema_tags: list[SchemaTag]
    schemaFlags: list[SchemaFlag]
    schema_flags: list[SchemaFlag]
    fieldsUniques: list[list[str]]
    fields_uniques: list[list[str]]
    isDraft: bool
    is_draft: bool
    isDisabled: bool
    is_disabled: bool
    isArchived: bool
    is_archived: bool
    modifiedAt: str
    modified_at: str
    byUserName: str
    by_user_name: str
    byUserAuthId: int | None
    by_user_auth_id: int | None
    dataIndexIncrement: int
    data_index_increment: int


class DatabasesOut(Schema):
    """The calling agency's registries, as one GovStack "databases group"."""

    id: int
    name: str
    code: str
    databases: list[DatabaseInfo]
    groupId: int
    group_id: int
    order: int
    dataIndexIncrement: int
    data_index_increment: int


class Reference(Schema):
    ReferenceID: str


class PersonalDataUsageOut(Schema):
    id: str
    readerId: str
    readerInitials: str
    readerInstitutionId: str
    readerInstitutionName: str
    readerApplicationName: str
    searchDateTime: str
    refrences: list[Reference] = Field(description="Spelled as in the specification")


class PersonalDataUsage2023Out(Schema):
    ID: str
    ReaderID: str
    ReaderInitials: str
    ReaderInstitutionID: str
    ReaderInstitutionName: str
    ReaderApplicationName: str
    SearchDateTime: str
    Refrences: list[Reference] = Field(description="Spelled as in the specification")


# ---- helpers ------------------------------------------------------------------------------------------------


def _caller(request: HttpRequest) -> Caller:
    return request.auth


def _access(caller: Caller):
    return caller_context(
        caller,
        purpose=_("Read a registry record through the GovStack Digital Registries API"),
        legal_basis=f"GovStack Digital Registries API, caller {caller.label}",
    )


def _database(request: HttpRequest, registryName: str, versionNumber: str):
    return queries.database_by_code(agency=_caller(request).agency, code=registryName, version=versionNumber)


def _database_info(database) -> dict[str, Any]:
    schema = database.schema
    key = schemas.primary_key_field(schema=schema)
    tags = [
        {"name": ".".join(p), "path": "/" + "/".join(p), "isFulltext": True, "is_fulltext": True}
        for p in schemas.text_paths(schema=schema)
    ]
    flags = schemas.schema_flags(schema=schema)
    uniques = [[key]] if key else []
    modified = database.modified_at.isoformat()
    return {
        "id": database.pk,
        "version": database.version,
        "name": database.code,
        "code": database.code,
        "description": database.description,
        "institution": database.owner_agency.name,
        "catalogName": database.name,
        "groupName": database.group_name,
        "numberFormat": "{code}{indexNoByCode}",
        "number_format": "{code}{indexNoByCode}",
        "schema": schema,
        "schemaTags": tags,
        "schema_tags": tags,
        "schemaFlags": flags,
        "schema_flags": flags,
        "fieldsUniques": uniques,
        "fields_uniques": uniques,
        "isDraft": False,
        "is_draft": False,
        "isDisabled": False,
        "is_disabled": False,
        "isArchived": False,
        "is_archived": False,
        "modifiedAt": modified,
        "modified_at": modified,
        "byUserName": database.created_by_label,
        "by_user_name": database.created_by_label,
        "byUserAuthId": database.created_by_id,
        "by_user_auth_id": database.created_by_id,
        "dataIndexIncrement": database.index_increment,
        "data_index_increment": database.index_increment,
    }


def _page_link(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri("?" + params.urlencode())


def _served_type(stored: str) -> str:
    """The content type a file is served with: the writer's own when it is a plain `type/subtype`, else bytes. A
    stored value with parameters or a line break could split or add response headers (and crash the response)."""
    return stored if SERVED_TYPE.fullmatch(stored) else "application/octet-stream"


def _file_of(value: Any) -> tuple[bytes, str, str] | None:
    """(bytes, content type, file name) of a file field: a `data:` URI, or GovStack's file object
    {"url", "originalName", "type"} carrying the file itself base64-encoded in "data" (docs/govstack.md)."""
    try:
        if isinstance(value, str) and value.startswith("data:"):
            header, _comma, data = value[5:].partition(",")
            content_type = _served_type(header.split(";")[0] or "text/plain")
            if header.endswith(";base64"):
                return base64.b64decode(data, validate=True), content_type, ""
            return urllib.parse.unquote_to_bytes(data), content_type, ""
        if isinstance(value, dict) and isinstance(value.get("data"), str):
            content_type = _served_type(str(value.get("type") or ""))
            return base64.b64decode(value["data"], validate=True), content_type, str(value.get("originalName", ""))
    except (binascii.Error, ValueError):
        return None
    return None


# ---- database API -------------------------------------------------------------------------------------------


@router.post(
    "/database/modify",
    response={200: dict[str, Any], **WRITE_ERRORS},
    operation_id="registries_database_modify",
    summary="Create a registry or change its schema",
)
def database_modify(request: HttpRequest, body: ModifyIn):
    """Creates the calling agency's registry `code` (and `version`), or changes its schema. A new schema must fit
    every existing record; otherwise the change is refused with each offending record's field errors."""
    caller = _caller(request)
    database, _created = actions.database_modify(
        actor=caller.account,
        agency=caller.agency,
        code=body.code,
        version=body.version,
        schema=body.database_schema,
        name=body.catalog_name,
        group_name=body.group_name,
        description=body.description,
    )
    return Status(200, database.schema)


@router.get(
    "/databases",
    response={200: DatabasesOut, **ERRORS},
    by_alias=True,
    operation_id="registries_databases",
    summary="The calling agency's registries",
)
def databases(request: HttpRequest):
    agency = _caller(request).agency
    infos = [_database_info(d) for d in queries.database_list(agency=agency).select_related("owner_agency")]
    total = sum(info["dataIndexIncrement"] for info in infos)
    return Status(200, {
        "id": agency.pk,
        "name": agency.name,
        "code": agency.code,
        "databases": infos,
        "groupId": agency.pk,
        "group_id": agency.pk,
        "order": 1,
        "dataIndexIncrement": total,
        "data_index_increment": total,
    })


@router.get(
    "/database/{id}",
    response={200: DatabaseInfo, **ERRORS},
    by_alias=True,
    operation_id="registries_database_get",
    summary="A registry and its schema",
)
def database_get(request: HttpRequest, id: int):
    return Status(200, _database_info(queries.access_database(agency=_caller(request).agency, database_id=id)))


@router.delete(
    "/database/{id}",
    response={200: str, **ERRORS},
    operation_id="registries_database_delete",
    summary="Delete a registry and its records",
)
def database_delete(request: HttpRequest, id: int):
    caller = _caller(request)
    actions.database_delete(actor=caller.account, agency=caller.agency, database_id=id)
    return Status(200, "Success")


# ---- data API -----------------------------------------------------------------------------------------------


def _usage(request: HttpRequest, user_id: str, database_id: str):
    caller = _caller(request)
    return queries.personal_data_usage(
        agency=caller.agency, national_id=user_id, database_code=database_id, access=_access(caller)
    )


# Each personalDataUsage field in the current spelling and the 2023 one (PascalCase), and how it is read.
_USAGE_FIELDS = (
    ("id", "ID", lambda u: u.id),
    ("readerId", "ReaderID", lambda u: u.reader_id),
    ("readerInitials", "ReaderInitials", lambda u: u.reader_initials),
    ("readerInstitutionId", "ReaderInstitutionID", lambda u: u.reader_institution_id),
    ("readerInstitutionName", "ReaderInstitutionName", lambda u: u.reader_institution_name),
    ("readerApplicationName", "ReaderApplicationName", lambda u: u.reader_application_name),
    ("searchDateTime", "SearchDateTime", lambda u: u.read_at.isoformat()),
    ("refrences", "Refrences", lambda u: [{"ReferenceID": r} for r in u.references]),  # the specs' spelling
)


def _usage_rows(usages, *, spelling: int) -> list[dict]:
    """The usages in the current spelling (0) or the 2023 one (1)."""
    return [{names[spelling]: value(u) for *names, value in _USAGE_FIELDS} for u in usages]


# Registered before the list below: /data/MyPersonalDataUsage/1.0 would otherwise read as a registry's path.
@router.get(
    "/data/MyPersonalDataUsage/1.0",
    response={200: list[PersonalDataUsage2023Out], **ERRORS},
    operation_id="registries_personal_data_usage_2023",
    summary="Who has read a person's records in a registry (2023 spelling)",
)
def personal_data_usage_2023(
    request: HttpRequest,
    userID: str = Query(..., description="The person's national ID number"),
    DatabaseID: str = Query(..., description="The registry's code"),
):
    return Status(200, _usage_rows(_usage(request, userID, DatabaseID), spelling=1))


@router.get(
    "/data/myPersonalDataUsage",
    response={200: list[PersonalDataUsageOut], **ERRORS},
    operation_id="registries_personal_data_usage",
    summary="Who has read a person's records in a registry",
)
def personal_data_usage(
    request: HttpRequest,
    userId: str = Query(..., description="The person's national ID number"),
    databaseId: str = Query(..., description="The registry's code"),
):
    return Status(200, _usage_rows(_usage(request, userId, databaseId), spelling=0))


def _entries_create(request: HttpRequest, database, body: EntriesIn):
    records = actions.records_create(
        actor=_caller(request).account, database=database, contents=[entry.content for entry in body.write]
    )
    contents = queries.contents_of(database=database, records=records)
    return Status(201, {"receive": [{"content": contents[record.pk]} for record in records]})


# Registered before the list below, whose path /data/{registryName}/{versionNumber} would otherwise take it.
@router.post(
    "/data/{registryName}/createEntries",
    response={201: EntriesOut, **WRITE_ERRORS},
    operation_id="registries_create_entries",
    summary="Create several records in the registry's newest version",
)
def records_create_newest(request: HttpRequest, registryName: str, body: EntriesIn):
    """The current spec's path names no version: the records go into the registry's newest version. All records
    are created, or none (the answer lists each refused record's field errors under `write.<n>.content`)."""
    database = queries.database_by_code(agency=_caller(request).agency, code=registryName, version=None)
    return _entries_create(request, database, body)


@router.post(
    DATA + "/createEntries",
    response={201: EntriesOut, **WRITE_ERRORS},
    operation_id="registries_create_entries_versioned",
    summary="Create several records",
)
@router.post(
    DATA + "/create-entries",
    response={201: EntriesOut, **WRITE_ERRORS},
    operation_id="registries_create_entries_2023",
    summary="Create several records (2023 spelling)",
)
def records_create(request: HttpRequest, registryName: str, versionNumber: str, body: EntriesIn):
    """All records are created, or none (the answer lists each refused record's field errors)."""
    return _entries_create(request, _database(request, registryName, versionNumber), body)


@router.get(
    DATA,
    response={200: RecordPage, **ERRORS},
    operation_id="registries_list",
    summary="Search a registry's records",
)
def records_list(
    request: HttpRequest,
    registryName: str,
    versionNumber: str,
    search: str = Query("", description="Text to find (case-insensitive) in the text fields, or in `filter`"),
    filter_field: str = Query("", alias="filter", description="The field `search` looks in"),
    ordering: str = Query("", description="ascending, descending, or a field name (\"-field\" for descending)"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    pageSize: int | None = Query(None, ge=1, description="At most 100"),
    page_size: int | None = Query(None, ge=1, description="2023 spelling of pageSize"),
):
    """Records of the registry, a page at a time. `query.<field>=value` parameters (any number; nested fields with
    dots) keep the records whose field equals the value."""
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    size = min(pageSize or page_size or DEFAULT_PAGE_SIZE, queries.MAX_PAGE_SIZE)
    texts = {name.removeprefix("query."): value for name, value in request.GET.items() if name.startswith("query.")}
    count, contents = queries.records_search(
        database=database,
        texts=texts,
        search=search,
        search_field=filter_field,
        ordering=ordering,
        page=page,
        page_size=size,
        access=_access(caller),
    )
    return Status(200, {
        "count": count,
        "next": _page_link(request, page + 1) if page * size < count else None,
        "previous": _page_link(request, page - 1) if page > 1 else None,
        "results": contents,
    })


@router.post(
    DATA + "/create",
    response={200: ContentOut, **WRITE_ERRORS},
    operation_id="registries_create",
    summary="Create a record",
)
def record_create(request: HttpRequest, registryName: str, versionNumber: str, body: WriteIn):
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    record = actions.record_create(actor=caller.account, database=database, content=body.write.content)
    return Status(200, {"content": queries.record_content(database=database, record=record)})


@router.post(
    DATA + "/exists",
    response={200: ExistsOut, **ERRORS},
    operation_id="registries_exists",
    summary="Whether a record matches",
)
def record_exists(request: HttpRequest, registryName: str, versionNumber: str, body: QueryIn):
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    found = queries.record_exists(database=database, content=body.query.content, access=_access(caller))
    message = _("Object found from database") if found else _("Object not found from database")
    return Status(200, {"answer": {"status": found, "message": message}})


@router.post(
    DATA + "/read",
    response={200: ContentOut, **ERRORS},
    operation_id="registries_read",
    summary="Read the first matching record",
)
def record_read(request: HttpRequest, registryName: str, versionNumber: str, body: QueryIn):
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    content = queries.record_read(database=database, content=body.query.content, access=_access(caller))
    return Status(200, {"content": content})


@router.put(
    DATA + "/update",
    response={200: CountOut, **WRITE_ERRORS},
    operation_id="registries_update",
    summary="Update the one matching record",
)
def record_update(request: HttpRequest, registryName: str, versionNumber: str, body: QueryWriteIn):
    """The written top-level fields replace the record's. Without `query`, the record is found by the identifier
    in the written content; a query matching several records is refused (409)."""
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    query = body.query.content if body.query else None
    actions.record_update(actor=caller.account, database=database, query=query, write=body.write.content)
    return Status(200, {"count": 1})


@router.put(
    DATA + "/updateEntries",
    response={200: CountOut, **WRITE_ERRORS},
    operation_id="registries_update_entries",
    summary="Update every matching record",
)
@router.put(
    DATA + "/update-entries",
    response={200: CountOut, **WRITE_ERRORS},
    operation_id="registries_update_entries_2023",
    summary="Update every matching record (2023 spelling)",
)
def records_update(request: HttpRequest, registryName: str, versionNumber: str, body: QueryWriteIn):
    """All matching records change, or none does (the answer lists each record's field errors)."""
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    query = body.query.content if body.query else None
    count = actions.records_update(actor=caller.account, database=database, query=query, write=body.write.content)
    return Status(200, {"count": count})


@router.post(
    DATA + "/updateOrCreate",
    response={200: ContentOut, **WRITE_ERRORS},
    operation_id="registries_update_or_create",
    summary="Update the matching record, or create it",
)
@router.post(
    DATA + "/update-or-create",
    response={200: ContentOut, **WRITE_ERRORS},
    operation_id="registries_update_or_create_2023",
    summary="Update the matching record, or create it (2023 spelling)",
)
def record_upsert(request: HttpRequest, registryName: str, versionNumber: str, body: QueryWriteIn):
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    query = body.query.content if body.query else None
    record, _created = actions.record_upsert(
        actor=caller.account, database=database, query=query, write=body.write.content, access=_access(caller)
    )
    return Status(200, {"content": queries.record_content(database=database, record=record)})


@router.delete(
    DATA + "/{ID}/delete",
    response={204: None, **ERRORS},
    operation_id="registries_delete",
    summary="Delete a record",
)
def record_delete(request: HttpRequest, registryName: str, versionNumber: str, ID: str):
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    actions.record_delete(actor=caller.account, database=database, identifier=ID)
    return Status(204, None)


_VALUE_CONTENT = {
    "application/json": {"schema": {"$ref": "#/components/schemas/ValueOut"}},
    "text/plain": {"schema": {"type": "string"}},
    "*/*": {"schema": {"type": "string", "format": "binary"}},
}


@router.get(
    DATA + "/{uuid}/readValue/{field}.{ext}",
    response={200: ValueOut, **ERRORS},
    operation_id="registries_read_value",
    summary="One field of one record",
    openapi_extra={"responses": {"200": {"description": "OK", "content": _VALUE_CONTENT}}},
)
@router.get(
    DATA + "/{uuid}/read-value/{field}.{ext}",
    response={200: ValueOut, **ERRORS},
    operation_id="registries_read_value_2023",
    summary="One field of one record (2023 spelling)",
    openapi_extra={"responses": {"200": {"description": "OK", "content": _VALUE_CONTENT}}},
)
def record_value(
    request: HttpRequest,
    registryName: str,
    versionNumber: str,
    uuid: str,
    field: str,
    ext: str,
):
    """`uuid` is the record's identifier. `.json` answers {"value": ...}; `.txt` the value as text; any other
    extension answers a file field's bytes with the file's own content type."""
    caller = _caller(request)
    database = _database(request, registryName, versionNumber)
    value = queries.record_value_get(database=database, identifier=uuid, field=field, access=_access(caller))
    if ext.lower() == "json":
        return Status(200, {"value": value})
    if ext.lower() in ("txt", "text"):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    file = _file_of(value)
    if file is None:
        raise ValidationFailed(fields={"ext": _("This field is not a file: ask for .json or .txt.")})
    data, content_type, name = file
    response = HttpResponse(data, content_type=content_type)
    # The content type is the writer's word: a file claiming to be HTML or SVG must not run as a page of ours, so
    # it is sandboxed, downloaded rather than shown, and not sniffed into something else.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    disposition = "attachment"
    if name:
        disposition += f"; filename*=UTF-8''{urllib.parse.quote(name)}"
    response["Content-Disposition"] = disposition
    return response


def _fixture_record(item: Any, *, at: str) -> tuple[Any, UUID | None]:
    """(content, id) of a fixture's record: its content, or {"id"?: uuid, "content": content}."""
    if not (isinstance(item, dict) and isinstance(item.get("content"), dict)):
        return item, None
    try:
        return item["content"], UUID(str(item["id"])) if item.get("id") else None
    except ValueError:
        raise ValidationFailed(fields={f"{at}.id": _("Give the record's id as a UUID.")}) from None


def fixture_load(*, caller: Caller, data: dict) -> dict[str, int]:
    """Load `data["registries"]`: [{"id"?, "code", "version"?, "name"?, "groupName"?, "description"?, "schema",
    "records": [content, or {"id"?: uuid, "content": content}]}] through the same actions as the API, keeping
    the given ids. Returns how many registries and records it created."""
    counts = {"registries": 0, "registry records": 0}
    entries = data.get("registries", [])
    if not isinstance(entries, list):
        raise ValidationFailed(fields={"registries": _("Give the registries as a list.")})
    for index, entry in enumerate(entries):
        at = f"registries.{index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise ValidationFailed(fields={f"{at}.code": _("Give each registry a code.")})
        if not isinstance(entry.get("id", 0), int) or not isinstance(entry.get("records", []), list):
            raise ValidationFailed(fields={at: _("Give the id as a whole number and the records as a list.")})
        database, created = actions.database_modify(
            actor=caller.account,
            agency=caller.agency,
            code=entry["code"],
            version=str(entry.get("version", "1.0")),
            schema=entry.get("schema"),
            name=str(entry.get("name", "")),
            group_name=str(entry.get("groupName", "")),
            description=str(entry.get("description", "")),
            database_id=entry.get("id"),
        )
        counts["registries"] += int(created)
        for number, item in enumerate(entry.get("records", [])):
            content, record_id = _fixture_record(item, at=f"{at}.records.{number}")
            actions.record_create(actor=caller.account, database=database, content=content, record_id=record_id)
            counts["registry records"] += 1
    return counts
