"""A service's e-form as a JSON Schema (draft 2020-12), built from its FormField rows, for systems that render
or check the form themselves (GovStack Registration: GET /eForms/{eFormId}). The schema describes the answers
as a calling system sends them: one value per question, keyed by the question's key; `forms.clean_value` stays
the rule that decides, and the schema says the same in JSON Schema's words."""

from collections.abc import Iterable
from typing import Any

from digigov.blocks.services.forms import MAX_TEXT, MAX_TEXTAREA, PHONE_PATTERN
from digigov.blocks.services.models import FieldType, FormField, Service

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# clean_value accepts whole numbers of up to 12 digits.
_INTEGER_LIMIT = 10**12 - 1


def _value_schema(field: FormField) -> dict[str, Any]:
    kind = field.field_type
    if kind == FieldType.TEXT:
        return {"type": "string", "maxLength": MAX_TEXT}
    if kind == FieldType.TEXTAREA:
        return {"type": "string", "maxLength": MAX_TEXTAREA}
    if kind == FieldType.DATE:
        return {"type": "string", "format": "date"}
    if kind == FieldType.INTEGER:
        return {"type": "integer", "minimum": -_INTEGER_LIMIT, "maximum": _INTEGER_LIMIT}
    if kind == FieldType.MONEY:
        # A decimal string, so amounts never pass through binary floating point.
        return {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"}
    if kind == FieldType.CHOICE:
        return {"type": "string", "oneOf": [{"const": str(value), "title": label} for value, label in field.choices]}
    if kind == FieldType.YESNO:
        return {"type": "string", "enum": ["yes", "no"]}
    if kind == FieldType.EMAIL:
        return {"type": "string", "format": "email"}
    if kind == FieldType.PHONE:
        return {"type": "string", "pattern": PHONE_PATTERN.pattern}
    raise ValueError(f"no JSON Schema for field type {kind!r}")


def eform_schema(*, service: Service, fields: Iterable[FormField]) -> dict[str, Any]:
    """The JSON Schema of the service's current e-form version."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        prop = {"title": field.label, **_value_schema(field)}
        if field.hint:
            prop["description"] = field.hint
        if field.data_element_id:
            # Which common-data-standard element the answer is; DigiGov fills it from the registries when the
            # applicant consents in the portal.
            prop["x-dataElement"] = field.data_element.key
        properties[field.key] = prop
        if field.required:
            required.append(field.key)
    return {
        "$schema": DIALECT,
        "$id": f"urn:digigov:eform:{service.eform_id}:{service.eform_version}",
        "title": service.name,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
