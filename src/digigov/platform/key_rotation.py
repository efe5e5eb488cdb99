"""`digigov keys rotate`: move every encrypted value onto a new data key, online and resumably.

A rotation creates a new primary data key (new writes use it at once in this process, and in every other
process within DIGIGOV_KEY_CACHE_SECONDS), then walks each encrypted column in id order, re-encrypting in
batches of one transaction each; after each batch its watermark is saved, so an interrupted rotation
resumes after the last committed batch. Reads keep working throughout: each ciphertext names its key, and
old keys stay until no value uses them. A value changed by the application while its batch runs is not
overwritten (compare-and-swap on the old ciphertext); a final sweep after the cache period picks up values
written meanwhile with the old key, and only then are unused keys retired.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from digigov.platform import crypto, keys


@dataclass
class RotationReport:
    key_id: int
    resumed: bool
    reencrypted: int = 0
    batches: int = 0
    retired: list[int] = field(default_factory=list)


def _table(column: keys.EncryptedColumn) -> tuple[str, str]:
    model = apps.get_model(column.model)
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), quote(model._meta.get_field(column.field).column)


def _pending_sql(column: keys.EncryptedColumn, *, count: bool, after: bool) -> str:
    """Values (after a watermark, when there is one) whose header is not the target key's; empty values hold
    no secret. Ids may be integers or UUIDs, so the first batch has no watermark rather than a zero."""
    table, col = _table(column)
    where = f"{col} IS NOT NULL AND length({col}) > 0 AND substr({col}, 1, 5) <> %s"
    if after:
        where = f"id > %s AND {where}"
    if count:
        return f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 (names from models)
    return f"SELECT id, {col} FROM {table} WHERE {where} ORDER BY id LIMIT %s"  # noqa: S608


def _watermark(column: keys.EncryptedColumn, value: Any) -> Any:
    """A stored watermark (JSON: a number or a UUID's text) as the database compares it with the column's id."""
    pk = apps.get_model(column.model)._meta.pk
    return pk.get_db_prep_value(pk.to_python(value), connection)


def _pending(*, watermarks: dict[str, Any], header: bytes) -> int:
    with connection.cursor() as cursor:
        total = 0
        for column in keys.ENCRYPTED_COLUMNS:
            after = watermarks.get(column.label)
            params = [header] if after is None else [_watermark(column, after), header]
            cursor.execute(_pending_sql(column, count=True, after=after is not None), params)
            total += cursor.fetchone()[0]
        return total


def _batch_reencrypt(*, column: keys.EncryptedColumn, after: Any, header: bytes, batch: int) -> tuple[Any, int]:
    """Re-encrypt the next batch of `column` after id `after` (None: from the start); returns (last id seen,
    values rewritten). Bytes in, bytes out: a column may hold text or files."""
    table, col = _table(column)
    batch = min(batch, column.batch_max or batch)
    with connection.cursor() as cursor:
        params = [header, batch] if after is None else [_watermark(column, after), header, batch]
        cursor.execute(_pending_sql(column, count=False, after=after is not None), params)
        rows = [(row_id, bytes(value)) for row_id, value in cursor.fetchall()]
        if not rows:
            return after, 0
        pk = apps.get_model(column.model)._meta.pk
        # The id as the application binds it: a UUID in its canonical text whatever form the database returns.
        contexts = [column.context_for(pk.to_python(row_id)) for row_id, _value in rows]
        plaintexts = crypto.decrypt_bytes_many(ciphertexts=[value for _id, value in rows], contexts=contexts)
        fresh = crypto.encrypt_bytes_many(plaintexts=plaintexts, contexts=contexts)
        # Compare-and-swap: a value the application rewrote since the read keeps the application's value.
        cursor.executemany(
            f"UPDATE {table} SET {col} = %s WHERE id = %s AND {col} = %s",  # noqa: S608 (names from models)
            [(new, row_id, old) for new, (row_id, old) in zip(fresh, rows, strict=True)],
        )
    last = rows[-1][0]
    return (last if isinstance(last, int) else str(last)), len(rows)


def _walk(*, rotation, header: bytes, batch: int, bar, on_batch, report: RotationReport) -> None:
    for column in keys.ENCRYPTED_COLUMNS:
        while True:
            with transaction.atomic():
                after = rotation.watermarks.get(column.label)
                last, done = _batch_reencrypt(column=column, after=after, header=header, batch=batch)
                if not done:
                    break
                rotation.watermarks[column.label] = last
                rotation.save(update_fields=["watermarks"])
            report.reencrypted += done
            report.batches += 1
            if bar is not None:
                bar.update(done)
            if on_batch is not None:
                on_batch(report.batches)


def rotation_run(
    *, batch: int = 1000, progress: bool = False, on_batch: Callable[[int], None] | None = None
) -> RotationReport:
    """Rotate to a new data key, or resume the rotation an earlier run left unfinished."""
    from digigov.blocks.audit.actions import entry_record
    from digigov.platform.models import KeyRotation

    rotation = KeyRotation.objects.filter(finished_at=None).order_by("id").first()
    resumed = rotation is not None
    if rotation is None:
        with transaction.atomic():
            key_id = keys.data_key_create()
            rotation = KeyRotation.objects.create(target_key_id=key_id, watermarks={})
            entry_record(actor=None, action="platform:keys:rotate", object_type="data_key", object_id=key_id)
    keys.cache_clear()  # this process encrypts with the rotation's key from now on
    keys.aead_for(rotation.target_key_id)
    header = crypto.envelope_header(rotation.target_key_id)
    report = RotationReport(key_id=rotation.target_key_id, resumed=resumed)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=_pending(watermarks=rotation.watermarks, header=header),
            unit=" values",
            desc=f"Re-encrypting under data key {rotation.target_key_id}",
        )
    _walk(rotation=rotation, header=header, batch=batch, bar=bar, on_batch=on_batch, report=report)
    # Other processes may have written with the previous key until their cache expired: wait that long,
    # then sweep every column from the start (only values not under the new key are touched).
    demoted = rotation.started_at.timestamp() + settings.DIGIGOV_KEY_CACHE_SECONDS
    if (wait := demoted - timezone.now().timestamp()) > 0:
        time.sleep(wait)
    rotation.watermarks = {}
    _walk(rotation=rotation, header=header, batch=batch, bar=bar, on_batch=None, report=report)
    if bar is not None:
        bar.close()
    rotation.finished_at = timezone.now()
    rotation.save(update_fields=["watermarks", "finished_at"])
    report.retired = keys.keys_retire_unused()
    return report
