import datetime as dt
import hashlib
import ipaddress
import re
import secrets
from importlib import import_module
from typing import Any

import pyotp
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn.helpers import bytes_to_base64url

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity import passkeys
from digigov.blocks.identity.errors import PasskeyRejected
from digigov.blocks.identity.models import (
    Account,
    AccountKind,
    ApiCall,
    ApiClient,
    OfficerRole,
    OidcAccessToken,
    OidcAuthorizationCode,
    OidcClientAssertion,
    OidcPushedRequest,
    Passkey,
    SignedInSession,
    UnlockToken,
)
from digigov.blocks.identity.queries import API_KEY_PREFIX, SESSION_KEY_CONTEXT, api_key_digest, session_key_digest
from digigov.platform.crypto import decrypt_text, encrypt_text
from digigov.platform.errors import NotFound, ValidationFailed

TOTP_CONTEXT = b"identity.totp_secret"
TOTP_ISSUER = "DigiGov"
slug_re = re.compile(r"[a-z0-9][a-z0-9-]{1,78}")


def totp_secret_of(*, account: Account) -> str | None:
    if not account.totp_secret_encrypted:
        return None
    return decrypt_text(ciphertext=account.totp_secret_encrypted, context=TOTP_CONTEXT)


def totp_provisioning_uri(*, account: Account) -> str:
    secret = totp_secret_of(account=account)
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=TOTP_ISSUER)


@transaction.atomic
def totp_enrolment_begin(*, account: Account, secret: str | None = None) -> str:
    """Give the account a new, unconfirmed TOTP secret (shown once as a QR code and as text)."""
    secret = secret or pyotp.random_base32()
    account.totp_secret_encrypted = encrypt_text(plaintext=secret, context=TOTP_CONTEXT)
    account.totp_confirmed_at = None
    account.totp_last_counter = 0
    account.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at", "totp_last_counter"])
    entry_record(actor=account, action="identity:totp:begin", object_type="account", object_id=account.pk)
    return secret


def _totp_counter_matching(*, secret: str, code: str, at: dt.datetime) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):  # one step either side for clock skew
        moment = at + dt.timedelta(seconds=drift * totp.interval)
        if totp.verify(code, for_time=moment, valid_window=0):
            return totp.timecode(moment)
    return None


