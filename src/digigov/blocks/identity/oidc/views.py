"""The provider's HTTP endpoints. Protocol checks are Authlib's (`server.py`); these views add the person's
part: signing in through the portal, stepping up to two factors, and agreeing to share claims."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from django.conf import settings
from django.contrib.auth import logout as session_end
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from digigov.blocks.identity import business_queries
from digigov.blocks.identity import queries as identity_queries
from digigov.blocks.identity.oidc import actions, queries
from digigov.blocks.identity.oidc.claims import (
    ACR_LEVELS,
    ACR_PASSKEY,
    ACR_PASSWORD,
    ACR_TWO_FACTOR,
    BUSINESS_SCOPE,
    CALLING_SYSTEM_SCOPES,
    SCOPE_CLAIMS,
    SCOPES_SUPPORTED,
    acr_required,
    acr_satisfies,
    business_consent_claim,
    claims_for_scopes,
)
from digigov.blocks.identity.oidc.server import (
    CLIENT_SECRET_BASIC,
    PRIVATE_KEY_JWT,
    CodeGrant,
    authorization_request,
    endpoint_url,
    issuer,
    provider,
)
from digigov.blocks.registries import queries as registries_queries

# Client credentials are never part of the authorization request that is stored and replayed.
CREDENTIAL_PARAMS = {"client_assertion", "client_assertion_type", "client_secret"}


def _error_page(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return render(request, "identity/oidc/error.html", {"message": message}, status=status)


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": endpoint_url("authorize"),
            "pushed_authorization_request_endpoint": endpoint_url("par"),
            "require_pushed_authorization_requests": True,
            "token_endpoint": endpoint_url("token"),
            "userinfo_endpoint": endpoint_url("userinfo"),
            "revocation_endpoint": endpoint_url("revoke"),
            "end_session_endpoint": endpoint_url("logout"),
            "jwks_uri": endpoint_url("jwks"),
            "scopes_supported": [*SCOPES_SUPPORTED, *CALLING_SYSTEM_SCOPES],
            "claims_supported": [
                "sub",
                "acr",
                "amr",
                "auth_time",
                *[c.name for c in claims_for_scopes(list(SCOPE_CLAIMS))],
            ],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": list(actions.SIGNING_ALGS),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            "revocation_endpoint_auth_methods_supported": [PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC],
            "acr_values_supported": list(ACR_LEVELS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": True,
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(queries.jwks_public())
    response["Cache-Control"] = "public, max-age=300"  # short: a rotation must reach clients quickly
    return response


@csrf_exempt  # called by client servers, authenticated by their assertion, never by a browser session
@require_POST
def par(request: HttpRequest) -> HttpResponse:
    """Pushed authorization request (RFC 9126): the client sends the request over its authenticated back
    channel; the browser carries only an opaque request_uri, so the parameters cannot be tampered with."""
    oauth_request = provider.create_oauth2_request(request)
    try:
        client = provider.authenticate_client(oauth_request, CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS, "par")
        params = {k: v for k, v in request.POST.items() if k not in CREDENTIAL_PARAMS}
        if any(len(request.POST.getlist(k)) > 1 for k in params):
            raise InvalidRequestError("A parameter is repeated.")
        if "request_uri" in params or "request" in params:
            raise InvalidRequestError("A pushed request cannot itself refer to a request object.")
        if params.setdefault("client_id", client.get_client_id()) != client.get_client_id():
            raise InvalidRequestError("'client_id' is not the authenticated client.")
        # The request's own checks (client, redirect URI, scope, PKCE, nonce); not yet who the person is, so
        # `prompt` is left for the authorization endpoint.
        pushed = authorization_request(request, params)
        grant = provider.get_authorization_grant(pushed)
        grant.validate_no_multiple_request_parameter(pushed)
        grant.validate_authorization_request()
    except OAuth2Error as error:
        error.redirect_uri = None  # errors at the back channel are answered here, never by redirecting
        return provider.handle_error_response(oauth_request, error)
    request_uri, expires_in = actions.pushed_request_create(client=client.row, params=params)
    return JsonResponse({"request_uri": request_uri, "expires_in": expires_in}, status=201)


def session_assurance(request: HttpRequest) -> tuple[str, list[str]]:
    """How the provider's own session was authenticated: what its next ID token will say as acr and amr."""
    if request.session.get("passkey_verified"):
        return ACR_PASSKEY, request.session.get("passkey_amr") or ["mfa"]
    if request.session.get("mfa_verified"):
        return ACR_TWO_FACTOR, ["pwd", "otp"]
    return ACR_PASSWORD, ["pwd"]


def _pushed_at(pushed: Any) -> dt.datetime:
    return pushed.expires_at - dt.timedelta(seconds=actions.PUSHED_REQUEST_SECONDS)


def _login_again(request: HttpRequest, params: dict[str, str], *, pushed_at: dt.datetime) -> bool:
    """prompt=login asks for a sign-in after the request was made; max_age bounds the sign-in's age."""
    last_login = request.user.last_login
    if last_login is None:
        return True
    if "login" in params.get("prompt", "").split() and last_login < pushed_at:
        return True
    max_age = params.get("max_age", "")
    return max_age.isdigit() and (timezone.now() - last_login).total_seconds() > int(max_age)


