"""Domain errors shared by every block, and their one mapping to HTTP.

Each error has a stable `code` that clients may rely on, a message a person can read, and optional
field-level messages. The API turns them into {"error": {"code", "message", "fields"}}; pages show the
field messages beside the fields.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: str | None = None, *, fields: Mapping[str, str] | None = None) -> None:
        self.message = str(message or self.default_message)
        self.fields = dict(fields or {})
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 400
    default_message = _("Some answers need correcting.")


class NotFound(DomainError):
    """Raised for objects that do not exist *and* for objects the caller may not see, so that
    existence is not disclosed to someone without access."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class NotPermitted(DomainError):
    code = "not_permitted"
    status = 403
    default_message = _("You are not allowed to do this.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = _("Sign in to continue.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This cannot be done in the current state.")


def error_body(*, code: str, message: str, fields: Mapping[str, str] | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": dict(fields or {})}}


GOVSTACK_PREFIX = "/api/govstack/"


def api_error_body(*, path: str, code: str, message: str, fields: Mapping[str, str] | None = None) -> dict:
    """The error shape for an API request to `path`. GovStack specs describe errors as {"detail": "..."}, so under
    /api/govstack/ the body carries both (docs/govstack.md)."""
    body = error_body(code=code, message=message, fields=fields)
    if path.startswith(GOVSTACK_PREFIX):
        body["detail"] = body["error"]["message"]
    return body