@transaction.atomic
def totp_verify(*, account: Account, code: str, at: dt.datetime | None = None) -> bool:
    """Check a second-factor code. A code is accepted once: replaying it inside its window fails."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    secret = totp_secret_of(account=account)
    if secret is None:
        return False
    counter = _totp_counter_matching(secret=secret, code=code, at=at or timezone.now())
    if counter is None or counter <= account.totp_last_counter:
        entry_record(actor=account, action="identity:totp:fail", object_type="account", object_id=account.pk)
        return False
    account.totp_last_counter = counter
    fields = ["totp_last_counter"]
    if account.totp_confirmed_at is None:
        account.totp_confirmed_at = timezone.now()
        fields.append("totp_confirmed_at")
    account.save(update_fields=fields)
    entry_record(actor=account, action="identity:totp:pass", object_type="account", object_id=account.pk)
    return True


@transaction.atomic
def person_account_create(*, person_id: int, password: str, email: str = "") -> Account:
    account = Account(username=f"person-{person_id}", kind="person", person_id=person_id, email=email)
    account.set_password(password)
    account.save()
    entry_record(actor=None, action="identity:account:create", object_type="account", object_id=account.pk)
    return account


@transaction.atomic
def officer_create(
    *, username: str, full_name: str, agency: Any, roles: list[str], password: str, email: str = ""
) -> Account:
    if Account.objects.filter(username=username).exists():
        raise ValidationFailed(fields={"username": "This username is taken."})
    first, _, last = full_name.partition(" ")
    account = Account(
        username=username, kind="officer", agency=agency, first_name=first, last_name=last, email=email,
        is_staff=False,
    )
    account.set_password(password)
    account.save()
    OfficerRole.objects.bulk_create([OfficerRole(account=account, role=r) for r in roles])
    entry_record(actor=None, action="identity:officer:create", object_type="account", object_id=account.pk)
    return account


# --- Calling systems (GovStack APIs, docs/govstack.md) -----------------------------------------------------------

API_NAMES = ("registries", "registration", "messaging")
@transaction.atomic
def api_client_create(
    *,
    actor: Any,
    name: str,
    agency: Any,
    apis: list[str],
    roles: list[str] | None = None,
    mediator_client: str = "",
    oidc_jwks: dict | None = None,
    is_sandbox: bool = False,
) -> tuple[ApiClient, str]:
    """Register an agency's calling system. Returns the client and its API key, which is shown only once.

    With `oidc_jwks` the system may also get tokens by OAuth client credentials, authenticating with
    private_key_jwt as the client id `name`; its scopes are `govstack:<api>` for each allowed API."""
    from digigov.blocks.identity.oidc.actions import client_credentials_client_create

    errors: dict[str, str] = {}
    if not slug_re.fullmatch(name or "") or Account.objects.filter(username=f"system-{name}").exists():
        errors["name"] = _("Choose a name of letters, digits and hyphens that is not taken.")
    if not apis or set(apis) - set(API_NAMES):
        errors["apis"] = _("Choose APIs from: %(apis)s") % {"apis": ", ".join(API_NAMES)}
    if set(roles or []) - set(OfficerRole.Role.values):
        errors["roles"] = _("Choose roles from: %(roles)s") % {"roles": ", ".join(OfficerRole.Role.values)}
    if mediator_client and (
        mediator_client.count("/") != 3 or ApiClient.objects.filter(mediator_client=mediator_client).exists()
    ):
        errors["mediator_client"] = _("Give an unused identifier of the form INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    if errors:
        raise ValidationFailed(fields=errors)
    account = Account(username=f"system-{name}", kind=AccountKind.SYSTEM, agency=agency, first_name=name)
    account.set_unusable_password()  # a system never signs in to pages
    account.save()
    OfficerRole.objects.bulk_create([OfficerRole(account=account, role=role) for role in roles or []])
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    oidc_client = None
    if oidc_jwks is not None:
        oidc_client = client_credentials_client_create(
            actor=actor, client_id=name, agency=agency, scopes=[f"govstack:{api}" for api in apis], jwks=oidc_jwks
        )
    client = ApiClient.objects.create(
        account=account,
        name=name,
        apis=list(dict.fromkeys(apis)),
        key_prefix=prefix,
        key_hash=api_key_digest(secret),
        mediator_client=mediator_client,
        oidc_client=oidc_client,
        is_sandbox=is_sandbox,
    )
    entry_record(
        actor=actor,
        action="identity:api_client:create",
        object_type="api_client",
        object_id=client.pk,
        detail={
            "name": name, "agency": agency.code, "apis": client.apis, "roles": sorted(roles or []),
            "sandbox": is_sandbox,
        },
    )
    return client, f"{API_KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_client_revoke(*, actor: Any, client: ApiClient) -> ApiClient:
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    entry_record(actor=actor, action="identity:api_client:revoke", object_type="api_client", object_id=client.pk)
    return client


def api_call_record(
    *, client_id: int, via: str, mediator_client: str, method: str, path: str, status: int, request_id: str
) -> None:
    """One row per call: operational evidence of which system called what (personal-data reads are recorded
    separately, as access records, by the block that read)."""
    ApiCall.objects.create(
        client_id=client_id,
        via=via,
        mediator_client=mediator_client[:200],
        method=method[:10],
        path=path[:500],
        status=status,
        request_id=request_id,
    )


# --- Passkeys (WebAuthn) -----------------------------------------------------------------------------------------


def _own_passkey(*, account: Account, passkey_id: int) -> Passkey:
    passkey = Passkey.objects.select_for_update().filter(pk=passkey_id, account=account).first()
    if passkey is None:
        raise NotFound()
    return passkey


def _passkey_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise ValidationFailed(fields={"name": _("Enter a name of up to 60 characters, like “Work laptop”")})
    return name


@transaction.atomic
def passkey_register(*, account: Account, credential: Any, challenge: bytes, name: str = "") -> Passkey:
    """Keep a new passkey for the account, after checking the authenticator's answer to `challenge`."""
    new = passkeys.registration_check(credential=credential, challenge=challenge)
    if Passkey.objects.filter(credential_id=new.credential_id).exists():
        raise PasskeyRejected(_("This passkey is already added."))
    passkey = Passkey.objects.create(
        account=account,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        name=_passkey_name(name) if (name or "").strip() else _("Passkey"),
        aaguid=new.aaguid,
        backed_up=new.backed_up,
    )
    entry_record(
        actor=account, action="identity:passkey:register", object_type="passkey", object_id=passkey.pk,
        detail={"aaguid": new.aaguid, "backed_up": new.backed_up},
    )
    return passkey


