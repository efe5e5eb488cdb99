"""The one Django Ninja API: every block's router, and the one mapping of errors to the JSON error shape."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from digigov.platform.errors import GOVSTACK_PREFIX, DomainError, api_error_body
from digigov.platform.security import too_large_message

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="DigiGov API",
    version="1.0.0",
    description="Services, applications, case work, messages, data access and KPIs of the DigiGov platform.",
    auth=SessionAuth(),
    urls_namespace="api",
)


def _error(request, *, code: str, message: str, status: int, fields: dict | None = None):
    body = api_error_body(path=request.path, code=code, message=message, fields=fields)
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return _error(request, code=exc.code, message=exc.message, fields=exc.fields, status=exc.status)


def _field_name(loc: list) -> str:
    # Ninja locations look like ["body", "body", "answers", "x"] or ["query", "q"]; drop the transport parts.
    parts = [str(p) for p in loc if p not in {"body", "query", "path", "header", "cookie", "form"}]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields = {}
    for error in exc.errors:
        fields.setdefault(_field_name(list(error.get("loc", []))), error.get("msg", "Invalid value"))
    return _error(request, code="validation_failed", message="The request is not valid.", fields=fields, status=400)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    if request.path.startswith(GOVSTACK_PREFIX):  # called by systems, which do not sign in (docs/govstack.md)
        message = "Give the calling system's API key or OAuth token in the Authorization header."
        return _error(request, code="not_authenticated", message=message, status=401)
    return _error(request, code="not_authenticated", message="Sign in to continue.", status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, code="not_found", message="Not found.", status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {
        400: "bad_request",
        401: "not_authenticated",
        403: "not_permitted",
        404: "not_found",
        405: "method_not_allowed",
        429: "too_many_requests",
    }.get(exc.status_code, "error")
    return _error(request, code=code, message=str(exc), status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    message = too_large_message(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _error(request, code="request_too_large", message=message, status=413)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    # Malformed input Django refuses on reading it (too many fields, a multipart body without its boundary):
    # the client's fault, never a server error.
    return _error(request, code="bad_request", message="The request could not be read.", status=400)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("unhandled API error")
    return _error(
        request, code="internal_error", message="Something went wrong on our side. Please try again.", status=500
    )


def _register_routers() -> None:
    from digigov.blocks.consent.api import router as consent_router
    from digigov.blocks.kpi.api import router as kpi_router
    from digigov.blocks.messaging.api import router as messaging_router
    from digigov.blocks.registries.api import router as registries_router
    from digigov.blocks.rules.api import router as rules_router
    from digigov.blocks.services.api import router as services_router
    from digigov.blocks.workflow.api import router as workflow_router
    from digigov.frontdoors.govstack import messaging as govstack_messaging
    from digigov.frontdoors.govstack import registration as govstack_registration
    from digigov.frontdoors.govstack import registries as govstack_registries

    routers = (services_router, workflow_router, messaging_router, consent_router, registries_router, kpi_router)
    for router in (*routers, rules_router):
        api.add_router("", router)
    # GovStack building blocks, each under its own base path as if behind its own security server
    # (docs/govstack.md); their paths would collide at one root (/data/statistics/1.0 vs /data/{registry}/{version}).
    api.add_router("govstack/registries", govstack_registries.router)
    api.add_router("govstack/registration", govstack_registration.router)
    api.add_router("govstack/messaging/v1", govstack_messaging.router)


_register_routers()
