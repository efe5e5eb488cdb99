"""The person's own identity pages: "Apps with access" (services signed in with DigiGov that they agreed to share
details with, and withdrawing that access); "Sign-in and security" (authenticator app, passkeys, signed-in
devices); signing in or stepping up with a passkey; and the self-service unlock of a locked sign-in id."""

import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import load_backend, login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from digigov.blocks.identity import actions as identity_actions
from digigov.blocks.identity import passkeys
from digigov.blocks.identity import queries as identity_queries
from digigov.blocks.identity.errors import PasskeyRejected
from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.identity.oidc import queries as oidc_queries
from digigov.blocks.identity.oidc.claims import claims_for_scopes
from digigov.blocks.identity.signals import SESSION_RECORD
from digigov.frontdoors.portal.views import (
    PENDING_SIGN_IN,
    SIGN_IN_BACKEND,
    _landing,
    _pending_get,
    _safe_next,
    person_required,
)
from digigov.platform.errors import (
    DomainError,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    ValidationFailed,
    error_body,
)


@person_required
def apps_with_access(request: HttpRequest) -> HttpResponse:
    apps = [
        {"consent": consent, "claims": claims_for_scopes(consent.scopes)}
        for consent in oidc_queries.consents_for_account(account=request.user)
    ]
    return render(request, "portal/identity/apps.html", {"apps": apps, "nav_active": "my-data"})


@person_required
@require_POST
def app_access_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    try:
        consent = oidc_actions.client_consent_revoke(account=request.user, consent_id=consent_id)
    except NotFound:
        raise Http404() from None
    messages.success(request, _("%(name)s can no longer get your details.") % {"name": consent.client.name})
    return redirect("portal:apps-with-access")


# --- Sign-in and security: passkeys, signed-in sessions ---------------------------------------------------------

CEREMONY_SECONDS = 5 * 60  # a passkey prompt left open longer than this starts again
REGISTRATION = "portal_passkey_registration"
AUTHENTICATION = "portal_passkey_authentication"


def account_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as a person or an officer (their own sign-in settings). The page script's JSON calls get the
    error shape rather than a redirect to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.content_type == "application/json":
                return _json_error(NotAuthenticated())
            return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapped


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse(error_body(code=error.code, message=error.message, fields=error.fields), status=error.status)


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(_("The request was not understood. Reload the page and try again."))
    return body


def _challenge_remember(request: HttpRequest, slot: str, challenge: bytes) -> None:
    request.session[slot] = {"challenge": bytes_to_base64url(challenge), "at": time.time()}


def _challenge_take(request: HttpRequest, slot: str) -> bytes:
    """The challenge this session was given, once: an answer to it cannot be replayed."""
    remembered = request.session.pop(slot, None)
    if not remembered or time.time() - remembered.get("at", 0) > CEREMONY_SECONDS:
        raise PasskeyRejected(_("The passkey request timed out. Try again."))
    return base64url_to_bytes(remembered["challenge"])


def _strongly_signed_in(request: HttpRequest) -> bool:
    return bool(request.session.get("mfa_verified") or request.session.get("passkey_verified"))


def _may_change_factors(request: HttpRequest) -> bool:
    """Adding or removing a passkey needs the strongest sign-in the account has: someone who learnt only the
    password must not be able to add a passkey of their own, or remove the person's."""
    account = request.user
    return _strongly_signed_in(request) or not (account.has_totp or identity_queries.has_passkeys(account=account))


