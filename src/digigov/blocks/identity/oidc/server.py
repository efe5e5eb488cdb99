"""The provider's protocol engine: Authlib's authorization server, grants and endpoints, bound to our tables
through the identity block's actions and queries. Authlib does the checking the standards require (PKCE,
client assertions, nonce, redirect URIs, scopes, logout hints); this module says where things are stored."""

import datetime as dt
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.encoding import json_dumps
from authlib.integrations.django_oauth2.requests import DjangoJsonRequest, DjangoOAuth2Request
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from joserfc.jwk import KeySet

from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity import business_queries
from digigov.blocks.identity.oidc import actions, queries
from digigov.blocks.identity.oidc.claims import CALLING_SYSTEM_SCOPES, SCOPES_SUPPORTED

PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name)
# DigiGov's own front doors redeem their codes inside this process (first_party.py); no HTTP request can be one.
IN_PROCESS = "digigov_in_process"
FIRST_PARTY_CALLBACK_PATH = "/auth/callback/"
FIRST_PARTY_SIGNED_OUT_PATH = "/"
# Assertions valid for longer would make the replay store grow without bound; an hour is common client default.
ASSERTION_MAX_SECONDS = 60 * 60 + 60


def issuer() -> str:
    return settings.DIGIGOV_SITE_URL.rstrip("/")


def endpoint_url(name: str) -> str:
    return f"{issuer()}/oidc/{name}"


class RelyingParty(ClientMixin):
    """Authlib's view of an `OidcClient` row."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.id_token_signed_response_alg = row.id_token_alg

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.row.post_logout_redirect_uris}

    def own_address(self, uri: str, *, path: str) -> bool:
        """A first-party front door lives on the provider's own host, under whichever of the deployment's
        allowed host names the browser used (so its cookies come back); its addresses are fixed paths."""
        parts = urlsplit(uri)
        return (
            self.row.first_party
            and parts.scheme in ("http", "https")
            and parts.path == path
            and not (parts.query or parts.fragment)
            and validate_host(split_domain_port(parts.netloc)[0], settings.ALLOWED_HOSTS)
        )

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the redirect URI is always given and matched exactly

    @property
    def is_calling_system(self) -> bool:
        return queries.calling_system_account(client=self.row) is not None

    def get_allowed_scope(self, scope: str) -> str | None:
        asked = (scope or "").split()
        if not asked and self.is_calling_system:
            return " ".join(self.row.allowed_scopes)  # a system asking for nothing gets what it is allowed
        if not asked or not set(asked) <= set(self.row.allowed_scopes):
            return None  # invalid_scope: the client asked for something it was not registered for
        return " ".join(asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.row.first_party:
            return self.own_address(redirect_uri, path=FIRST_PARTY_CALLBACK_PATH)
        return redirect_uri in self.row.redirect_uris  # exact string match, no prefixes or wildcards

    def check_client_secret(self, client_secret: str) -> bool:
        if not (self.row.is_sandbox and self.row.client_secret_hash):
            return False
        return secrets.compare_digest(actions.digest(client_secret), self.row.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == IN_PROCESS:
            return self.row.first_party and endpoint == "token"
        if self.row.first_party:
            return False  # no credential exists for a front door: nothing to steal, nothing to present over HTTP
        if method == PRIVATE_KEY_JWT:
            return bool(self.row.jwks or self.row.jwks_uri)
        # Shared secrets only for sandbox clients, which see synthetic people.
        return method == CLIENT_SECRET_BASIC and self.row.is_sandbox

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        # Relying parties sign people in; calling systems (GovStack APIs) only get tokens for themselves.
        if grant_type == "client_credentials":
            return self.is_calling_system
        return grant_type == "authorization_code" and (bool(self.row.redirect_uris) or self.row.first_party)


class IssuedCode:
    """Authlib's view of an `OidcAuthorizationCode` row."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce or None

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return self.row.amr


