import datetime as dt
from typing import Any

import pyotp
from django.db import transaction
from django.utils import timezone

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity.models import Account, OfficerRole
from digigov.platform.crypto import decrypt_text, encrypt_text
from digigov.platform.errors import ValidationFailed

TOTP_CONTEXT = b"identity.totp_secret"
TOTP_ISSUER = "DigiGov"


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
