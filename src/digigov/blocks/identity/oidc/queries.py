"""Reads of the OpenID Connect provider, and the one path by which claims leave the registries for a client."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from joserfc.jwk import ECKey, RSAKey

from digigov.blocks.identity import business_queries
from digigov.blocks.identity.models import (
    Account,
    OidcAccessToken,
    OidcAuthorizationCode,
    OidcClient,
    OidcConsent,
    OidcPushedRequest,
    OidcSigningKey,
)
from digigov.blocks.identity.oidc.actions import (
    REQUEST_URI_PREFIX,
    SIGNING_KEY_CONTEXT,
    digest,
    sandbox_real_person_refuse,
)
from digigov.blocks.identity.oidc.claims import claim_value, claims_for_scopes
from digigov.blocks.registries import queries as registries
from digigov.platform.crypto import decrypt_text, pseudonym

PAIRWISE_CONTEXT = b"identity.oidc.pairwise_sub"


def client_get(*, client_id: str) -> OidcClient | None:
    if not isinstance(client_id, str):
        return None
    return OidcClient.objects.select_related("agency").filter(client_id=client_id, disabled_at__isnull=True).first()


def clients_for_agency(*, agency_id: int) -> QuerySet[OidcClient]:
    return OidcClient.objects.filter(agency_id=agency_id).order_by("client_id")


def signing_keys_published() -> QuerySet[OidcSigningKey]:
    """Keys in use, and retired keys whose tokens may still be presented."""
    return OidcSigningKey.objects.filter(Q(retired_at__isnull=True) | Q(published_until__gt=timezone.now())).order_by(
        "-created_at"
    )


def jwks_public() -> dict:
    return {"keys": [key.public_jwk for key in signing_keys_published()]}


def signing_key_current(*, alg: str) -> tuple[str, ECKey | RSAKey] | None:
    row = OidcSigningKey.objects.filter(alg=alg, retired_at__isnull=True).order_by("-created_at").first()
    if row is None:
        return None
    pem = decrypt_text(ciphertext=bytes(row.private_key_encrypted), context=SIGNING_KEY_CONTEXT)
    key_class = ECKey if alg == "ES256" else RSAKey
    return row.kid, key_class.import_key(pem)


def pushed_request_get(*, request_uri: str, client_id: str) -> OidcPushedRequest | None:
    """A pushed request that is unexpired, unused and was pushed by this same client."""
    if not isinstance(request_uri, str) or not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    handle = request_uri.removeprefix(REQUEST_URI_PREFIX)
    return (
        OidcPushedRequest.objects.select_related("client")
        .filter(
            handle_hash=digest(handle),
            client__client_id=client_id,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def nonce_used(*, client_id: str, nonce: str) -> bool:
    """Whether a code was already issued with this nonce: a replayed authentication request."""
    return OidcAuthorizationCode.objects.filter(client__client_id=client_id, nonce=nonce).exists()


def access_token_get(*, token: str) -> OidcAccessToken | None:
    """The unrevoked, unexpired access token with this value."""
    return (
        OidcAccessToken.objects.select_related("client__agency", "account")
        .filter(
            token_hash=digest(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def access_token_any(*, token: str) -> OidcAccessToken | None:
    """The token with this value whatever its state (revocation of an already dead token is not an error)."""
    return OidcAccessToken.objects.select_related("client").filter(token_hash=digest(token)).first()


def consent_current(*, account: Account, client: OidcClient) -> OidcConsent | None:
    return OidcConsent.objects.filter(account=account, client=client, revoked_at__isnull=True).first()


def consents_for_account(*, account: Account) -> QuerySet[OidcConsent]:
    """The apps that currently have access to this person's data, newest first."""
    return (
        OidcConsent.objects.select_related("client__agency")
        .filter(account=account, revoked_at__isnull=True)
        .order_by("-granted_at")
    )


def pairwise_subject(*, client: OidcClient, account: Account) -> str:
    """A subject id that differs per sector (OIDC Core 8.1): clients cannot join records on it."""
    return pseudonym(value=f"{client.sector_identifier}|{account.pk}", context=PAIRWISE_CONTEXT)


def claims_release(*, token: OidcAccessToken) -> dict[str, Any]:
    """The claims a token's scopes carry, read from the registries and recorded there as a release to the
    client's agency, for the client's purpose, on the person's consent. Nothing without a current consent."""
    account, client = token.account, token.client
    claims: dict[str, Any] = {"sub": pairwise_subject(client=client, account=account)}
    consent = consent_current(account=account, client=client)
    if consent is None or account.person_id is None:
        return claims
    if client.is_sandbox and not registries.person_is_synthetic(person_id=account.person_id):
        # Defence in depth behind the authorization step's refusal: a sandbox client never receives a real
        # person's data, whatever the token's history (say, the record turned out to be a real person's).
        sandbox_real_person_refuse(account=account, client=client, step="claims")
        return claims
    business = business_queries.oidc_business_claim_release(
        account=account, client=client, code_id=token.code_id, scopes=token.scope.split()
    )
    if business is not None:
        claims["business"] = business
    wanted = [c for c in claims_for_scopes(token.scope.split()) if _scope_of(c, consent.scopes)]
    if not wanted:
        return claims
    values = registries.person_attributes_get(
        person_id=account.person_id,
        elements=[c.element for c in wanted],
        access=registries.AccessContext(
            accessor=None,
            agency=client.agency,
            purpose=client.purpose,
            service_ref=f"oidc:{client.client_id}",
            consent_grant_id=consent.consent_grant_id,
        ),
    )
    for claim in wanted:
        value = claim_value(claim, values[claim.element].value)
        if value is not None:
            claims[claim.name] = value
    return claims


def _scope_of(claim: Any, consented_scopes: list[str]) -> bool:
    return any(claim in claims_for_scopes([scope]) for scope in consented_scopes)


def calling_system_account(*, client: OidcClient) -> Account | None:
    """The account of the agency system this OAuth client belongs to, if it is a calling system's client."""
    return (
        Account.objects.filter(api_client__oidc_client=client, api_client__revoked_at__isnull=True)
        .select_related("agency")
        .first()
    )
