"""The citizen portal: life events, service pages, sign-in, applying, status, inbox, my data, public KPIs.

Views stay thin: they read through the blocks' queries, write through their actions, and turn domain errors
into messages beside the fields (or a 404 for anything the person may not see).
"""

import base64
import io
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, load_backend, login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from digigov.blocks.identity.actions import (
    totp_enrolment_begin,
    totp_provisioning_uri,
    totp_secret_of,
    totp_verify,
)
from digigov.blocks.identity.oidc import first_party
from digigov.blocks.messaging import actions as messaging_actions
from digigov.blocks.messaging import queries as messaging_queries
from digigov.blocks.services import actions as services_actions
from digigov.blocks.services import queries as services
from digigov.frontdoors.portal.forms import (
    CodeForm,
    RatingForm,
    SignInForm,
    form_errors,
    question_build,
)
from digigov.platform.errors import Conflict, DomainError, NotFound, ValidationFailed

SIGN_IN_BACKEND = "digigov.blocks.identity.backends.SignInIdBackend"
PENDING_SIGN_IN = "portal_pending_sign_in"
PENDING_SIGN_IN_SECONDS = 10 * 60
MAX_CODE_TRIES = 5  # then the password step starts again, where django-axes counts failures


# --- helpers -------------------------------------------------------------------------------------------------