@transaction.atomic
def passkey_rename(*, account: Account, passkey_id: int, name: str) -> Passkey:
    passkey = _own_passkey(account=account, passkey_id=passkey_id)
    passkey.name = _passkey_name(name)
    passkey.save(update_fields=["name"])
    entry_record(actor=account, action="identity:passkey:rename", object_type="passkey", object_id=passkey.pk)
    return passkey


@transaction.atomic
def passkey_remove(*, account: Account, passkey_id: int) -> None:
    passkey = _own_passkey(account=account, passkey_id=passkey_id)
    entry_record(actor=account, action="identity:passkey:remove", object_type="passkey", object_id=passkey.pk)
    passkey.delete()


def _passkey_verified(*, credential: Any, challenge: bytes, account: Account | None) -> Passkey | None:
    passkey = (
        Passkey.objects.select_for_update()
        .select_related("account")
        .filter(credential_id=passkeys.credential_id_of(credential))
        .first()
    )
    if passkey is None or not passkey.account.is_active:
        return None
    if account is not None and passkey.account_id != account.pk:  # someone else's passkey: not a factor here
        return None
    handle = passkeys.user_handle_of(credential)
    if handle and handle != bytes_to_base64url(passkeys.user_handle(account_id=passkey.account_id)):
        return None
    try:
        count = passkeys.assertion_check(
            credential=credential, challenge=challenge, public_key=bytes(passkey.public_key),
            sign_count=passkey.sign_count,
        )
    except PasskeyRejected:
        return None
    passkey.sign_count = count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


def passkey_authenticate(*, credential: Any, challenge: bytes, account: Account | None = None) -> Passkey:
    """Check a passkey assertion: the challenge this session was given, DigiGov's origin and RP ID, the
    signature, a counter that went up, and (with `account`) that the passkey is that account's. One transaction:
    the row is locked, so two answers with the same counter cannot both pass. A failure is audited and raises."""
    with transaction.atomic():
        passkey = _passkey_verified(credential=credential, challenge=challenge, account=account)
        if passkey is None:
            entry_record(actor=account, action="identity:passkey:fail", object_type="account",
                         object_id=account.pk if account is not None else "unknown")
        else:
            entry_record(actor=passkey.account, action="identity:passkey:pass", object_type="passkey",
                         object_id=passkey.pk)
    if passkey is None:
        raise PasskeyRejected()
    return passkey


# --- Signed-in sessions ------------------------------------------------------------------------------------------