class IssuedToken:
    """Authlib's view of an `OidcAccessToken` row, for revocation."""

    def __init__(self, row: Any) -> None:
        self.row = row

    def check_client(self, client: RelyingParty) -> bool:
        return self.row.client_id == client.row.pk


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def get_audiences(self) -> list[str]:
        return [issuer(), endpoint_url("token"), endpoint_url("par"), endpoint_url("revoke")]

    def verify_claims(self, claims: Any) -> None:
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp > time.time() + ASSERTION_MAX_SECONDS:
            raise InvalidClientError(description="The client assertion lives too long.")
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: str) -> bool:
        client = queries.client_get(client_id=claims["sub"])
        expires_at = dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
        return client is not None and actions.client_assertion_remember(
            client=client, jti=str(jti), expires_at=expires_at
        )

    def resolve_client_public_key(self, client: RelyingParty) -> KeySet:
        if client.row.jwks:
            return KeySet.import_key_set(client.row.jwks)
        # Outside any transaction: this is the token endpoint reading the client's published keys.
        response = httpx.get(client.row.jwks_uri, timeout=5)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())


class PkceS256(CodeChallenge):
    """PKCE is required of every client and only with S256 (a plain challenge protects nothing)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class InProcessTokenRequest(OAuth2Request):
    """A token request a first-party front door makes by calling the provider object, not over HTTP: a
    single-worker server would otherwise wait on itself (the callback request holding the only worker while
    it calls the token endpoint). It also spares the front doors a client secret that could leak: only code
    running in this process can build one, and `in_process_client` accepts nothing else."""

    def __init__(self, uri: str, params: dict[str, str]) -> None:
        super().__init__("POST", uri)
        self.payload = BasicOAuth2Payload(params)

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


def in_process_client(query_client: Any, request: OAuth2Request) -> RelyingParty | None:
    if not isinstance(request, InProcessTokenRequest):
        return None
    client = query_client(request.payload.client_id)
    return client if client is not None and client.row.first_party else None


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [IN_PROCESS, PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        row = actions.authorization_code_create(
            code=code,
            client=request.client.row,
            account=request.user,
            params=dict(request.payload.data),
            acr=request.digigov_acr,
            amr=request.digigov_amr,
            auth_time=request.digigov_auth_time,
            pushed_request_id=request.digigov_pushed_request_id,
        )
        if request.digigov_business_id is not None:  # the person acts for a business (docs/identity.md)
            business_actions.oidc_business_context_attach(code=row, business_id=request.digigov_business_id)

    def query_authorization_code(self, code: str, client: RelyingParty) -> IssuedCode | None:
        row = actions.authorization_code_redeem(code=code, client=client.row)
        return IssuedCode(row) if row else None

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        """Nothing to do: the code was marked used when it was redeemed, so a second use is detected."""

    def authenticate_user(self, authorization_code: IssuedCode) -> Any:
        return authorization_code.row.account


class ClientCredentials(ClientCredentialsGrant):
    """Tokens for an agency's calling system itself (docs/govstack.md), with the same client authentication."""

    TOKEN_ENDPOINT_AUTH_METHODS = [PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC]


