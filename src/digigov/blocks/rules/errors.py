from django.utils.translation import gettext_lazy as _

from digigov.platform.errors import DomainError


class SituationInvalid(DomainError):
    """A submitted situation names an unknown variable, entity or period, or gives a value of the wrong type.
    `fields` maps the path in the situation (persons.ana.monthly_income.2025-13) to what is wrong there."""

    code = "situation_invalid"
    status = 400
    default_message = _("The situation cannot be computed; see the fields for what to correct.")
