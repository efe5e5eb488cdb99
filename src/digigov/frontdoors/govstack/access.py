"""Who is calling a GovStack API, and the record of every call.

A calling system proves itself in one of three ways (docs/govstack.md):
- `Authorization: <API key>` — the specs' own `apiKey` scheme (the key of an agency's ApiClient);
- `Authorization: Bearer <token>` — an OAuth client-credentials token from DigiGov's provider, scope
  `govstack:<api>`;
- `Information-Mediator-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM` on a request from a configured Information
  Mediator address: the mediator (an X-Road style security server) has already authenticated the caller.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader

from digigov.blocks.identity import queries as identity_queries
from digigov.blocks.registries.queries import AccessContext
from digigov.platform.errors import NotPermitted

MEDIATOR_HEADER = "Information-Mediator-Client"


@dataclass(frozen=True)
class Caller:
    account: Any  # the calling system's own account (kind "system"): the actor of its writes and reads
    agency: Any
    client_id: int
    label: str
    via: str  # api_key / oauth / mediator
    mediator_client: str = ""
    # A sandbox system (client-add --sandbox) reaches synthetic people only; real people are "not found".
    sandbox: bool = False


def _from_mediator(request: HttpRequest) -> bool:
    return request.META.get("REMOTE_ADDR", "") in settings.DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES


class GovStackAuth(APIKeyHeader):
    """Ninja authentication for one GovStack API (`registries`, `registration` or `messaging`)."""

    param_name = "Authorization"

    def __init__(self, api: str) -> None:
        self.api = api
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        mediator_client = request.headers.get(MEDIATOR_HEADER, "").strip()
        scheme, _sep, token = (key or "").strip().partition(" ")
        if scheme.lower() == "bearer" and token:
            client = identity_queries.api_client_by_token(token=token.strip(), scope=f"govstack:{self.api}")
            via, label = "oauth", "oauth"
        elif key:
            client = identity_queries.api_client_by_key(key=key.strip().removeprefix("ApiKey ").strip())
            via, label = "api_key", "api-key"
        elif mediator_client and _from_mediator(request):
            client = identity_queries.api_client_by_mediator(mediator_client=mediator_client)
            via, label = "mediator", "mediator"
        else:
            return None
        if client is None:
            return None  # 401: unknown, revoked or expired credentials look the same
        caller = Caller(
            account=client.account,
            agency=client.account.agency,
            client_id=client.pk,
            label=f"{label}:{client.name}" if via != "mediator" else f"mediator:{mediator_client}",
            via=via,
            mediator_client=mediator_client,
            sandbox=client.is_sandbox,
        )
        request.govstack_caller = caller  # for the call record written once the response is known (refusals too)
        if self.api not in client.apis:
            raise NotPermitted(_("This system may not call the %(api)s API.") % {"api": self.api})
        return caller


def caller_context(caller: Caller, *, purpose: str, legal_basis: str = "", service_ref: str = "") -> AccessContext:
    """The ground for a calling system's read of a person's data, for the data-access record."""
    return AccessContext(
        accessor=caller.account,
        agency=caller.agency,
        purpose=purpose,
        service_ref=service_ref or caller.label,
        legal_basis=legal_basis or f"GovStack API call by {caller.label}",
        synthetic_only=caller.sandbox,
    )