def device_label(user_agent: str) -> str:
    """"Firefox on Linux" from a user agent string; the raw string is shown where this cannot tell."""
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
               ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
    browser = next((name for marker, name in browsers if marker in user_agent), "")
    system = next((name for marker, name in systems if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent[:80] or _("Unknown device")


def _security_page(request: HttpRequest, *, errors: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    account = request.user
    current = request.session.get(SESSION_RECORD)
    sessions = [
        {"record": record, "device": device_label(record.user_agent), "current": record.pk == current}
        for record in identity_queries.signed_in_sessions(account=account)
    ]
    sessions.sort(key=lambda s: not s["current"])  # this device first
    return render(request, "portal/identity/security.html", {
        "has_totp": account.has_totp,
        "passkeys": [
            {"passkey": passkey, "field": f"name-{passkey.pk}", "error": (errors or {}).get(f"name-{passkey.pk}")}
            for passkey in identity_queries.passkeys_for_account(account=account)
        ],
        "may_change": _may_change_factors(request),
        "sessions": sessions,
        "others": sum(1 for s in sessions if not s["current"]),
        "errors": errors or {},
        "nav_active": "security",
    }, status=status)


@account_required
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@account_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    if not _may_change_factors(request):
        return _json_error(NotPermitted(_("Sign in with your authenticator app or a passkey first.")))
    account = request.user
    options, challenge = passkeys.registration_options(
        account_id=account.pk,
        # What the authenticator shows in its list of passkeys: never a national ID number.
        user_name=account.email or (account.username if account.kind == "officer" else _("DigiGov account")),
        existing=identity_queries.passkey_credentials(account=account),
    )
    _challenge_remember(request, REGISTRATION, challenge)
    return HttpResponse(options, content_type="application/json")


@account_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    if not _may_change_factors(request):
        return _json_error(NotPermitted(_("Sign in with your authenticator app or a passkey first.")))
    try:
        body = _json_body(request)
        passkey = identity_actions.passkey_register(
            account=request.user, credential=body.get("credential"),
            challenge=_challenge_take(request, REGISTRATION), name=str(body.get("name") or ""),
        )
    except DomainError as error:
        return _json_error(error)
    messages.success(request, _("Passkey “%(name)s” added. You can now sign in with it.") % {"name": passkey.name})
    return JsonResponse({"redirect": reverse("portal:security")}, status=201)


@account_required
@require_POST
def passkey_rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    try:
        identity_actions.passkey_rename(account=request.user, passkey_id=passkey_id, name=request.POST.get("name", ""))
    except NotFound:
        raise Http404() from None
    except ValidationFailed as error:
        return _security_page(request, errors={f"name-{passkey_id}": error.fields["name"]}, status=400)
    messages.success(request, _("Passkey renamed."))
    return redirect("portal:security")


@account_required
@require_POST
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    if not _may_change_factors(request):
        step_up = reverse("portal:passkey-sign-in") + "?" + urlencode({"next": reverse("portal:security")})
        return redirect(step_up)
    try:
        identity_actions.passkey_remove(account=request.user, passkey_id=passkey_id)
    except NotFound:
        raise Http404() from None
    messages.success(request, _("Passkey removed. It can no longer be used to sign in."))
    return redirect("portal:security")


@require_GET
def passkey_sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in with a passkey (no id typed), or step up to one when a service asks for it."""
    next_url = _safe_next(request, request.GET.get("next"))
    account = _expected_account(request)
    return render(request, "portal/identity/passkey_sign_in.html", {
        "next": next_url,
        "step_up": account is not None,
        "has_passkeys": account is None or identity_queries.has_passkeys(account=account),
        "has_totp": request.user.is_authenticated and account.has_totp and not request.session.get("mfa_verified"),
        "nav_active": "sign-in",
    })


def _expected_account(request: HttpRequest) -> Any:
    """Whose passkey this ceremony wants: the signed-in account (a step-up), the account whose password was just
    checked (a passkey instead of the code), or anyone's (usernameless sign-in)."""
    if request.user.is_authenticated:
        return request.user
    pending = _pending_get(request)
    return load_backend(SIGN_IN_BACKEND).get_user(pending["id"]) if pending else None


@require_POST
def passkey_sign_in_options(request: HttpRequest) -> HttpResponse:
    # With an expected account only its passkeys will do. Otherwise any DigiGov passkey the authenticator
    # holds, so no id is typed and nothing tells whether an id has passkeys.
    account = _expected_account(request)
    allowed = identity_queries.passkey_credentials(account=account) if account is not None else []
    options, challenge = passkeys.authentication_options(allowed=allowed)
    _challenge_remember(request, AUTHENTICATION, challenge)
    return HttpResponse(options, content_type="application/json")


@require_POST
def passkey_sign_in_verify(request: HttpRequest) -> HttpResponse:
    expected = _expected_account(request)
    try:
        body = _json_body(request)
        passkey = identity_actions.passkey_authenticate(
            credential=body.get("credential"), challenge=_challenge_take(request, AUTHENTICATION), account=expected,
        )
    except DomainError as error:
        return _json_error(error)
    # RFC 8176 methods: the passkey is a key (hardware-bound, or software if synced) plus a PIN or biometric.
    amr = ["swk" if passkey.backed_up else "hwk", "mfa"]
    if expected is not None:  # a password came first
        amr = ["pwd", *(["otp"] if request.session.get("mfa_verified") else []), *amr]
    pending_next = (_pending_get(request) or {}).get("next", "")
    request.session.pop(PENDING_SIGN_IN, None)
    # A new session key either way (no fixation), and a fresh sign-in time for services that bound its age.
    login(request, passkey.account, backend=SIGN_IN_BACKEND)
    request.session["mfa_verified"] = True
    request.session["passkey_verified"] = True
    request.session["passkey_amr"] = amr
    next_url = _safe_next(request, str(body.get("next") or "")) or pending_next
    return JsonResponse({"redirect": next_url or _landing(passkey.account)})


@account_required
@require_POST
def session_revoke(request: HttpRequest, record_id: int) -> HttpResponse:
    if record_id == request.session.get(SESSION_RECORD):
        logout(request)  # ending the session in use is signing out
        messages.success(request, _("You have signed out."))
        return redirect("portal:home")
    try:
        identity_actions.session_revoke(account=request.user, record_id=record_id)
    except NotFound:
        raise Http404() from None
    messages.success(request, _("That device has been signed out."))
    return redirect("portal:security")


@account_required
@require_POST
def sessions_revoke_others(request: HttpRequest) -> HttpResponse:
    ended = identity_actions.sessions_revoke_others(
        account=request.user, keep_record_id=request.session.get(SESSION_RECORD)
    )
    messages.success(request, ngettext(
        "You have been signed out on %(count)d other device.",
        "You have been signed out on %(count)d other devices.", ended,
    ) % {"count": ended})
    return redirect("portal:security")


# --- Self-service unlock -----------------------------------------------------------------------------------------

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def unlock_request(request: HttpRequest) -> HttpResponse:
    """"Email me an unlock link" for a locked sign-in id. The answer is the same whether or not the id exists,
    has an email address, or was sent a link moments ago."""
    sign_in_id = request.POST.get("sign_in_id", "").strip()
    if request.method == "POST" and sign_in_id:
        sent = identity_actions.unlock_link_create(sign_in_id=sign_in_id)
        if sent is not None:
            token, email = sent
            link = settings.DIGIGOV_SITE_URL.rstrip("/") + reverse("portal:unlock-confirm", args=[token])
            try:
                identity_actions.unlock_email_send(to=email, link=link)
            except OSError:  # the relay is down: the person can wait out the lockout; say nothing different
                logger.exception("unlock email not sent")
        return render(request, "portal/identity/unlock_sent.html", {"nav_active": "sign-in"})
    errors = {"sign_in_id": _("Enter your national ID number or username")} if request.method == "POST" else {}
    return render(request, "portal/identity/unlock_request.html", {"errors": errors, "nav_active": "sign-in"},
                  status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def unlock_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # Opening the link only shows a button: mail scanners that follow links must not use it up.
    if request.method == "GET":
        return render(request, "portal/identity/unlock_confirm.html", {"nav_active": "sign-in"})
    account = identity_actions.unlock_link_use(token=token)
    if account is None:
        return render(request, "portal/identity/unlock_invalid.html", {"nav_active": "sign-in"}, status=400)
    messages.success(request, _("Signing in is unlocked. You can sign in now."))
    return redirect("portal:sign-in")
