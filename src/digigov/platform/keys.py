"""Data keys for envelope encryption: created, wrapped by the KMS backend, unwrapped once per process.

Key hierarchy (docs/security.md): the KEK (KMS backend) wraps data keys (this table); data keys encrypt
field values (crypto.py). One data key is primary and encrypts new values; older ones stay active while
any value still uses them and are retired (their wrapped material erased) once none does.

This module is platform infrastructure like migrations: the rotation in `key_rotation.py` rewrites the
encrypted columns listed in `ENCRYPTED_COLUMNS` whichever block owns them, and nothing else in them.
"""

import datetime as dt
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from digigov.platform.backends.kms import KeyUnavailable, key_wrapper

__all__ = ["BLIND_INDEX_COLUMNS", "ENCRYPTED_COLUMNS", "BlindIndexColumn", "EncryptedColumn", "KeyUnavailable"]


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding crypto.py ciphertexts. `context` is the associated data the owning block uses;
    `row_bound` adds the row id to it (crypto.row_context), so a value copied to another row fails."""

    model: str  # app_label.ModelName
    field: str
    context: bytes
    row_bound: bool
    batch_max: int = 0  # at most this many values per rotation batch (large values: documents); 0 for no limit

    @property
    def label(self) -> str:
        return f"{self.model}.{self.field}"

    def context_for(self, row_id: int) -> bytes:
        return self.context + b"#" + str(row_id).encode() if self.row_bound else self.context


# Every encrypted column in the platform, with the associated data its block uses. A block that adds one
# adds it here, or rotation leaves its values on the old key, which then is never retired (before retiring,
# keys_retire_unused searches every binary column, listed or not).
ENCRYPTED_COLUMNS = [
    EncryptedColumn("registries.Person", "national_id_encrypted", b"person.national_id", row_bound=True),
    EncryptedColumn("registries.Person", "monthly_income_encrypted", b"person.monthly_income", row_bound=True),
    EncryptedColumn("identity.Account", "totp_secret_encrypted", b"identity.totp_secret", row_bound=False),
    EncryptedColumn("identity.OidcSigningKey", "private_key_encrypted", b"identity.oidc.signing_key", row_bound=False),
    EncryptedColumn("identity.SignedInSession", "session_key_encrypted", b"identity.session_key", row_bound=False),
    EncryptedColumn("identity.UnlockToken", "sign_in_id_encrypted", b"identity.unlock_sign_in_id", row_bound=False),
    EncryptedColumn("messaging.CallbackEndpoint", "secret_encrypted", b"messaging.callback_secret", row_bound=False),
    EncryptedColumn("registries.RegistrySecret", "value_encrypted", b"registries.record_secret", row_bound=True),
    # Uploaded documents, up to DIGIGOV_UPLOAD_MAX_SIZE each: a few per batch keeps a rotation's memory small.
    EncryptedColumn("services.Document", "content_encrypted", b"services.document", row_bound=True, batch_max=20),
]


@dataclass(frozen=True)
class BlindIndexColumn:
    """A column of blind indexes (crypto.blind_index under `context`) of the values in `source`, same rows:
    `digigov keys rotate-index` recomputes it from the decrypted values under the current blind-index key."""

    field: str
    source: EncryptedColumn
    context: bytes
    # Only rows that have an index get it recomputed: registries.RegistrySecret holds sensitive fields, never looked
    # up, beside the national ID fields that are (docs/govstack.md).
    sparse: bool = False


def _encrypted_column(label: str) -> EncryptedColumn:
    return next(column for column in ENCRYPTED_COLUMNS if column.label == label)


BLIND_INDEX_COLUMNS = [
    BlindIndexColumn("national_id_index", _encrypted_column("registries.Person.national_id_encrypted"),
                     b"person.national_id"),
    BlindIndexColumn("value_index", _encrypted_column("registries.RegistrySecret.value_encrypted"),
                     b"registries.record_national_id", sparse=True),
]


def binary_columns() -> list[EncryptedColumn]:
    """Every binary column of every installed model, listed or not: before a key is retired all of them are
    searched for its header, so a column someone forgot to list keeps its key alive instead of losing it."""
    from django.apps import apps
    from django.db import models

    listed = {c.label for c in ENCRYPTED_COLUMNS} | {"platform.DataKey.wrapped"}  # wrapped keys, not values
    found = [
        EncryptedColumn(model._meta.label, field.name, b"", row_bound=False)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for field in model._meta.concrete_fields
        if isinstance(field, models.BinaryField)
    ]
    return ENCRYPTED_COLUMNS + [c for c in found if c.label not in listed]


class DataKeyInUse(NamedTuple):
    id: int
    aead: AESGCM


_lock = threading.Lock()
_unwrapped: dict[int, AESGCM] = {}
_primary: tuple[int, float] | None = None  # (key id, monotonic time it was looked up)


def cache_clear() -> None:
    """Forget unwrapped keys and the primary key (after a rotation, a KEK change, or a database reset)."""
    global _primary
    with _lock:
        _unwrapped.clear()
        _primary = None


def _model():
    from digigov.platform.models import DataKey

    return DataKey


def aead_for(key_id: int) -> AESGCM:
    """The cipher of data key `key_id`, unwrapped through the KMS backend on first use in this process."""
    if (aead := _unwrapped.get(key_id)) is not None:
        return aead
    row = _model().objects.filter(pk=key_id).values_list("wrapped", "kek_id", "state").first()
    if row is None:
        raise KeyUnavailable(f"Data key {key_id} does not exist")
    wrapped, kek_id, state = row
    if state == "retired":
        raise KeyUnavailable(f"Data key {key_id} is retired; no value should still use it")
    aead = AESGCM(key_wrapper().unwrap(wrapped=bytes(wrapped), kek_id=kek_id, key_id=key_id))
    with _lock:
        _unwrapped[key_id] = aead
    return aead


def primary_key() -> DataKeyInUse:
    """The data key new values are encrypted with, created on first use. Looked up again after
    DIGIGOV_KEY_CACHE_SECONDS, so every process moves to a rotated key within that time."""
    global _primary
    cached = _primary
    if cached is not None and time.monotonic() - cached[1] < settings.DIGIGOV_KEY_CACHE_SECONDS:
        return DataKeyInUse(cached[0], aead_for(cached[0]))
    key_id = _model().objects.filter(state="primary").values_list("id", flat=True).first()
    if key_id is None:
        key_id = data_key_create()
    with _lock:
        _primary = (key_id, time.monotonic())
    return DataKeyInUse(key_id, aead_for(key_id))


def data_key_create() -> int:
    """Make a new random data key the primary one; the previous primary stays active for reading."""
    DataKey = _model()  # noqa: N806
    wrapper = key_wrapper()
    for _attempt in range(3):
        key_id = secrets.randbelow(2**31 - 1) + 1
        key = AESGCM.generate_key(bit_length=256)
        kek_id, wrapped = wrapper.wrap(key=key, key_id=key_id)
        try:
            with transaction.atomic():
                DataKey.objects.filter(state="primary").update(state="active", demoted_at=timezone.now())
                DataKey.objects.create(id=key_id, wrapped=wrapped, kek_id=kek_id, state="primary")
        except IntegrityError:
            # Another process created a primary key at the same moment (or the random id was taken): use it.
            if existing := DataKey.objects.filter(state="primary").values_list("id", flat=True).first():
                return existing
            continue
        with _lock:
            _unwrapped[key_id] = AESGCM(key)
        return key_id
    raise RuntimeError("Could not create a data key")


@transaction.atomic
def keys_rewrap() -> list[int]:
    """Re-wrap every live data key that is not yet under the current KEK (after the KEK changed).

    Only the small wrapped keys change; no field value is re-encrypted. Returns the re-wrapped key ids."""
    DataKey = _model()  # noqa: N806
    wrapper = key_wrapper()
    current = wrapper.current_kek_id()
    rewrapped = []
    for row in DataKey.objects.select_for_update().exclude(state="retired").exclude(kek_id=current).order_by("id"):
        key = wrapper.unwrap(wrapped=bytes(row.wrapped), kek_id=row.kek_id, key_id=row.id)
        row.kek_id, row.wrapped = wrapper.wrap(key=key, key_id=row.id)
        row.save(update_fields=["kek_id", "wrapped"])
        rewrapped.append(row.id)
    if rewrapped:
        _audit(action="platform:keys:rewrap", key_ids=rewrapped, kek_id=current)
    return rewrapped


def _audit(*, action: str, key_ids: list[int], **detail: str) -> None:
    from digigov.blocks.audit.actions import entry_record

    entry_record(
        actor=None,
        action=action,
        object_type="data_key",
        object_id=",".join(map(str, key_ids)),
        detail={"key_ids": key_ids, **detail},
    )


def _header(key_id: int) -> bytes:
    from digigov.platform.crypto import envelope_header

    return envelope_header(key_id)


def _count_sql(column: EncryptedColumn, *, prefix_length: int, exists: bool) -> str:
    from django.apps import apps
    from django.db import connection

    model = apps.get_model(column.model)
    quote = connection.ops.quote_name
    table, col = quote(model._meta.db_table), quote(model._meta.get_field(column.field).column)
    where = f"substr({col}, 1, {prefix_length}) = %s"
    if exists:
        return f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT 1) AS found"  # noqa: S608
    return f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 (table and column names from models)


def column_rows_using(column: EncryptedColumn, *, prefix: bytes, exists: bool = False) -> int:
    """How many values of `column` start with `prefix` (a key's ciphertext header), counted in SQL;
    with `exists`, 1 or 0 as soon as one is found."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_count_sql(column, prefix_length=len(prefix), exists=exists), [prefix])
        return cursor.fetchone()[0]


def key_in_use(key_id: int) -> bool:
    prefix = _header(key_id)
    return any(column_rows_using(column, prefix=prefix, exists=True) for column in binary_columns())


def keys_retire_unused() -> list[int]:
    """Retire each demoted key that no value uses any more: erase its wrapped material. A key is only
    considered once every process has had time to stop encrypting with it (DIGIGOV_KEY_CACHE_SECONDS)."""
    DataKey = _model()  # noqa: N806
    settled = timezone.now() - dt.timedelta(seconds=settings.DIGIGOV_KEY_CACHE_SECONDS)
    retired = []
    for key_id in DataKey.objects.filter(state="active", demoted_at__lte=settled).values_list("id", flat=True):
        with transaction.atomic():
            if key_in_use(key_id):
                continue
            DataKey.objects.filter(pk=key_id, state="active").update(
                state="retired", wrapped=b"", retired_at=timezone.now()
            )
            _audit(action="platform:keys:retire", key_ids=[key_id])
        with _lock:
            _unwrapped.pop(key_id, None)
        retired.append(key_id)
    return retired


@dataclass(frozen=True)
class KeyStatus:
    id: int
    state: str
    kek_id: str
    created_at: dt.datetime
    values: int  # how many encrypted values use it


def key_status() -> list[KeyStatus]:
    """Every data key with the number of values encrypted under it (a full scan of the encrypted columns)."""
    rows = _model().objects.order_by("created_at")
    return [
        KeyStatus(
            id=row.id,
            state=row.state,
            kek_id=row.kek_id,
            created_at=row.created_at,
            values=sum(column_rows_using(c, prefix=_header(row.id)) for c in binary_columns())
            if row.state != "retired"
            else 0,
        )
        for row in rows
    ]


def legacy_values() -> int:
    """Values still encrypted with the pre-envelope DIGIGOV_DATA_KEY (version 1)."""
    return sum(column_rows_using(c, prefix=b"\x01") for c in ENCRYPTED_COLUMNS)


def kek_generate() -> str:
    """A fresh random KEK, base64, for DIGIGOV_KEK or a line of DIGIGOV_KEK_FILE."""
    import base64

    return base64.b64encode(os.urandom(32)).decode()
