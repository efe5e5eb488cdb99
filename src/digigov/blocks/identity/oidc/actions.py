"""Every write of the OpenID Connect provider: clients, signing keys, pushed requests, codes, tokens, consents."""

import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc.jwk import ECKey, KeySet, RSAKey

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.consent import actions as consent_actions
from digigov.blocks.identity.models import (
    Account,
    OidcAccessToken,
    OidcAuthorizationCode,
    OidcClient,
    OidcClientAssertion,
    OidcConsent,
    OidcPushedRequest,
    OidcSigningKey,
)
from digigov.blocks.identity.oidc.claims import SCOPES_SUPPORTED, claims_for_scopes
from digigov.platform.crypto import encrypt_text
from digigov.platform.errors import NotFound, ValidationFailed

SIGNING_KEY_CONTEXT = b"identity.oidc.signing_key"
ID_TOKEN_SECONDS = 60 * 60
ACCESS_TOKEN_SECONDS = 60 * 60
CODE_SECONDS = 60
# A pushed request must survive the person signing in (and maybe enrolling a second factor) on the way.
PUSHED_REQUEST_SECONDS = 10 * 60
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
FIRST_PARTY_PREFIX = "digigov-"
SIGNING_ALGS = ("ES256", "RS256")


def digest(value: str) -> str:
    """Codes, tokens and request handles are stored only as hashes: a database copy lets no one use them."""
    return hashlib.sha256(value.encode()).hexdigest()


# --- signing keys ----------------------------------------------------------------------------------------------


def _key_generate(alg: str) -> ECKey | RSAKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    return RSAKey.generate_key(2048, private=True)


@transaction.atomic
def signing_key_rotate(*, actor: Any, alg: str = "ES256") -> OidcSigningKey:
    """Start signing with a new key. The keys it replaces stay in the JWKS until the last ID token and
    client-held `id_token_hint` they signed could still be presented for verification."""
    if alg not in SIGNING_ALGS:
        raise ValidationFailed(fields={"alg": _("Choose ES256 or RS256.")})
    key = _key_generate(alg)
    kid = key.thumbprint()
    public = key.as_dict(private=False) | {"kid": kid, "alg": alg, "use": "sig"}
    now = timezone.now()
    retired = OidcSigningKey.objects.select_for_update().filter(alg=alg, retired_at__isnull=True)
    for old in retired:
        old.retired_at = now
        old.published_until = now + dt.timedelta(seconds=ID_TOKEN_SECONDS)
        old.save(update_fields=["retired_at", "published_until"])
    signing_key = OidcSigningKey.objects.create(
        kid=kid,
        alg=alg,
        public_jwk=public,
        private_key_encrypted=encrypt_text(plaintext=key.as_pem(private=True).decode(), context=SIGNING_KEY_CONTEXT),
    )
    entry_record(
        actor=actor,
        action="identity:oidc:signing-key:rotate",
        object_type="oidc_signing_key",
        object_id=kid,
        detail={"alg": alg, "retired": [k.kid for k in retired]},
    )
    return signing_key


# --- clients ---------------------------------------------------------------------------------------------------


def _redirect_uri_problem(uri: str, *, sandbox: bool) -> str | None:
    parts = urlsplit(uri)
    if parts.fragment or not parts.netloc:
        return _("Give an absolute address without a fragment: %(uri)s") % {"uri": uri}
    local = parts.hostname in ("localhost", "127.0.0.1")
    if parts.scheme != "https" and not (parts.scheme == "http" and (local or sandbox)):
        return _("Use https (http only for local or sandbox clients): %(uri)s") % {"uri": uri}
    return None


def _jwks_problem(jwks: dict | None) -> str:
    if jwks is None:
        return ""
    try:
        KeySet.import_key_set(jwks)
    except (ValueError, KeyError, TypeError):
        return _("The JWKS is not a valid set of public keys.")
    return ""


