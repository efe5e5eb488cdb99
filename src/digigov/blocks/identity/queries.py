import hashlib
import hmac
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db.models import QuerySet

from digigov.blocks.identity.models import Account, ApiCall, ApiClient, OfficerRole, Passkey, SignedInSession
from digigov.blocks.identity.oidc.queries import access_token_get
from digigov.platform.crypto import decrypt_text

API_KEY_PREFIX = "dg"


def api_key_digest(secret: str) -> str:
    """API keys are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(secret.encode()).hexdigest()


def officer_roles(*, account: Account) -> set[str]:
    if account.kind not in {"officer", "system"}:
        return set()
    return set(OfficerRole.objects.filter(account=account).values_list("role", flat=True))


def account_for_person(*, person_id: int) -> Account | None:
    return Account.objects.filter(person_id=person_id).first()


def api_client_by_key(*, key: str) -> ApiClient | None:
    """The unrevoked calling system whose API key this is (`dg_<prefix>_<secret>`)."""
    parts = key.split("_", 2) if isinstance(key, str) else []
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    client = (
        ApiClient.objects.select_related("account__agency")
        .filter(key_prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if client is None or not hmac.compare_digest(client.key_hash, api_key_digest(parts[2])):
        return None
    return client


def api_client_by_mediator(*, mediator_client: str) -> ApiClient | None:
    if not mediator_client:
        return None
    return (
        ApiClient.objects.select_related("account__agency")
        .filter(mediator_client=mediator_client, revoked_at__isnull=True)
        .first()
    )


def api_client_by_token(*, token: str, scope: str) -> ApiClient | None:
    """The calling system a valid client-credentials access token with `scope` was issued to."""
    access_token = access_token_get(token=token)
    if access_token is None or scope not in access_token.scope.split():
        return None
    return (
        ApiClient.objects.select_related("account__agency")
        .filter(oidc_client_id=access_token.client_id, revoked_at__isnull=True)
        .first()
    )


def api_calls_for_client(*, client: ApiClient) -> QuerySet[ApiCall]:
    return ApiCall.objects.filter(client=client).order_by("-at", "-id")


def api_client_by_name(*, name: str) -> ApiClient | None:
    return ApiClient.objects.select_related("account__agency").filter(name=name, revoked_at__isnull=True).first()


# --- Passkeys and signed-in sessions -----------------------------------------------------------------------------


def passkeys_for_account(*, account: Account) -> QuerySet[Passkey]:
    return Passkey.objects.filter(account=account).order_by("created_at", "id")


def passkey_credentials(*, account: Account) -> list[tuple[str, list[str]]]:
    """(credential id, transports) of the account's passkeys: what a browser is told to look for."""
    return [(p.credential_id, p.transports) for p in passkeys_for_account(account=account)]


def has_passkeys(*, account: Account) -> bool:
    return Passkey.objects.filter(account=account).exists()


SESSION_KEY_CONTEXT = b"identity.session_key"


def session_key_digest(session_key: str) -> str:
    """Session keys are random bearer secrets: a lookup column keeps only their hash."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def _session_alive(record: SignedInSession) -> bool:
    session_key = decrypt_text(ciphertext=bytes(record.session_key_encrypted), context=SESSION_KEY_CONTEXT)
    return SESSION_KEY in import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()


def signed_in_sessions(*, account: Account) -> list[SignedInSession]:
    """The account's sessions that are still open (not signed out, ended or expired), most recently used first."""
    records = SignedInSession.objects.filter(account=account, ended_at__isnull=True).order_by("-last_seen_at", "-id")
    return [record for record in records if _session_alive(record)]


def signed_in_session_get(*, record_id: int, account: Account) -> SignedInSession | None:
    return SignedInSession.objects.filter(pk=record_id, account=account).first()
