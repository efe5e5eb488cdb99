"""Request limits in front of every view: rate limits per client and per address on sign-in and the API,
and a cap on request body size with a clear answer.

Rate limits are fixed windows counted in Django's cache (the `DIGIGOV_RATE_LIMIT_CACHE` alias). With the
default in-process cache each web process counts on its own; a deployment with several processes points that
alias at a shared cache (Redis or Memcached) so the limits hold across them.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from digigov.platform.errors import api_error_body


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "20/m" -> 20 per 60 seconds; units s, m, h, d, optionally with a multiple ("100/5m")."""
        count, _sep, period = text.partition("/")
        unit = period[-1:]
        multiple = int(period[:-1] or 1)
        return cls(count=int(count), seconds=multiple * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def _digest(value: str) -> str:
    # Sign-in ids are national ID numbers: never keep them in clear in cache keys.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _api_client(request: HttpRequest) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "key:" + _digest(authorization)
    # A system behind an Information Mediator is named by the mediator's header (GovStack APIs); all such systems
    # share the mediator's address, so the per-address limit alone would throttle them together.
    if mediated := request.headers.get("Information-Mediator-Client", ""):
        return "mediator:" + _digest(mediated)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"account:{user.pk}"
    return ""


def _sign_in_client(request: HttpRequest) -> str:
    sign_in_id = request.POST.get("sign_in_id", "").strip().upper()
    if sign_in_id:
        return "id:" + _digest(sign_in_id)
    # The second-factor step has no id in the form; the half-signed-in session identifies the client.
    return "session:" + _digest(request.session.session_key) if request.session.session_key else ""


# Every step that checks a secret or sends one: the password, the code, the passkey, the unlock email.
SIGN_IN_STEPS = ("portal:sign-in", "portal:sign-in-code", "portal:passkey-sign-in-verify", "portal:unlock-request")


class RateLimitMiddleware:
    """429 with Retry-After once a client or an address exceeds its rate on sign-in or the API."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def _scope(self, request: HttpRequest) -> tuple[str, str] | None:
        if request.path.startswith("/api/"):
            return "api", _api_client(request)
        if request.method == "POST" and request.path in {reverse(name) for name in SIGN_IN_STEPS}:
            return "sign_in", _sign_in_client(request)
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.DIGIGOV_RATE_LIMITS_ENABLED or (scope := self._scope(request)) is None:
            return self.get_response(request)
        name, client = scope
        limits = settings.DIGIGOV_RATE_LIMITS[name]
        address = _client_address(request)
        # A trusted Information Mediator carries many agencies' systems: each is limited as a client instead.
        mediated = client.startswith("mediator:") and address in settings.DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES
        checks = [] if mediated else [("ip", address, limits["per_ip"])]
        if client:
            checks.append(("client", client, limits["per_client"]))
        wait = max((self._hit(name, kind, who, Rate.parse(rate)) for kind, who, rate in checks), default=0)
        if wait:
            return _too_many(request, retry_after=wait)
        return self.get_response(request)

    @staticmethod
    def _hit(name: str, kind: str, who: str, rate: Rate) -> int:
        """Count one request; the seconds to wait if it is over the rate, else 0."""
        cache = caches[settings.DIGIGOV_RATE_LIMIT_CACHE]
        now = time.time()
        window = int(now // rate.seconds)
        key = f"rl:{name}:{kind}:{who}:{window}"
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            cache.set(key, 1, timeout=rate.seconds + 1)
            count = 1
        if count <= rate.count:
            return 0
        return max(1, math.ceil((window + 1) * rate.seconds - now))


def _too_many(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    message = _("Too many requests. Wait %(seconds)s seconds and try again.") % {"seconds": retry_after}
    if request.path.startswith("/api/"):
        body = api_error_body(path=request.path, code="too_many_requests", message=message)
        response = JsonResponse(body, status=429)
    else:
        response = render(request, "platform/429.html", {"seconds": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class UploadLimitMiddleware:
    """Refuse an oversized body before reading it, with 413 and a clear message: forms and JSON are capped at
    DATA_UPLOAD_MAX_MEMORY_SIZE, multipart uploads (files) at DIGIGOV_UPLOAD_MAX_SIZE.

    Django itself raises RequestDataTooBig only once a view reads the body; this answers early and the same
    way on pages and the API. Bodies without a Content-Length (chunked) are still capped by Django's check.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.DIGIGOV_UPLOAD_MAX_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return body_refused(request, status=400, message=_("The request's Content-Length is not valid."))
        if length > limit:
            return body_refused(request, status=413, message=too_large_message(limit=limit))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A page that read an oversized or malformed body (Django raises on reading it) gets the same answer."""
        if isinstance(exception, RequestDataTooBig):
            return body_refused(
                request, status=413, message=too_large_message(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            )
        if isinstance(exception, TooManyFieldsSent):
            return body_refused(request, status=400, message=_("The form has too many fields."))
        return None


class NulRefusalMiddleware:
    """Refuse with 400 a request whose path, query or form or JSON body holds a NUL character: no field of ours
    may hold one, and PostgreSQL refuses them in text, which would otherwise surface as a server error wherever
    such a value reaches a query. File uploads (multipart) are left alone: files may contain any byte."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._holds_nul(request):
            message = _("The request holds a NUL character, which no field may.")
            return body_refused(request, status=400, message=message)
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request: HttpRequest) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return b"%00" in request.body or b"\x00" in request.body
        if content_type.startswith("application/json"):
            return b"\\u0000" in request.body or b"\x00" in request.body
        return False


def too_large_message(*, limit: int) -> str:
    return _("The request is too large. The most we accept is %(size)s KB.") % {"size": limit // 1024}


def body_refused(request: HttpRequest, *, status: int, message: str) -> HttpResponse:
    code = "request_too_large" if status == 413 else "bad_request"
    if request.path.startswith("/api/"):
        return JsonResponse(api_error_body(path=request.path, code=code, message=message), status=status)
    return render(request, "platform/request_refused.html", {"message": message}, status=status)
