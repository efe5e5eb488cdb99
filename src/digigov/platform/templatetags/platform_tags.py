from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def error_links(errors: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """{field id: message} as the (link target, message) pairs the error summary lists."""
    return [(f"#{field}", message) for field, message in (errors or {}).items()]