def ip_prefix(address: str) -> str:
    """The network an address is in (IPv4 /24, IPv6 /48): enough to recognise "my home", not to find a device."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    network = ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False)
    return str(network)


@transaction.atomic
def session_start(
    *, account: Account, session_key: str, user_agent: str, ip_address: str, record_id: int | None = None
) -> SignedInSession:
    """Record a signed-in session. Signing in again inside a session (a step-up) keeps its record, re-keyed."""
    record = SignedInSession.objects.filter(pk=record_id, account=account, ended_at__isnull=True).first()
    if record is not None:
        return session_rekey(record_id=record.pk, session_key=session_key)
    digest = session_key_digest(session_key)
    if (existing := SignedInSession.objects.filter(session_key_hash=digest, account=account).first()) is not None:
        return existing
    try:
        with transaction.atomic():
            return SignedInSession.objects.create(
                account=account,
                session_key_hash=digest,
                session_key_encrypted=encrypt_text(plaintext=session_key, context=SESSION_KEY_CONTEXT),
                user_agent=(user_agent or "")[:300],
                ip_prefix=ip_prefix(ip_address),
                last_seen_at=timezone.now(),
            )
    except IntegrityError:
        # Several requests of one session arrived together (a retried submission): the first recorded it.
        return SignedInSession.objects.get(session_key_hash=digest, account=account)


@transaction.atomic
def session_rekey(*, record_id: int, session_key: str) -> SignedInSession:
    """The session's key changed (Django gives a session a new key when it gains a privilege): follow it."""
    record = SignedInSession.objects.select_for_update().get(pk=record_id)
    digest = session_key_digest(session_key)
    if record.session_key_hash != digest:
        record.session_key_hash = digest
        record.session_key_encrypted = encrypt_text(plaintext=session_key, context=SESSION_KEY_CONTEXT)
        record.save(update_fields=["session_key_hash", "session_key_encrypted"])
    return record


def session_seen(*, record_id: int) -> None:
    """Bookkeeping only (when the session was last used), so not audited."""
    SignedInSession.objects.filter(pk=record_id).update(last_seen_at=timezone.now())


def session_close(*, record_id: int) -> None:
    """The person signed out of this session (the sign-out itself is audited by the signal)."""
    SignedInSession.objects.filter(pk=record_id, ended_at__isnull=True).update(ended_at=timezone.now())


def _session_delete(record: SignedInSession) -> None:
    session_key = decrypt_text(ciphertext=bytes(record.session_key_encrypted), context=SESSION_KEY_CONTEXT)
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()


@transaction.atomic
def session_revoke(*, account: Account, record_id: int) -> SignedInSession:
    """End one of the account's sessions: its server-side session is deleted, so its cookie opens nothing."""
    record = SignedInSession.objects.select_for_update().filter(
        pk=record_id, account=account, ended_at__isnull=True
    ).first()
    if record is None:
        raise NotFound()
    _session_delete(record)
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    entry_record(actor=account, action="identity:session:revoke", object_type="session", object_id=record.pk)
    return record


@transaction.atomic
def sessions_revoke_others(*, account: Account, keep_record_id: int | None) -> int:
    """Sign out everywhere else: end every session of the account but the one in use."""
    records = list(
        SignedInSession.objects.select_for_update()
        .filter(account=account, ended_at__isnull=True)
        .exclude(pk=keep_record_id)
    )
    now = timezone.now()
    for record in records:
        _session_delete(record)
        record.ended_at = now
    SignedInSession.objects.bulk_update(records, ["ended_at"])
    entry_record(
        actor=account, action="identity:session:revoke-others", object_type="account", object_id=account.pk,
        detail={"sessions": [r.pk for r in records]},
    )
    return len(records)


# --- Self-service unlock -----------------------------------------------------------------------------------------

UNLOCK_SECONDS = 30 * 60
# One link per account at a time: asking again within this while sends nothing (no mailbox flooding).
UNLOCK_RESEND_SECONDS = 5 * 60
UNLOCK_CONTEXT = b"identity.unlock_sign_in_id"


def unlock_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def unlock_link_create(*, sign_in_id: str) -> tuple[str, str] | None:
    """A one-time unlock token for the account of `sign_in_id` and the address to send it to; None when
    nothing is to be sent (no such account, no email address, or a link was sent moments ago). Callers answer
    the same either way, so the answer does not tell whether the id exists."""
    from digigov.blocks.identity.backends import account_for_sign_in_id

    sign_in_id = (sign_in_id or "").strip()[:150]
    account = account_for_sign_in_id(sign_in_id) if sign_in_id else None
    if account is None or not account.is_active or not account.email:
        return None
    now = timezone.now()
    recent = now - dt.timedelta(seconds=UNLOCK_RESEND_SECONDS)
    if UnlockToken.objects.filter(account=account, used_at__isnull=True, created_at__gt=recent).exists():
        return None
    token = secrets.token_urlsafe(32)
    row = UnlockToken.objects.create(
        token_hash=unlock_token_digest(token),
        account=account,
        sign_in_id_encrypted=encrypt_text(plaintext=sign_in_id, context=UNLOCK_CONTEXT),
        expires_at=now + dt.timedelta(seconds=UNLOCK_SECONDS),
    )
    entry_record(actor=None, action="identity:lockout:unlock-link", object_type="account", object_id=account.pk,
                 detail={"token": row.pk})
    return token, account.email


