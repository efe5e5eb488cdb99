"""Validation of e-form answers, field by field, with messages a person can act on."""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from digigov.blocks.services.models import FieldType, FormField

PHONE_PATTERN = re.compile(r"^\+?[0-9 ]{8,16}$")
MAX_TEXT = 500
MAX_TEXTAREA = 4000


def clean_value(*, field: FormField, raw: Any) -> Any:
    """Return the stored form of one answer, or raise ValueError with the message to show."""
    if isinstance(raw, bool) and field.field_type == FieldType.YESNO:
        raw = "yes" if raw else "no"
    text = "" if raw is None else str(raw).strip()
    if text == "":
        if not field.required:
            return None
        if field.field_type in {FieldType.CHOICE, FieldType.YESNO}:
            raise ValueError(_("Select an answer"))
        raise ValueError(_("Enter %(label)s") % {"label": field.label[:1].lower() + field.label[1:]})
    kind = field.field_type
    if kind == FieldType.TEXT:
        if len(text) > MAX_TEXT:
            raise ValueError(_("Must be %(n)s characters or fewer") % {"n": MAX_TEXT})
        return text
    if kind == FieldType.TEXTAREA:
        if len(text) > MAX_TEXTAREA:
            raise ValueError(_("Must be %(n)s characters or fewer") % {"n": MAX_TEXTAREA})
        return text
    if kind == FieldType.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(_("Enter a real date, for example 2026-03-27")) from None
    if kind == FieldType.INTEGER:
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise ValueError(_("Enter a whole number"))
        return int(text)
    if kind == FieldType.MONEY:
        try:
            amount = Decimal(text.replace(",", "").lstrip("$"))
        except InvalidOperation:
            raise ValueError(_("Enter an amount of money, for example 1250.50")) from None
        if amount < 0 or amount > Decimal("1e10") or amount.as_tuple().exponent < -2:
            raise ValueError(_("Enter an amount of money, for example 1250.50"))
        return str(amount)
    if kind == FieldType.CHOICE:
        allowed = {str(value) for value, _label in field.choices}
        if text not in allowed:
            raise ValueError(_("Select one of the options"))
        return text
    if kind == FieldType.YESNO:
        if text.lower() not in {"yes", "no"}:
            raise ValueError(_("Select yes or no"))
        return text.lower()
    if kind == FieldType.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(_("Enter an email address in the correct format, like name@example.com")) from None
        return text
    if kind == FieldType.PHONE:
        if not PHONE_PATTERN.match(text):
            raise ValueError(_("Enter a phone number, like +65 8123 4567"))
        return text
    raise ValueError(_("This question cannot be answered here"))


def answers_clean(
    *, fields: Iterable[FormField], answers: Mapping[str, Any], verified: Mapping[str, dict], complete: bool
) -> tuple[dict[str, dict], dict[str, str]]:
    """Merge citizen-entered answers with verified ones. Verified answers are read-only: a submitted value
    for a verified field is ignored. With `complete`, required answers must be present."""
    cleaned: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for field in fields:
        if field.key in verified:
            cleaned[field.key] = verified[field.key]
            continue
        raw = answers.get(field.key)
        if not complete and (raw is None or str(raw).strip() == ""):
            continue
        try:
            value = clean_value(field=field, raw=raw)
        except ValueError as exc:
            errors[field.key] = str(exc)
            continue
        if value is not None:
            cleaned[field.key] = {"value": value, "source": "entered"}
    unknown = set(answers) - {f.key for f in fields}
    for key in sorted(unknown):
        errors[key] = _("This form has no question with this name")
    return cleaned, errors
