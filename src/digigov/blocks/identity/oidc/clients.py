"""Service owners' changes to a registered relying party: editing its registration, disabling and enabling it.
Registration itself is `actions.client_register`; these are the later changes, each audited in its transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity.models import OidcAccessToken, OidcClient, OidcConsent, OidcPushedRequest
from digigov.blocks.identity.oidc.actions import registration_problems
from digigov.blocks.identity.queries import officer_roles
from digigov.platform.errors import NotFound, ValidationFailed

EDITABLE = ("name", "purpose", "redirect_uris", "post_logout_redirect_uris", "allowed_scopes", "jwks", "jwks_uri")


def _owned_client(*, actor: Any, client_id: str) -> OidcClient:
    """The client, locked, if the actor is a service owner of the agency answerable for it. One error for a
    client that does not exist and one of another agency, so officers learn nothing of others' clients."""
    if actor is None or actor.kind != "officer" or "service_owner" not in officer_roles(account=actor):
        raise NotFound()
    client = OidcClient.objects.select_for_update().filter(client_id=client_id, agency_id=actor.agency_id).first()
    if client is None:
        raise NotFound()
    return client


def _tokens_end(client: OidcClient) -> int:
    """Tokens and pushed requests stop at once: userinfo and the authorization endpoint check them each time."""
    now = timezone.now()
    OidcPushedRequest.objects.filter(client=client, used_at__isnull=True).update(used_at=now)
    return OidcAccessToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)


@transaction.atomic
def client_update(
    *,
    actor: Any,
    client_id: str,
    name: str,
    purpose: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    scopes: list[str],
    jwks: dict | None,
    jwks_uri: str,
) -> OidcClient:
    """Change a relying party's registration. Narrowing what it may receive (scopes, redirect URIs) or changing
    its keys also ends its current tokens and pending requests, so nothing is released under the old
    registration; changing its purpose also ends people's standing consents, so each is asked again."""
    client = _owned_client(actor=actor, client_id=client_id)
    errors = registration_problems(
        purpose=purpose,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        scopes=scopes,
        jwks=jwks,
        jwks_uri=jwks_uri,
        sandbox=client.is_sandbox,
    )
    if errors:
        raise ValidationFailed(fields=errors)
    narrowed = not (set(scopes) >= set(client.allowed_scopes) and set(redirect_uris) >= set(client.redirect_uris))
    new = {
        "name": name or client.name,
        "purpose": purpose,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris,
        "allowed_scopes": scopes,
        "jwks": jwks,
        "jwks_uri": jwks_uri,
    }
    changed = sorted(field for field in EDITABLE if getattr(client, field) != new[field])
    for field, value in new.items():
        setattr(client, field, value)
    client.save(update_fields=list(EDITABLE))
    # People agreed to a purpose: a new one needs their agreement again. New keys may answer a compromise: the
    # tokens issued to whoever held the old ones end too.
    reagree = "purpose" in changed
    ended = _tokens_end(client) if narrowed or reagree or {"jwks", "jwks_uri"} & set(changed) else 0
    consents_ended = (
        OidcConsent.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if reagree
        else 0
    )
    entry_record(
        actor=actor,
        action="identity:oidc:client:update",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"changed": changed, "scopes": scopes, "tokens_revoked": ended, "consents_ended": consents_ended},
    )
    return client


@transaction.atomic
def client_disable(*, actor: Any, client_id: str) -> OidcClient:
    """Stop a relying party: no new sign-ins (it is no longer found by the endpoints) and no use of its
    tokens, from this moment."""
    client = _owned_client(actor=actor, client_id=client_id)
    if client.disabled_at is not None:
        return client
    client.disabled_at = timezone.now()
    client.save(update_fields=["disabled_at"])
    ended = _tokens_end(client)
    entry_record(
        actor=actor,
        action="identity:oidc:client:disable",
        object_type="oidc_client",
        object_id=client.client_id,
        detail={"tokens_revoked": ended},
    )
    return client


@transaction.atomic
def client_enable(*, actor: Any, client_id: str) -> OidcClient:
    """Let a disabled relying party sign people in again; tokens ended by disabling stay ended."""
    client = _owned_client(actor=actor, client_id=client_id)
    if client.disabled_at is None:
        return client
    client.disabled_at = None
    client.save(update_fields=["disabled_at"])
    entry_record(actor=actor, action="identity:oidc:client:enable", object_type="oidc_client", object_id=client_id)
    return client