def unlock_email_send(*, to: str, link: str) -> None:
    """Send the unlock link. Network I/O: call it after the token's transaction has committed."""
    context = {"link": link, "minutes": UNLOCK_SECONDS // 60}
    send_mail(
        subject=_("Unlock signing in to DigiGov"),
        message=render_to_string("identity/email/unlock.txt", context),
        from_email=None,
        recipient_list=[to],
    )


@transaction.atomic
def unlock_link_use(*, token: str) -> Account | None:
    """Follow an unlock link: once, before it expires. Clears django-axes' failed attempts for the sign-in id
    the link was asked for (from every address), so the person can sign in again at once."""
    row = (
        UnlockToken.objects.select_for_update()
        .select_related("account")
        .filter(token_hash=unlock_token_digest(token or ""))
        .first()
    )
    now = timezone.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    sign_in_id = decrypt_text(ciphertext=bytes(row.sign_in_id_encrypted), context=UNLOCK_CONTEXT)
    # The lockout counts attempts by the id as typed; a national ID number may have been typed in lower case.
    cleared = sum(axes_reset(username=variant) for variant in {sign_in_id, sign_in_id.upper()})
    UnlockToken.objects.filter(account=row.account, used_at__isnull=True).update(
        used_at=now, sign_in_id_encrypted=b""
    )
    entry_record(actor=None, action="identity:lockout:unlock", object_type="account", object_id=row.account_id,
                 detail={"token": row.pk, "attempts_cleared": cleared})
    return row.account


# Records that only serve a sign-in are deleted a day after they lapse (the audit log keeps every sign-in for
# good): long enough to look into a problem just reported, short enough that the tables do not keep growing.
LAPSED_RECORDS_KEPT = dt.timedelta(days=1)


def _deleted(queryset: QuerySet) -> int:
    """Delete, and count the rows of the queryset's own model (not what the delete cascaded to)."""
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


@transaction.atomic
def lapsed_records_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the sign-in records that lapsed more than LAPSED_RECORDS_KEPT ago: expired access tokens, then
    expired authorization codes no live token was issued from (a token's business context hangs on its code),
    pushed authorization requests, client assertion ids, unlock links used or expired, signed-in sessions ended
    or whose browser session lapsed, and expired browser sessions. The worker runs it hourly; `digigov identity
    purge` on demand. Returns how many of each were deleted; one audit entry says so when any were."""
    now = now or timezone.now()
    before = now - LAPSED_RECORDS_KEPT
    session_lapsed = before - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    counts = {"access tokens": _deleted(OidcAccessToken.objects.filter(expires_at__lt=before))}
    issued_live = OidcAccessToken.objects.filter(code__isnull=False).values("code_id")
    counts["authorization codes"] = _deleted(
        OidcAuthorizationCode.objects.filter(expires_at__lt=before).exclude(id__in=issued_live)
    )
    counts["pushed requests"] = _deleted(OidcPushedRequest.objects.filter(expires_at__lt=before))
    counts["client assertions"] = _deleted(OidcClientAssertion.objects.filter(expires_at__lt=before))
    counts["unlock links"] = _deleted(UnlockToken.objects.filter(Q(expires_at__lt=before) | Q(used_at__lt=before)))
    counts["signed-in sessions"] = _deleted(
        SignedInSession.objects.filter(
            Q(ended_at__lt=before) | Q(ended_at__isnull=True, last_seen_at__lt=session_lapsed)
        )
    )
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    if any(counts.values()):
        entry_record(
            actor=None, action="identity:records:purge", object_type="identity", object_id="lapsed", detail=counts
        )
    return counts
