"""JSON Schemas of schema-defined registries (GovStack Digital Registries): checking a schema, validating a
record's content against it with field-level messages, and reading the field flags the GovStack schemas use.

Flags on a schema's properties (docs/govstack.md):
- `"primaryKey": true` (GovStack's own) marks the field whose value identifies a record in its registry; without
  one, a top-level `id` or `ID` field does (the examples of both spec versions use them);
- `"nationalId": true` (DigiGov's) marks the field holding the national ID number of the person the record is
  about, so that every read of the record by another system is shown to that person; it is stored encrypted
  apart from the rest of the record, in its normal form, and found by a keyed blind index (equality only);
- `"classification": "sensitive"` (the common data standard's term) marks a field stored encrypted apart from
  the rest of the record; it cannot be searched.
"""

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema_specifications
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker, SchemaError, validators
from referencing.exceptions import Unresolvable

from digigov.platform.errors import ValidationFailed

PRIMARY_KEY_FLAG = "primaryKey"
NATIONAL_ID_FLAG = "nationalId"
CLASSIFICATION = "classification"
SENSITIVE = "sensitive"
_FALLBACK_KEYS = ("id", "ID")
# The metaschemas only, and no retrieval: a schema's "$ref" to a web address must never make the server fetch it
# (jsonschema's default would, which lets a caller reach internal addresses through us).
_REFERENCES = jsonschema_specifications.REGISTRY
MAX_ERRORS = 50

Path = tuple[str, ...]


def _validator_class(schema: Mapping[str, Any]) -> type:
    return validators.validator_for(schema, default=Draft202012Validator)


def _validator(schema: Mapping[str, Any]) -> Any:
    return _validator_class(schema)(schema, registry=_REFERENCES, format_checker=FormatChecker())


def _unresolvable(exc: Unresolvable) -> str:
    return _("The registry's schema refers to %(ref)s, which cannot be resolved.") % {"ref": exc.ref}


def _endless() -> str:
    return _("The registry's schema refers to itself without end.")


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name in ("$ref", "$dynamicRef") and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def schema_check(*, schema: Any) -> None:
    """Refuse a schema that is not a JSON Schema describing an object."""
    # Every step below walks the schema recursively; a caller's schema nested thousands of levels deep must be a
    # field error, not a server error.
    try:
        _schema_check(schema=schema)
    except RecursionError:
        raise ValidationFailed(fields={"schema": _("The schema is nested too deeply.")}) from None


def _schema_check(*, schema: Any) -> None:
    if not isinstance(schema, dict):
        raise ValidationFailed(fields={"schema": _("Give the schema as a JSON object.")})
    texts_check(schema=schema)
    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as exc:
        message = _("Not a valid JSON Schema: %(error)s") % {"error": exc.message}
        raise ValidationFailed(fields={"schema": message}) from None
    if any(not ref.startswith("#") for ref in _references(schema)):
        raise ValidationFailed(fields={"schema": _("A schema may refer only to its own parts (\"#/...\").")})
    # A reference at the top that loops back on itself or leads nowhere would fail every record: refuse it now.
    try:
        list(_validator(schema).iter_errors({}))
    except Unresolvable as exc:
        raise ValidationFailed(fields={"schema": _unresolvable(exc)}) from None
    except RecursionError:
        raise ValidationFailed(fields={"schema": _endless()}) from None
    if schema.get("type", "object") != "object" or not isinstance(schema.get("properties", {}), dict):
        raise ValidationFailed(fields={"schema": _("A registry's schema describes an object with properties.")})
    key = primary_key_field(schema=schema)
    key_spec = schema["properties"][key] if key else {}
    if isinstance(key_spec, dict) and key_spec.get("type", "string") not in ("string", "integer"):
        raise ValidationFailed(fields={"schema": _("The primary key field must be text or a whole number.")})
    if key and (key,) in set(_flagged(schema, NATIONAL_ID_FLAG)):
        # A record's identifier appears in paths, answers, logs and access records: a national ID number must not.
        raise ValidationFailed(fields={"schema": _("The primary key field cannot hold national ID numbers.")})
    if key and unsearchable(schema=schema, path=(key,)):
        raise ValidationFailed(fields={"schema": _("The primary key field cannot be sensitive: it finds records.")})


