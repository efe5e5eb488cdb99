"""The portal's forms. E-form questions come from the service's FormFields and are checked by the services
block; the forms here cover sign-in, second factor, and the few questions the portal asks itself."""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

SATISFACTION_SCALE = [
    ("1", _("Very dissatisfied")),
    ("2", _("Dissatisfied")),
    ("3", _("Somewhat dissatisfied")),
    ("4", _("Satisfied")),
    ("5", _("Very satisfied")),
    ("6", _("Extremely satisfied")),
]


class SignInForm(forms.Form):
    sign_in_id = forms.CharField(
        max_length=150, error_messages={"required": _("Enter your national ID number or username")}
    )
    password = forms.CharField(max_length=200, strip=False, error_messages={"required": _("Enter your password")})


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20, error_messages={"required": _("Enter the 6-digit code from your authenticator app")}
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "").replace("-", "")
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("The code must be 6 digits, like 123456"))
        return code


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=SATISFACTION_SCALE, coerce=int,
        error_messages={
            "required": _("Select how satisfied you are"), "invalid_choice": _("Select how satisfied you are"),
        },
    )
    comment = forms.CharField(
        required=False, max_length=2000,
        error_messages={"max_length": _("Your comment must be 2000 characters or fewer")},
    )


def form_errors(form: forms.Form) -> dict[str, str]:
    """The first error of each field, keyed by field name (non-field errors under the first field)."""
    errors = {}
    for name, messages in form.errors.items():
        key = name if name != "__all__" else next(iter(form.fields))
        errors.setdefault(key, str(messages[0]))
    return errors


@dataclass
class Option:
    value: str
    label: str
    input_id: str
    checked: bool


@dataclass
class Question:
    """One e-form question as the form page shows it: the field, the value to show and its error."""

    field: Any  # the service's FormField
    value: str = ""
    error: str = ""
    options: list[Option] = field(default_factory=list)

    @property
    def input_id(self) -> str:
        return f"field-{self.field.key}"

    @property
    def hint_id(self) -> str:
        return f"field-{self.field.key}-hint"

    @property
    def error_id(self) -> str:
        return f"field-{self.field.key}-error"

    @property
    def described_by(self) -> str:
        ids = [self.hint_id] if self.field.hint else []
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def is_radios(self) -> bool:
        return self.field.field_type in {"choice", "yesno"}


def question_build(*, field: Any, value: Any, error: str = "") -> Question:
    value = "" if value is None else str(value)
    question = Question(field=field, value=value, error=error)
    if field.field_type == "yesno":
        pairs = [("yes", str(_("Yes"))), ("no", str(_("No")))]
    elif field.field_type == "choice":
        pairs = [(str(v), str(label)) for v, label in field.choices]
    else:
        pairs = []
    question.options = [
        Option(value=v, label=label, input_id=question.input_id if i == 0 else f"{question.input_id}-{i + 1}",
               checked=value == v)
        for i, (v, label) in enumerate(pairs)
    ]
    return question
