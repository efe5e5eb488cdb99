"""Small presentation helpers for the portal's templates."""

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from digigov.blocks.messaging.queries import unread_count

register = template.Library()

# GOV.UK tag colours for each application status (blue, the default, for "submitted").
_STATUS_TAGS = {
    "draft": "govuk-tag--grey",
    "submitted": "",
    "in_review": "govuk-tag--turquoise",
    "more_info": "govuk-tag--yellow",
    "approved": "govuk-tag--green",
    "rejected": "govuk-tag--red",
}


@register.filter
def status_tag(status: str) -> str:
    return _STATUS_TAGS.get(str(status), "govuk-tag--grey")


@register.filter
def percent(share: float | None) -> str:
    if share is None:
        return "–"
    return f"{number_format(share * 100, decimal_pos=1)}%"


@register.filter
def money(cents: int | None) -> str:
    if not cents:
        return _("Free")
    return f"${number_format(cents / 100, decimal_pos=2, force_grouping=True)}"


@register.filter
def days(value: float | None) -> str:
    if value is None:
        return "–"
    return _("%(days)s days") % {"days": number_format(value, decimal_pos=1)}


@register.filter
def plain_value(value: Any) -> str:
    """A registry value as a person reads it."""
    if value is None or value == "":
        return _("Not held")
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


@register.simple_tag(takes_context=True)
def inbox_unread(context: template.Context) -> int:
    request = context.get("request")
    account = getattr(request, "user", None)
    if account is None or not account.is_authenticated or account.kind != "person":
        return 0
    return unread_count(account=account)