def _or_404(query: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return query(**kwargs)
    except NotFound:
        raise Http404() from None


def person_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as a person. Officers get a 404: these pages hold one person's own affairs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
        if request.user.kind != "person" or request.user.person_id is None:
            raise Http404()
        if first_party.front_door_acr(request, client_id=first_party.PORTAL) is None:
            # Signed in at the provider but not yet in the portal: the portal, a relying party like any other,
            # gets its own ID token first (no page to see when the provider's session is there).
            query = urlencode({"door": "portal", "next": request.get_full_path()})
            return redirect(f"{reverse('portal:auth-start')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request: HttpRequest, value: str | None) -> str:
    value = value or ""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return ""


def _landing(account: Any) -> str:
    return "/backoffice/" if account.kind == "officer" else reverse("portal:applications")


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, f"portal/{template}", context, status=status)


# --- finding a service ---------------------------------------------------------------------------------------

def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html", {"life_events": services.life_event_list(), "nav_active": "home"})


def life_event(request: HttpRequest, slug: str) -> HttpResponse:
    event = _or_404(services.life_event_get, slug=slug)
    return _page(request, "life_event.html", {
        "event": event, "services": services.service_list(life_event=event.slug), "nav_active": "home",
    })


def service_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results = services.service_list(query=query)
    return _page(request, "services.html", {"query": query, "services": results, "nav_active": "home"})


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = _or_404(services.service_get, slug=slug)
    return _page(request, "service.html", {
        "service": service, "fields": services.service_fields(service=service), "nav_active": "home",
    })


# --- signing in ----------------------------------------------------------------------------------------------

def _needs_second_factor(account: Any) -> bool:
    return account.kind == "officer" or account.has_totp


def _pending_set(request: HttpRequest, *, account: Any, next_url: str) -> None:
    request.session[PENDING_SIGN_IN] = {"id": account.pk, "next": next_url, "at": time.time(), "tries": 0}


def _pending_get(request: HttpRequest) -> dict | None:
    pending = request.session.get(PENDING_SIGN_IN)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SIGN_IN_SECONDS:
        request.session.pop(PENDING_SIGN_IN, None)
        return None
    return pending


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    account = request.user
    if account.is_authenticated:
        if _needs_second_factor(account) and not request.session.get("mfa_verified"):
            if not account.has_totp:
                return redirect(_two_factor_url(next_url))
            _pending_set(request, account=account, next_url=next_url)
            return redirect("portal:sign-in-code")
        return redirect(next_url or _landing(account))

    form = SignInForm(request.POST or None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            # django-axes counts this attempt; when the id is locked its middleware answers 429 instead.
            account = authenticate(
                request, username=form.cleaned_data["sign_in_id"], password=form.cleaned_data["password"]
            )
            if account is not None:
                if account.has_totp:
                    _pending_set(request, account=account, next_url=next_url)
                    return redirect("portal:sign-in-code")
                login(request, account, backend=SIGN_IN_BACKEND)
                if account.kind == "officer":
                    # A password alone opens nothing in the back office: enrol an authenticator app first.
                    return redirect(_two_factor_url(next_url))
                return redirect(next_url or _landing(account))
            errors = {"sign_in_id": _("Enter a correct national ID number or username and password")}
        else:
            errors = form_errors(form)
    status = 400 if errors else 200
    return _page(request, "sign_in.html", {
        "form": form, "errors": errors, "next": next_url, "nav_active": "sign-in",
        "sign_in_id": request.POST.get("sign_in_id", ""),
    }, status=status)


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = _pending_get(request)
    if pending is None:
        messages.info(request, _("Sign in again to continue."))
        return redirect("portal:sign-in")
    form = CodeForm(request.POST or None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            account = load_backend(SIGN_IN_BACKEND).get_user(pending["id"])
            if account is not None and totp_verify(account=account, code=form.cleaned_data["code"]):
                request.session.pop(PENDING_SIGN_IN, None)
                login(request, account, backend=SIGN_IN_BACKEND)  # a new session key: no fixation
                request.session["mfa_verified"] = True
                return redirect(pending.get("next") or _landing(account))
            pending["tries"] = pending.get("tries", 0) + 1
            if pending["tries"] >= MAX_CODE_TRIES:
                request.session.pop(PENDING_SIGN_IN, None)
                messages.info(request, _("Too many incorrect codes. Sign in again."))
                return redirect("portal:sign-in")
            request.session[PENDING_SIGN_IN] = pending
            errors = {"code": _("The code is not correct. Enter the latest 6-digit code from your authenticator app")}
        else:
            errors = form_errors(form)
    return _page(request, "sign_in_code.html", {"errors": errors, "nav_active": "sign-in"},
                 status=400 if errors else 200)


def _two_factor_url(next_url: str) -> str:
    url = reverse("portal:two-factor")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return url


def _qr_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn on an authenticator app: required for officers, optional for people."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
    account = request.user
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if account.has_totp:
        if not request.session.get("mfa_verified"):
            return redirect(reverse("portal:sign-in") + ("?" + urlencode({"next": next_url}) if next_url else ""))
        return _page(request, "two_factor_done.html", {"next": next_url or _landing(account)})

    errors: dict[str, str] = {}
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid() and totp_verify(account=account, code=form.cleaned_data["code"]):
            request.session.cycle_key()  # the session gains a privilege: a new key, so a planted one is useless
            request.session["mfa_verified"] = True
            messages.success(
                request, _("Your authenticator app is set up. You will be asked for a code when you sign in.")
            )
            return redirect(next_url or _landing(account))
        errors = form_errors(form) if form.errors else {
            "code": _("The code is not correct. Enter the latest 6-digit code from your authenticator app")
        }
    # The secret stays the same until it is confirmed, so a reload does not invalidate a scanned code.
    secret = totp_secret_of(account=account) or totp_enrolment_begin(account=account)
    return _page(request, "two_factor.html", {
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "qr": _qr_data_uri(totp_provisioning_uri(account=account)),
        "errors": errors, "next": next_url, "is_officer": account.kind == "officer",
    }, status=400 if errors else 200)


# --- DigiGov as its own relying party (docs/identity.md) ---------------------------------------------------------
# The pages above are the provider's sign-in step. A front door's own session comes only from a verified ID
# token: /auth/start/ sends the browser through the provider's authorization endpoint, /auth/callback/ finishes.

FRONT_DOORS = {"portal": first_party.PORTAL, "backoffice": first_party.BACKOFFICE}


@require_GET
def auth_start(request: HttpRequest) -> HttpResponse:
    client_id = FRONT_DOORS.get(request.GET.get("door", "portal"))
    if client_id is None:
        raise Http404()
    next_url = _safe_next(request, request.GET.get("next"))
    authorize_url, sealed_flow = first_party.sign_in_start(request, client_id=client_id, next_url=next_url)
    response = redirect(authorize_url)
    response.set_signed_cookie(
        first_party.FLOW_COOKIE, sealed_flow, salt=first_party.FLOW_COOKIE, max_age=first_party.FLOW_SECONDS,
        path=reverse("portal:auth-callback"), secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )
    return response


@require_GET
def auth_callback(request: HttpRequest) -> HttpResponse:
    sealed_flow = request.get_signed_cookie(first_party.FLOW_COOKIE, default="", salt=first_party.FLOW_COOKIE)
    try:
        signed_in = first_party.sign_in_finish(request, sealed_flow=sealed_flow)
        if signed_in.account.pk != request.user.pk:  # the token names someone other than the provider's session
            raise first_party.SignInRefused()
    except first_party.SignInRefused as error:
        response = _page(request, "sign_in_refused.html", {"message": error.message, "nav_active": "sign-in"},
                         status=400)
    else:
        first_party.front_door_establish(request, signed_in=signed_in)
        response = redirect(_safe_next(request, signed_in.next_url) or _landing(signed_in.account))
    response.delete_cookie(first_party.FLOW_COOKIE, path=reverse("portal:auth-callback"))  # one use
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the front door's session here, then the provider's by RP-initiated logout with the ID token as hint.
    Both live in this one session store today, so the first already ends both; the second keeps the front door
    honest to the protocol (it must not rely on sharing the provider's cookie) and lands back on the home page."""
    provider_logout = first_party.front_door_logout_url(request)
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect(provider_logout or "portal:home")


# --- applying ------------------------------------------------------------------------------------------------

def _application(request: HttpRequest, application_id: uuid.UUID) -> Any:
    return _or_404(services.access_application, account=request.user, application_id=application_id)


@person_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    service = _or_404(services.service_get, slug=slug)
    try:
        application = services_actions.application_start(account=request.user, service=service)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:service", slug=slug)
    if services.prefill_request(service=service) and not application.prefill_decision:
        return redirect("portal:consent", application_id=application.pk)
    return redirect("portal:form", application_id=application.pk)


@person_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    if application.status != "draft":
        return redirect("portal:application", application_id=application.pk)
    service = application.service
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision in {"granted", "refused"}:
            try:
                services_actions.application_prefill_decide(
                    account=request.user, application=application, granted=decision == "granted"
                )
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("portal:application", application_id=application.pk)
            return redirect("portal:form", application_id=application.pk)
    return _page(request, "consent.html", {
        "application": application, "service": service, "fields": services.prefill_request(service=service),
    })


def _idempotency_key(request: HttpRequest) -> str | None:
    key = request.POST.get("idempotency_key", "").strip()
    return key if 0 < len(key) <= 100 else None


@person_required
@require_http_methods(["GET", "POST"])
def application_form(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    submitting = request.method == "POST" and request.POST.get("action") != "save"
    if application.status != "draft" and not submitting:
        return redirect("portal:application", application_id=application.pk)
    # A second "Submit" (a double click, a retried request) goes on to application_submit, which answers with
    # the application the first one submitted.
    service = application.service
    if application.status == "draft" and services.prefill_request(service=service) and not application.prefill_decision:
        return redirect("portal:consent", application_id=application.pk)

    answers = services.application_answers(application=application)
    verified = [a for a in answers if a.source == "verified"]
    editable = [a for a in answers if a.source != "verified"]
    errors: dict[str, str] = {}
    idempotency_key = str(uuid.uuid4())
    values = {a.field.key: a.value for a in editable}
    status = 200
    if request.method == "POST":
        # Only the questions this page shows: verified answers are read-only and never taken from the form.
        values = {a.field.key: request.POST.get(a.field.key, "") for a in editable}
        try:
            if request.POST.get("action") == "save":
                services_actions.application_draft_save(account=request.user, application=application, answers=values)
                messages.success(request, _("Your answers have been saved. You can come back to them later."))
                return redirect("portal:form", application_id=application.pk)
            submitted = services_actions.application_submit(
                account=request.user, application=application, answers=values,
                idempotency_key=_idempotency_key(request),
            )
            return redirect("portal:submitted", application_id=submitted.pk)
        except ValidationFailed as error:
            errors = error.fields or {"": error.message}
            idempotency_key = _idempotency_key(request) or idempotency_key
            status = 400
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("portal:application", application_id=application.pk)
    questions = [question_build(field=a.field, value=values.get(a.field.key), error=errors.get(a.field.key, ""))
                 for a in editable]
    return _page(request, "form.html", {
        "application": application, "service": service, "verified": verified, "questions": questions,
        "error_list": _error_list(questions, errors), "idempotency_key": idempotency_key,
    }, status=status)


def _error_list(questions: list, errors: dict[str, str]) -> list[tuple[str, str]]:
    """(link target, message) pairs for the error summary, in the order the questions appear."""
    listed = [(f"#{q.input_id}", q.error) for q in questions if q.error]
    shown = {q.field.key for q in questions}
    listed += [("#main-content", message) for key, message in errors.items() if key not in shown]
    return listed


@person_required
def submitted(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    if application.status == "draft":
        return redirect("portal:form", application_id=application.pk)
    return _page(request, "submitted.html", {"application": application})


@person_required
def applications(request: HttpRequest) -> HttpResponse:
    return _page(request, "applications.html", {
        "applications": services.applications_for_account(account=request.user), "nav_active": "applications",
    })


def _detail(request: HttpRequest, application: Any, *, respond_errors: dict | None = None,
            rating_errors: dict | None = None, status: int = 200) -> HttpResponse:
    rated = hasattr(application, "rating")
    return _page(request, "application.html", {
        "application": application,
        "answers": services.application_answers(application=application),
        "steps": application.steps.all(),
        "respond_errors": respond_errors or {},
        "rating_errors": rating_errors or {},
        "summary_errors": {**(respond_errors or {}), **(rating_errors or {})},
        "response": request.POST.get("response", "") if respond_errors else "",
        "rating": application.rating if rated else None,
        "can_rate": application.is_decided and not rated,
        "scale": RatingForm.base_fields["score"].choices,
        "score": request.POST.get("score", "") if rating_errors else "",
        "comment": request.POST.get("comment", "") if rating_errors else "",
        "nav_active": "applications",
    }, status=status)


@person_required
def application_detail(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    if application.status == "draft":
        return redirect("portal:form", application_id=application.pk)
    return _detail(request, application)


@person_required
@require_POST
def application_respond(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    try:
        services_actions.application_respond(
            account=request.user, application=application, response=request.POST.get("response", "")
        )
    except ValidationFailed as error:
        return _detail(request, application, respond_errors=error.fields or {"response": error.message}, status=400)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("portal:application", application_id=application.pk)
    messages.success(request, _("Your answer has been sent. The officer will continue with your application."))
    return redirect("portal:application", application_id=application.pk)


@person_required
@require_POST
def application_rate(request: HttpRequest, application_id: uuid.UUID) -> HttpResponse:
    application = _application(request, application_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, rating_errors=form_errors(form), status=400)
    try:
        services_actions.application_rate(
            account=request.user, application=application, score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationFailed as error:
        return _detail(request, application, rating_errors=error.fields or {"score": error.message}, status=400)
    except Conflict as error:
        messages.info(request, error.message)
        return redirect("portal:application", application_id=application.pk)
    messages.success(request, _("Thank you for your feedback."))
    return redirect("portal:application", application_id=application.pk)


# --- inbox (the "Your data" pages are in views_my_data.py) -------------------------------------------------

@person_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _page(request, "inbox.html", {
        "messages_list": messaging_queries.inbox_for_account(account=request.user), "nav_active": "inbox",
    })


@person_required
def inbox_message(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    message = _or_404(messaging_queries.access_message, account=request.user, message_id=message_id)
    if message.read_at is None:
        message = messaging_actions.message_mark_read(account=request.user, message_id=message.pk)
    link = message.link if message.link.startswith("/") and not message.link.startswith("//") else ""
    return _page(request, "message.html", {
        "message": message, "link": link,
        "deliveries": messaging_queries.deliveries_for_message(message=message), "nav_active": "inbox",
    })