def registration_problems(
    *,
    purpose: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    scopes: list[str],
    jwks: dict | None,
    jwks_uri: str,
    sandbox: bool,
) -> dict[str, str]:
    """What is wrong with a relying party's registration, field by field: at registration and at every edit."""
    errors: dict[str, str] = {}
    if not purpose.strip():
        errors["purpose"] = _("Say what the service uses people's data for; people see it before they agree.")
    if not redirect_uris:
        errors["redirect_uris"] = _("Give at least one redirect URI.")
    for uri in [*redirect_uris, *post_logout_redirect_uris]:
        if problem := _redirect_uri_problem(uri, sandbox=sandbox):
            errors["redirect_uris"] = problem
    if set(scopes) - set(SCOPES_SUPPORTED) or "openid" not in scopes:
        errors["scopes"] = _("Scopes must include openid and come from: %(scopes)s") % {
            "scopes": ", ".join(SCOPES_SUPPORTED)
        }
    if problem := _jwks_problem(jwks):
        errors["jwks"] = problem
    if not sandbox and not (jwks or jwks_uri):
        errors["jwks"] = _("Give the client's public keys (JWKS or JWKS URI): it signs in with private_key_jwt.")
    return errors


@transaction.atomic
def client_register(
    *,
    actor: Any,
    client_id: str,
    name: str,
    agency: Any,
    purpose: str,
    redirect_uris: list[str],
    scopes: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    jwks: dict | None = None,
    jwks_uri: str = "",
    sector_identifier: str = "",
    id_token_alg: str = "ES256",  # noqa: S107 (an algorithm name, not a secret)
    is_sandbox: bool = False,
) -> tuple[OidcClient, str | None]:
    """Register a relying party. Returns the client and, for sandbox clients only, its one-time-shown secret."""
    errors: dict[str, str] = {}
    taken = OidcClient.objects.filter(client_id=client_id).exists()
    # "digigov-" names DigiGov's own front doors, which register themselves (first_party_client_ensure).
    if not client_id.strip() or taken or client_id.startswith(FIRST_PARTY_PREFIX):
        errors["client_id"] = _("Choose a client id that is not taken.")
    errors |= registration_problems(
        purpose=purpose,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris or [],
        scopes=scopes,
        jwks=jwks,
        jwks_uri=jwks_uri,
        sandbox=is_sandbox,
    )
    if id_token_alg not in SIGNING_ALGS:
        errors["id_token_alg"] = _("Choose ES256 or RS256.")
    if errors:
        raise ValidationFailed(fields=errors)
    secret = secrets.token_urlsafe(32) if is_sandbox else None
    client = OidcClient.objects.create(
        client_id=client_id,
        name=name or client_id,
        agency=agency,
        purpose=purpose,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris or [],
        allowed_scopes=scopes,
        jwks=jwks,
        jwks_uri=jwks_uri,
        sector_identifier=sector_identifier or urlsplit(redirect_uris[0]).hostname or client_id,
        id_token_alg=id_token_alg,
        is_sandbox=is_sandbox,
        client_secret_hash=digest(secret) if secret else "",
    )
    entry_record(
        actor=actor,
        action="identity:oidc:client:register",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"scopes": scopes, "sandbox": is_sandbox},
    )
    return client, secret


@transaction.atomic
def client_credentials_client_create(
    *, actor: Any, client_id: str, agency: Any, scopes: list[str], jwks: dict
) -> OidcClient:
    """The OAuth side of a calling system (identity.actions.api_client_create): it gets tokens for itself by
    client credentials with private_key_jwt, never signs people in, so it has no redirect URIs."""
    if problem := _jwks_problem(jwks):
        raise ValidationFailed(fields={"jwks": problem})
    if OidcClient.objects.filter(client_id=client_id).exists():
        raise ValidationFailed(fields={"name": _("Choose a client id that is not taken.")})
    client = OidcClient.objects.create(
        client_id=client_id,
        name=client_id,
        agency=agency,
        purpose=_("A system of %(agency)s calling the platform's APIs.") % {"agency": agency.name},
        allowed_scopes=scopes,
        jwks=jwks,
        sector_identifier=client_id,
    )
    entry_record(
        actor=actor,
        action="identity:oidc:client:register",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"scopes": scopes, "grant": "client_credentials"},
    )
    return client