def _redirect_error(request: HttpRequest, params: dict[str, str], error_class: type[OAuth2Error]) -> HttpResponse:
    # The redirect URI was checked against the client's registration when the request was pushed.
    error = error_class(redirect_uri=params["redirect_uri"], state=params.get("state"))
    return provider.handle_error_response(authorization_request(request, params), error)


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    pushed = queries.pushed_request_get(
        request_uri=request.GET.get("request_uri", ""), client_id=request.GET.get("client_id", "")
    )
    if pushed is None:
        # Nothing validated to redirect to: the person is told here (RFC 9126 requires pushed requests).
        return _error_page(request, "invalid_request_uri")
    params = pushed.params
    prompts = params.get("prompt", "").split()
    if not request.user.is_authenticated or _login_again(request, params, pushed_at=_pushed_at(pushed)):
        if "none" in prompts:  # the client asked not to show anything: answer at once
            return _redirect_error(request, params, LoginRequiredError)
        session_end(request)
        return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
    account = request.user
    # Officers sign in to DigiGov's own back office through the provider; to other services, only people do.
    officer_at_home = pushed.client.first_party and account.kind == "officer"
    if (account.kind != "person" or account.person_id is None) and not officer_at_home:
        return _error_page(request, "person_only", status=403)
    acr, amr = session_assurance(request)
    required = acr_required(params.get("acr_values", ""))
    if not acr_satisfies(acr, required):
        if "none" in prompts:
            return _redirect_error(request, params, LoginRequiredError)
        # Step-up: the service asked for more than this session has. A passkey satisfies every level, so a
        # person who has one (or a service that asks for one) goes to the passkey page; otherwise to the code.
        step_up = "portal:two-factor"
        if required == ACR_PASSKEY or identity_queries.has_passkeys(account=account):
            step_up = "portal:passkey-sign-in"
        return redirect(reverse(step_up) + "?" + urlencode({"next": request.get_full_path()}))

    auth_request = authorization_request(request, params)
    try:
        grant = provider.get_consent_grant(request=auth_request, end_user=account)
    except OAuth2Error as error:
        return provider.handle_error_response(auth_request, error)
    client = grant.client.row
    if client.is_sandbox and not registries_queries.person_is_synthetic(person_id=account.person_id):
        # A sandbox client is a service under test: it signs in synthetic people only (docs/identity.md
        # "Sandbox clients"). The person is told why; the service gets access_denied, as for a refusal.
        actions.sandbox_real_person_refuse(
            account=account, client=client, step="authorize", pushed_request_id=pushed.pk
        )
        denied = _redirect_error(request, params, AccessDeniedError)
        if "none" in prompts:
            return denied
        return render(
            request,
            "identity/oidc/error.html",
            {"message": "sandbox_real_person", "client": client, "back_url": denied["Location"]},
            status=403,
        )
    asked = params.get("scope", "").split()
    claim_scopes = [s for s in asked if s in SCOPE_CLAIMS]
    # The business the person chose to act for in the portal, while they still may (docs/identity.md).
    acting_for = None
    if BUSINESS_SCOPE in asked and (business_id := request.session.get(business_queries.ACTING_FOR_SESSION_KEY)):
        acting_for = business_queries.business_context_by_id(account=account, business_id=business_id)
    if acting_for is not None:
        claim_scopes.append(BUSINESS_SCOPE)
    consent = queries.consent_current(account=account, client=client)
    agreed = not claim_scopes or (
        consent is not None
        and set(claim_scopes) <= set(consent.scopes)
        and "consent" not in params.get("prompt", "").split()
    )
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision == "refuse":
            return provider.create_authorization_response(request=auth_request, grant_user=None, grant=grant)
        if decision == "agree":
            actions.client_consent_give(account=account, client=client, scopes=claim_scopes)
            agreed = True
    if not agreed:
        if "none" in prompts:
            return _redirect_error(request, params, ConsentRequiredError)
        return render(
            request,
            "identity/oidc/consent.html",
            {
                "client": client,
                "claims": claims_for_scopes(claim_scopes)
                + ([business_consent_claim(acting_for.business.name)] if acting_for else []),
            },
        )
    auth_request.digigov_acr, auth_request.digigov_amr = acr, amr
    auth_request.digigov_auth_time = int(account.last_login.timestamp()) if account.last_login else 0
    auth_request.digigov_pushed_request_id = pushed.pk
    auth_request.digigov_business_id = acting_for.business.pk if acting_for else None
    return provider.create_authorization_response(request=auth_request, grant_user=account, grant=grant)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    return provider.create_token_response(request)


@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    return provider.create_endpoint_response("revocation", request)


def _bearer_error(description: str) -> HttpResponse:
    response = JsonResponse({"error": "invalid_token", "error_description": description}, status=401)
    response["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{description}"'
    return response


@csrf_exempt  # bearer-token authenticated: no cookie is read
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        response = JsonResponse({"error": "invalid_request"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    access_token = queries.access_token_get(token=value.strip())
    if access_token is None:
        return _bearer_error("The access token is unknown, expired or revoked.")
    if access_token.account.kind != "person":  # a calling system's own token says nothing about anyone
        return _bearer_error("The access token was not issued for a person.")
    return JsonResponse(queries.claims_release(token=access_token))


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """RP-initiated logout. Without a valid id_token_hint the person confirms first, so that a link planted
    elsewhere cannot sign them out."""
    try:
        end_session = provider.validate_endpoint_request("end_session", request)
    except OAuth2Error:
        return _error_page(request, "logout_invalid")
    if end_session.needs_confirmation and request.method == "GET":
        return render(request, "identity/oidc/logout_confirm.html", {"params": request.GET.dict()})
    response = provider.create_endpoint_response("end_session", end_session)
    return response or render(request, "identity/oidc/logged_out.html")
