"""Accounts in bulk for a seeded nation: officers of every agency, and people who sign in to the demo.

Hashing a password takes tens of milliseconds on purpose (Argon2), so every account created here shares one
hash of the same password: seeding a thousand accounts costs one hash, not a thousand.
"""

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from digigov.blocks.identity.actions import TOTP_CONTEXT
from digigov.blocks.identity.models import Account, AccountKind, OfficerRole
from digigov.platform.crypto import decrypt_text, encrypt_text

BATCH = 5_000


@dataclass(frozen=True)
class OfficerSpec:
    username: str
    full_name: str
    agency_id: int
    roles: tuple[str, ...]
    totp_secret: str
    email: str = ""


class OfficerSignIn(NamedTuple):
    username: str
    agency_code: str
    roles: list[str]
    totp_secret: str


def _password_hash(password: str) -> str:
    account = Account()
    account.set_password(password)
    return account.password


def demo_totp_secret(*, seed: int, username: str) -> str:
    """A TOTP secret (32 base32 characters) derived from the seed, so a re-seeded demo keeps its codes.

    Only for demo officers: real officers enrol with a random secret (`totp_enrolment_begin`).
    """
    digest = hashlib.sha256(f"digigov-demo-totp:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


@transaction.atomic
def officers_create(*, officers: Sequence[OfficerSpec], password: str) -> int:
    """Create the officers that do not exist yet, with their roles and a confirmed TOTP enrolment."""
    usernames = [o.username for o in officers]
    existing = set(Account.objects.filter(username__in=usernames).values_list("username", flat=True))
    missing = [o for o in officers if o.username not in existing]
    if not missing:
        return 0
    password_hash = _password_hash(password)
    now = timezone.now()
    accounts = []
    for officer in missing:
        first, _sep, last = officer.full_name.partition(" ")
        accounts.append(Account(
            username=officer.username, kind=AccountKind.OFFICER, agency_id=officer.agency_id, first_name=first,
            last_name=last, email=officer.email, password=password_hash,
            totp_secret_encrypted=encrypt_text(plaintext=officer.totp_secret, context=TOTP_CONTEXT),
            totp_confirmed_at=now,
        ))
    Account.objects.bulk_create(accounts, batch_size=BATCH)
    ids = dict(Account.objects.filter(username__in=[o.username for o in missing]).values_list("username", "id"))
    OfficerRole.objects.bulk_create(
        [OfficerRole(account_id=ids[o.username], role=role) for o in missing for role in o.roles],
        batch_size=BATCH, ignore_conflicts=True,
    )
    return len(missing)


@transaction.atomic
def person_accounts_create(
    *, person_ids: list[int], password: str, emails: Mapping[int, str] | None = None
) -> int:
    """Create sign-in accounts for these people (those that have none yet); returns how many were created."""
    emails = emails or {}
    wanted = list(dict.fromkeys(person_ids))
    have: set[int] = set()
    for start in range(0, len(wanted), BATCH):
        have.update(
            Account.objects.filter(person_id__in=wanted[start:start + BATCH]).values_list("person_id", flat=True)
        )
    missing = [pid for pid in wanted if pid not in have]
    if not missing:
        return 0
    password_hash = _password_hash(password)
    Account.objects.bulk_create(
        [Account(username=f"person-{pid}", kind=AccountKind.PERSON, person_id=pid, email=emails.get(pid, ""),
                 password=password_hash) for pid in missing],
        batch_size=BATCH, ignore_conflicts=True,
    )
    return len(missing)


def officer_sign_ins(*, usernames: Sequence[str]) -> list[OfficerSignIn]:
    """Username, agency, roles and current TOTP secret of these officers, in the order given."""
    accounts = {
        a.username: a
        for a in Account.objects.select_related("agency").prefetch_related("roles").filter(
            username__in=usernames, kind=AccountKind.OFFICER
        )
    }
    sign_ins = []
    for username in usernames:
        account = accounts.get(username)
        if account is None:
            continue
        secret = (
            decrypt_text(ciphertext=account.totp_secret_encrypted, context=TOTP_CONTEXT)
            if account.totp_secret_encrypted else ""
        )
        roles = sorted(r.role for r in account.roles.all())
        sign_ins.append(OfficerSignIn(username, account.agency.code if account.agency_id else "", roles, secret))
    return sign_ins