@transaction.atomic
def first_party_client_ensure(*, client_id: str, name: str) -> OidcClient:
    """Register one of DigiGov's own front doors as a relying party, once (idempotent: every sign-in may call it).

    The decision recorded with it: no consent screen, because the person is using DigiGov itself and nothing is
    released to anyone. The client may ask for `openid` only, so its ID token carries who signed in and how
    (sub, acr, amr) and userinfo has no claim to give it; a consent screen would have nothing to list. It has no
    agency (no service owner can change or disable it) and no credential: its code is redeemed in-process."""
    if not client_id.startswith(FIRST_PARTY_PREFIX):
        raise ValidationFailed(fields={"client_id": _("DigiGov's own clients are named digigov-…")})
    client, created = OidcClient.objects.select_for_update().get_or_create(
        client_id=client_id,
        defaults={
            "name": name,
            "agency": None,
            "purpose": _("Signing you in to DigiGov itself. Nothing about you is shared with anyone."),
            "allowed_scopes": ["openid"],
            "sector_identifier": "digigov",  # the front doors are one service: one subject per person
            "first_party": True,
        },
    )
    if created:
        entry_record(
            actor=None,
            action="identity:oidc:client:register",
            object_type="oidc_client",
            object_id=client_id,
            detail={"first_party": True, "scopes": ["openid"], "consent": "not asked: openid only, nothing released"},
        )
    return client


# --- the authorization flow ------------------------------------------------------------------------------------


@transaction.atomic
def pushed_request_create(*, client: OidcClient, params: dict[str, str]) -> tuple[str, int]:
    """Store a pushed authorization request; returns its request_uri and lifetime in seconds."""
    handle = secrets.token_urlsafe(32)
    OidcPushedRequest.objects.create(
        handle_hash=digest(handle),
        client=client,
        params=params,
        expires_at=timezone.now() + dt.timedelta(seconds=PUSHED_REQUEST_SECONDS),
    )
    return REQUEST_URI_PREFIX + handle, PUSHED_REQUEST_SECONDS


@transaction.atomic
def authorization_code_create(
    *,
    code: str,
    client: OidcClient,
    account: Account,
    params: dict[str, str],
    acr: str,
    amr: list[str],
    auth_time: int,
    pushed_request_id: int | None,
) -> OidcAuthorizationCode:
    row = OidcAuthorizationCode.objects.create(
        code_hash=digest(code),
        client=client,
        account=account,
        redirect_uri=params["redirect_uri"],
        scope=params["scope"],
        nonce=params.get("nonce") or "",
        code_challenge=params["code_challenge"],
        code_challenge_method=params.get("code_challenge_method") or "S256",
        acr=acr,
        amr=amr,
        auth_time=auth_time,
        expires_at=timezone.now() + dt.timedelta(seconds=CODE_SECONDS),
    )
    if pushed_request_id is not None:
        # A request_uri authorises one sign-in only.
        OidcPushedRequest.objects.filter(pk=pushed_request_id).update(used_at=timezone.now())
    entry_record(
        actor=account,
        action="identity:oidc:code:issue",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"scope": row.scope, "acr": acr},
    )
    return row


@transaction.atomic
def authorization_code_redeem(*, code: str, client: OidcClient) -> OidcAuthorizationCode | None:
    """Claim a code for one token request. A second use finds nothing and revokes what the first one got
    (RFC 6749 10.5): a code used twice has leaked."""
    row = (
        OidcAuthorizationCode.objects.select_for_update()
        .select_related("account", "client")
        .filter(code_hash=digest(code), client=client)
        .first()
    )
    if row is None:
        return None
    if row.used_at is not None:
        revoked = OidcAccessToken.objects.filter(code=row, revoked_at__isnull=True).update(revoked_at=timezone.now())
        entry_record(
            actor=None,
            action="identity:oidc:code:reused",
            object_type="oidc_client",
            object_id=client.client_id,
            detail={"tokens_revoked": revoked},
        )
        return None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    if row.expires_at <= row.used_at:
        return None
    return row


