"""DigiGov as its own first relying party: the portal and the back office sign people in through the provider
as any service does (pushed request, authorization code with PKCE, ID token verified), so the provider is the
one place that authenticates and decides assurance, and a front door holds only what an ID token told it.

The front door's side of the flow lives here so both front doors share it: `sign_in_start` pushes the request
and returns where to send the browser, with the flow's secrets (state, nonce, PKCE verifier) sealed into a
cookie; `sign_in_finish` checks the state, redeems the code and verifies the ID token; `front_door_*` keep
and read what the front door remembers in its session. See docs/identity.md, "DigiGov as its own relying party".
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from digigov.blocks.identity.oidc import actions, queries
from digigov.blocks.identity.oidc.claims import ACR_PASSWORD, ACR_TWO_FACTOR, acr_satisfies
from digigov.blocks.identity.oidc.server import (
    FIRST_PARTY_CALLBACK_PATH,
    FIRST_PARTY_SIGNED_OUT_PATH,
    InProcessTokenRequest,
    authorization_request,
    issuer,
    provider,
)
from digigov.platform.crypto import decrypt_text, encrypt_text
from digigov.platform.errors import DomainError

PORTAL = "digigov-portal"
BACKOFFICE = "digigov-backoffice"
FLOW_COOKIE = "digigov_sign_in_flow"
FLOW_CONTEXT = b"identity.oidc.first_party.flow"
# The flow may include signing in and a second factor; the pushed request it refers to lives as long.
FLOW_SECONDS = actions.PUSHED_REQUEST_SECONDS
FRONT_DOOR_SESSION = "front_door"


@dataclass(frozen=True)
class FrontDoor:
    client_id: str
    name: str
    acr: str  # the least assurance it accepts; asked for with acr_values and checked in the ID token


FRONT_DOORS = {
    PORTAL: FrontDoor(PORTAL, "DigiGov portal", ACR_PASSWORD),
    # MFA is mandatory for officers: a password alone never opens the back office (issue 3).
    BACKOFFICE: FrontDoor(BACKOFFICE, "DigiGov back office", ACR_TWO_FACTOR),
}


class SignInRefused(DomainError):
    """The callback did not complete a sign-in this browser started: wrong or missing state, a refused or
    reused code, or an ID token that failed a check. One message whatever the reason."""

    code = "sign_in_refused"
    status = 400
    default_message = _("Signing in did not complete. Start again from the sign-in page.")


@dataclass(frozen=True)
class SignedIn:
    """What the front door learnt from a verified ID token."""

    account: Any
    client_id: str
    sub: str
    acr: str
    amr: list[str]
    auth_time: int
    id_token: str
    next_url: str


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(FIRST_PARTY_CALLBACK_PATH)


def _seal(flow: dict) -> str:
    # Sealed, not only signed: the PKCE verifier and nonce are the front door's secrets, not the browser's.
    return base64.urlsafe_b64encode(encrypt_text(plaintext=json.dumps(flow), context=FLOW_CONTEXT)).decode()


def _unseal(value: str) -> dict | None:
    try:
        flow = json.loads(decrypt_text(ciphertext=base64.urlsafe_b64decode(value.encode()), context=FLOW_CONTEXT))
    except Exception:  # noqa: BLE001 (any tampered, truncated or foreign cookie is simply no flow)
        return None
    if not isinstance(flow, dict) or time.time() - flow.get("at", 0) > FLOW_SECONDS:
        return None
    return flow


def sign_in_start(request: HttpRequest, *, client_id: str, next_url: str) -> tuple[str, str]:
    """Push an authorization request for a front door. Returns the provider's authorization address to send
    the browser to, and the sealed flow for the FLOW_COOKIE (the provider may end the session on the way, when
    it asks the person to sign in again, so the flow cannot live in the session)."""
    door = FRONT_DOORS[client_id]
    client = actions.first_party_client_ensure(client_id=door.client_id, name=door.name)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": door.client_id,
        "redirect_uri": _callback_uri(request),
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": door.acr,
    }
    # The checks /oidc/par makes of any client's request, here without the HTTP hop to ourselves.
    grant = provider.get_authorization_grant(authorization_request(request, params))
    grant.validate_authorization_request()
    request_uri, _expires_in = actions.pushed_request_create(client=client, params=params)
    flow = {"client": door.client_id, "state": state, "nonce": nonce, "verifier": verifier, "next": next_url,
            "at": time.time()}
    authorize = reverse("oidc:authorize") + "?" + urlencode({"client_id": door.client_id, "request_uri": request_uri})
    return authorize, _seal(flow)


def _token_redeem(request: HttpRequest, *, flow: dict, code: str) -> dict:
    """The token request, made by calling the provider object rather than POSTing to /oidc/token: under a
    single-worker server the callback would hold the only worker while waiting for its own token request."""
    token_request = InProcessTokenRequest(
        request.build_absolute_uri(reverse("oidc:token")),
        {
            "grant_type": "authorization_code",
            "client_id": flow["client"],
            "code": code,
            "redirect_uri": _callback_uri(request),
            "code_verifier": flow["verifier"],
        },
    )
    response = provider.create_token_response(token_request)
    if response.status_code != 200:
        raise SignInRefused()
    return json.loads(response.content)


def id_token_verify(*, id_token: str, client_id: str, nonce: str, acr: str) -> dict:
    """Check an ID token as any relying party must: the signature against the provider's published keys, the
    issuer, the audience (this front door), expiry, the nonce of this flow, and at least the assurance asked."""
    try:
        keys = KeySet.import_key_set(queries.jwks_public())
        token = jwt.decode(id_token, keys, algorithms=list(actions.SIGNING_ALGS))
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer()},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
            acr={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignInRefused() from error
    if not acr_satisfies(token.claims["acr"], acr):
        raise SignInRefused()
    return token.claims


def sign_in_finish(request: HttpRequest, *, sealed_flow: str) -> SignedIn:
    """Complete the flow at the callback; raises SignInRefused unless every check passes."""
    flow = _unseal(sealed_flow)
    if flow is None or flow.get("client") not in FRONT_DOORS:
        raise SignInRefused()
    if not secrets.compare_digest(request.GET.get("state", ""), flow["state"]):
        raise SignInRefused()  # a callback this browser did not start (login CSRF) or a tampered one
    code = request.GET.get("code", "")
    if not code or "error" in request.GET:
        raise SignInRefused()
    try:
        tokens = _token_redeem(request, flow=flow, code=code)
    except OAuth2Error as error:
        raise SignInRefused() from error
    door = FRONT_DOORS[flow["client"]]
    claims = id_token_verify(id_token=tokens.get("id_token", ""), client_id=door.client_id, nonce=flow["nonce"],
                             acr=door.acr)
    access = queries.access_token_get(token=tokens.get("access_token", ""))
    client = queries.client_get(client_id=door.client_id)
    # The account is the one the pairwise subject names: the token's, cross-checked against the signed `sub`.
    if access is None or client is None or queries.pairwise_subject(client=client, account=access.account) != (
        claims["sub"]
    ):
        raise SignInRefused()
    # The front door never calls userinfo (it asked for no claims), so it keeps no usable access token.
    actions.access_token_revoke(token=access)
    return SignedIn(
        account=access.account,
        client_id=door.client_id,
        sub=claims["sub"],
        acr=claims["acr"],
        amr=list(claims.get("amr") or []),
        auth_time=int(claims.get("auth_time") or 0),
        id_token=tokens["id_token"],
        next_url=flow.get("next") or "",
    )


def front_door_establish(request: HttpRequest, *, signed_in: SignedIn) -> None:
    """Remember the sign-in in the front door's session, with a new session key (the session gains a privilege)."""
    request.session.cycle_key()
    doors = dict(request.session.get(FRONT_DOOR_SESSION) or {})
    doors[signed_in.client_id] = {
        "account": signed_in.account.pk,
        "sub": signed_in.sub,
        "acr": signed_in.acr,
        "amr": signed_in.amr,
        "auth_time": signed_in.auth_time,
        "id_token": signed_in.id_token,  # the id_token_hint for signing out at the provider
        "at": time.time(),
    }
    request.session[FRONT_DOOR_SESSION] = doors


def front_door_acr(request: HttpRequest, *, client_id: str) -> str | None:
    """The assurance the ID token gave this front door, if it signed in the account the session has now."""
    record = (request.session.get(FRONT_DOOR_SESSION) or {}).get(client_id)
    if not record or not request.user.is_authenticated or record.get("account") != request.user.pk:
        return None
    return record.get("acr")


def front_door_logout_url(request: HttpRequest) -> str | None:
    """RP-initiated logout at the provider for the most recent front-door sign-in, or None if there was none."""
    records = [(record.get("at", 0), client_id, record) for client_id, record in
               (request.session.get(FRONT_DOOR_SESSION) or {}).items()]
    if not records:
        return None
    _at, client_id, record = max(records)
    return reverse("oidc:logout") + "?" + urlencode({
        "id_token_hint": record["id_token"],
        "client_id": client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(FIRST_PARTY_SIGNED_OUT_PATH),
    })