def _unstorable(text: str) -> bool:
    # NUL is refused by PostgreSQL's text and jsonb; a lone half of a UTF-16 surrogate pair is not a character.
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def unstorable_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Paths of the texts (names or values) in `value` that no database can store, and of the numbers JSON has no
    spelling for (Python's parser reads 1e999 as infinity)."""
    if isinstance(value, str):
        if _unstorable(value):
            yield path
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path
    elif isinstance(value, dict):
        for name, item in value.items():
            if _unstorable(str(name)):
                yield (*path, str(name).encode("unicode_escape").decode())
            else:
                yield from unstorable_paths(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable_paths(item, (*path, str(index)))


def texts_check(**named: Any) -> None:
    """Refuse query values that hold characters no database can store (a NUL, half a surrogate pair)."""
    bad: dict[str, str] = {}
    for name, value in named.items():
        try:
            paths = list(unstorable_paths(value))
        except RecursionError:
            bad[name] = _("This is nested too deeply.")
            continue
        bad |= {".".join((name, *path)): _("This contains characters that cannot be stored.") for path in paths}
    if bad:
        raise ValidationFailed(fields=bad)


def content_errors(*, schema: Mapping[str, Any], content: Any, prefix: str = "content") -> dict[str, str]:
    """Field-level messages for `content` against `schema`, keyed by the field's dotted path under `prefix`."""
    message = _("This contains characters that cannot be stored.")
    try:
        unstorable = {".".join((prefix, *path)): message for path in unstorable_paths(content)}
    except RecursionError:
        return {prefix: _("This is nested too deeply.")}
    if unstorable:
        return unstorable
    errors: dict[str, str] = {}
    try:
        for error in _validator(schema).iter_errors(content):
            path = ".".join(str(p) for p in (prefix, *error.absolute_path))
            errors.setdefault(path, error.message)
            if len(errors) >= MAX_ERRORS:
                break
    except Unresolvable as exc:
        errors[prefix] = _unresolvable(exc)
    except RecursionError:
        errors[prefix] = _endless()
    return errors


def properties_of(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = schema.get("properties", {})
    return properties if isinstance(properties, dict) else {}


def primary_key_field(*, schema: Mapping[str, Any]) -> str:
    """The top-level field that identifies a record, or "" when the schema names none."""
    properties = properties_of(schema)
    for name, spec in properties.items():
        if isinstance(spec, dict) and spec.get(PRIMARY_KEY_FLAG) is True:
            return name
    return next((name for name in _FALLBACK_KEYS if name in properties), "")


def _flagged(schema: Mapping[str, Any], flag: str, value: Any = True, path: Path = ()) -> Iterator[Path]:
    for name, spec in properties_of(schema).items():
        if not isinstance(spec, dict):
            continue
        if spec.get(flag) is value or (isinstance(value, str) and spec.get(flag) == value):
            yield (*path, name)
        yield from _flagged(spec, flag, value, (*path, name))


def national_id_path(*, schema: Mapping[str, Any]) -> Path | None:
    """The field whose national ID number links a record to a person, and may be queried (by blind index)."""
    return next(_flagged(schema, NATIONAL_ID_FLAG), None)


def encrypted_paths(*, schema: Mapping[str, Any]) -> list[Path]:
    """Paths of the fields stored encrypted apart from the record: the sensitive ones and the national ID ones."""
    paths = sensitive_paths(schema=schema)
    paths += [p for p in _flagged(schema, NATIONAL_ID_FLAG) if not any(p[: len(q)] == q for q in paths)]
    return paths


def indexed_path(*, schema: Mapping[str, Any]) -> Path | None:
    """The national ID field when it is stored encrypted on its own, with the blind index that lets equality
    queries find it: not when it is marked sensitive too, or lies inside a sensitive object (never queried)."""
    path = national_id_path(schema=schema)
    sensitive = sensitive_paths(schema=schema)
    return path if path in encrypted_paths(schema=schema) and path not in sensitive else None


def sensitive_paths(*, schema: Mapping[str, Any]) -> list[Path]:
    """Paths of the fields stored encrypted. A sensitive object is encrypted whole, so none inside it counts."""
    paths = list(_flagged(schema, CLASSIFICATION, SENSITIVE))
    return [p for p in paths if not any(p[: len(q)] == q and p != q for q in paths)]


def content_split(*, content: Mapping[str, Any], paths: Sequence[Path]) -> tuple[dict, dict[Path, Any]]:
    """(content without the fields at `paths`, {path: value} of those present)."""
    public = copy.deepcopy(dict(content))
    taken: dict[Path, Any] = {}
    for path in paths:
        parent: Any = public
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent:
            taken[path] = parent.pop(path[-1])
    return public, taken


def content_joined(*, content: Mapping[str, Any], taken: Mapping[Path, Any]) -> dict:
    """The content with the fields `content_split` took out put back."""
    whole = copy.deepcopy(dict(content))
    for path, value in taken.items():
        parent = whole
        for part in path[:-1]:
            parent = parent.setdefault(part, {})
        parent[path[-1]] = value
    return whole


def unsearchable(*, schema: Mapping[str, Any], path: Path, equality: bool = False) -> bool:
    """Whether a query on `path` would need the value of a field the database only holds encrypted. An equality
    query on the national ID field is answered by its blind index; nothing else on an encrypted field is."""
    if equality and path == indexed_path(schema=schema):
        return False
    return any(path[: len(p)] == p or p[: len(path)] == path for p in encrypted_paths(schema=schema))


def text_paths(*, schema: Mapping[str, Any], path: Path = ()) -> list[Path]:
    """Paths of the text fields that are not sensitive (searched by the data API's `search`)."""
    paths: list[Path] = []
    for name, spec in properties_of(schema).items():
        if not isinstance(spec, dict) or spec.get(CLASSIFICATION) == SENSITIVE or spec.get(NATIONAL_ID_FLAG) is True:
            continue
        if spec.get("type") == "string":
            paths.append((*path, name))
        paths.extend(text_paths(schema=spec, path=(*path, name)))
    return paths


def schema_flags(*, schema: Mapping[str, Any]) -> list[dict[str, str]]:
    """The schema's flags as GovStack's DatabaseInfo lists them: {"name", "path"} with a JSON Pointer path."""
    flags = [{"name": "mandatory", "path": f"/{name}"} for name in schema.get("required", []) if isinstance(name, str)]
    if key := primary_key_field(schema=schema):
        flags.append({"name": PRIMARY_KEY_FLAG, "path": f"/{key}"})
    flags += [{"name": NATIONAL_ID_FLAG, "path": "/" + "/".join(p)} for p in _flagged(schema, NATIONAL_ID_FLAG)]
    flags += [{"name": SENSITIVE, "path": "/" + "/".join(p)} for p in sensitive_paths(schema=schema)]
    return flags


def value_at(*, content: Any, path: Path) -> tuple[bool, Any]:
    """(found, value) of the field at `path` in a record's content."""
    value = content
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def leaf_items(*, content: Mapping[str, Any], path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, value) for every leaf of a query's content: nested objects narrow the match field by field."""
    for name, value in content.items():
        if isinstance(value, dict) and value:
            yield from leaf_items(content=value, path=(*path, name))
        else:
            yield (*path, name), value