@transaction.atomic
def client_assertion_remember(*, client: OidcClient, jti: str, expires_at: dt.datetime) -> bool:
    """Remember a client assertion's id; False when it was seen before (a replay)."""
    OidcClientAssertion.objects.filter(expires_at__lt=timezone.now() - dt.timedelta(minutes=5)).delete()
    _row, created = OidcClientAssertion.objects.get_or_create(
        client=client, jti=jti[:255], defaults={"expires_at": expires_at}
    )
    return created


@transaction.atomic
def access_token_create(
    *,
    token: str,
    client: OidcClient,
    account: Account,
    code: OidcAuthorizationCode | None,
    scope: str,
    acr: str,
    expires_in: int,
) -> OidcAccessToken:
    row = OidcAccessToken.objects.create(
        token_hash=digest(token),
        client=client,
        account=account,
        code=code,
        scope=scope,
        acr=acr,
        expires_at=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    entry_record(
        actor=account,
        action="identity:oidc:token:issue",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"scope": scope},
    )
    return row


@transaction.atomic
def access_token_revoke(*, token: OidcAccessToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        entry_record(
            actor=None, action="identity:oidc:token:revoke", object_type="oidc_client", object_id=token.client.client_id
        )


# --- consent ---------------------------------------------------------------------------------------------------


@transaction.atomic
def client_consent_give(*, account: Account, client: OidcClient, scopes: list[str]) -> OidcConsent:
    """The person agrees to share these scopes' claims with the client; remembered until they revoke it."""
    elements = [claim.element for claim in claims_for_scopes(scopes)]
    grant = consent_actions.consent_decide(
        account=account,
        requester_agency=client.agency,
        purpose_ref=f"oidc:{client.client_id}",
        purpose=client.purpose,
        elements=elements,
        granted=True,
    )
    OidcConsent.objects.filter(account=account, client=client, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    consent = OidcConsent.objects.create(account=account, client=client, scopes=scopes, consent_grant_id=grant.pk)
    entry_record(
        actor=account,
        action="identity:oidc:consent:give",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"scopes": scopes},
    )
    return consent


@transaction.atomic
def client_consent_revoke(*, account: Account, consent_id: int) -> OidcConsent:
    """Withdraw a client's access: the standing consent ends and every token it holds stops working."""
    consent = (
        OidcConsent.objects.select_for_update()
        .select_related("client")
        .filter(pk=consent_id, account=account, revoked_at__isnull=True)
        .first()
    )
    if consent is None:
        raise NotFound()
    now = timezone.now()
    consent.revoked_at = now
    consent.save(update_fields=["revoked_at"])
    consent_actions.consent_withdraw(account=account, grant_id=consent.consent_grant_id)
    OidcAccessToken.objects.filter(account=account, client=consent.client, revoked_at__isnull=True).update(
        revoked_at=now
    )
    entry_record(
        actor=account,
        action="identity:oidc:consent:revoke",
        object_type="oidc_client",
        object_id=consent.client.client_id,
    )
    return consent


@transaction.atomic
def sandbox_real_person_refuse(
    *, account: Account, client: OidcClient, step: str, pushed_request_id: int | None = None
) -> None:
    """Record that a sandbox client was refused a real person (`step`: "authorize" or "claims"). At the
    authorization step the pushed request is spent too: the service is answered access_denied and starts again."""
    if pushed_request_id is not None:
        OidcPushedRequest.objects.filter(pk=pushed_request_id).update(used_at=timezone.now())
    entry_record(
        actor=account,
        action="identity:oidc:sandbox:refuse",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"step": step},
    )