class IdToken(OpenIDCode):
    def __init__(self) -> None:
        super().__init__(require_nonce=True)

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return queries.nonce_used(client_id=request.payload.client_id, nonce=nonce)

    def resolve_client_private_key(self, client: RelyingParty) -> Any:
        return self._signing_key(client)[1]

    def get_encode_header(self, client: RelyingParty) -> dict:
        return {"alg": client.row.id_token_alg, "kid": self._signing_key(client)[0], "typ": "JWT"}

    def get_client_claims(self, client: RelyingParty) -> dict:
        return {"iss": issuer(), "aud": client.row.client_id, "exp": int(time.time()) + actions.ID_TOKEN_SECONDS}

    def get_compatible_claims(self, request: OAuth2Request) -> dict:
        claims = super().get_compatible_claims(request)
        claims["sub"] = queries.pairwise_subject(client=request.client.row, account=request.user)
        # The business context identifies whom the person acts for, so it travels in the ID token too.
        business = business_queries.oidc_business_claim_release(
            account=request.user,
            client=request.client.row,
            code_id=request.authorization_code.row.pk,
            scopes=request.authorization_code.row.scope.split(),
        )
        if business is not None:
            claims["business"] = business
        return claims

    def generate_user_info(self, user: Any, scope: str) -> dict:
        # The ID token only identifies; claims about the person come from userinfo, where each release is
        # recorded against the person's consent.
        return {}

    @staticmethod
    def _signing_key(client: RelyingParty) -> tuple[str, Any]:
        alg = client.row.id_token_alg
        current = queries.signing_key_current(alg=alg)
        if current is None:  # the first sign-in after installation makes the first key
            actions.signing_key_rotate(actor=None, alg=alg)
            current = queries.signing_key_current(alg=alg)
        return current


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC]
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        row = queries.access_token_any(token=token_string)
        return IssuedToken(row) if row else None

    def revoke_token(self, token: IssuedToken, request: OAuth2Request) -> None:
        actions.access_token_revoke(token=token.row)


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self) -> dict:
        return queries.jwks_public()

    def end_session(self, end_session_request: Any) -> None:
        logout(end_session_request.request.django_request)

    def _is_valid_post_logout_redirect_uri(self, client: RelyingParty, post_logout_redirect_uri: str) -> bool:
        # Authlib's registered-address check (exact match), plus the front doors' home page on our own host.
        if client.row.first_party:
            return client.own_address(post_logout_redirect_uri, path=FIRST_PARTY_SIGNED_OUT_PATH)
        return super()._is_valid_post_logout_redirect_uri(client, post_logout_redirect_uri)


class Provider(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(scopes_supported=[*SCOPES_SUPPORTED, *CALLING_SYSTEM_SCOPES])
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_kwargs: secrets.token_urlsafe(32),
                expires_generator=lambda client, grant_type: actions.ACCESS_TOKEN_SECONDS,
            ),
        )
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt())
        self.register_client_auth_method(IN_PROCESS, in_process_client)
        self.register_grant(CodeGrant, [PkceS256(required=True), IdToken()])
        self.register_grant(ClientCredentials)
        self.register_endpoint(Revocation)
        self.register_endpoint(EndSession)

    def query_client(self, client_id: str) -> RelyingParty | None:
        row = queries.client_get(client_id=client_id)
        return RelyingParty(row) if row else None

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        if request.payload.grant_type == "client_credentials":
            actions.access_token_create(
                token=token["access_token"],
                client=request.client.row,
                account=queries.calling_system_account(client=request.client.row),
                code=None,
                scope=token.get("scope", ""),
                acr="",
                expires_in=token["expires_in"],
            )
            return
        code = request.authorization_code
        actions.access_token_create(
            token=token["access_token"],
            client=request.client.row,
            account=request.user,
            code=code.row,
            scope=token["scope"],
            acr=code.row.acr,
            expires_in=token["expires_in"],
        )

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners: what matters is audited by the actions themselves."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        oauth_request = DjangoOAuth2Request(request)
        oauth_request.django_request = request
        return oauth_request

    def create_json_request(self, request: HttpRequest) -> DjangoJsonRequest:
        return DjangoJsonRequest(request)

    def handle_response(self, status_code: int, payload: Any, headers: list) -> HttpResponse:
        if isinstance(payload, dict):
            payload = json_dumps(payload)
        response = HttpResponse(payload, status=status_code)
        for name, value in headers:
            response[name] = value
        return response


def authorization_request(request: HttpRequest, params: dict[str, str]) -> OAuth2Request:
    """An authorization request made of `params` (a pushed request's), not of the browser's query string."""
    oauth_request = OAuth2Request("GET", request.build_absolute_uri(), headers=request.headers)
    oauth_request.payload = BasicOAuth2Payload(params)
    oauth_request.django_request = request
    return oauth_request


provider = Provider()
