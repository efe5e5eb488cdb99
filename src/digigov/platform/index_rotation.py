"""`digigov keys rotate-index`: move every blind index onto the current blind-index key, online and resumably.

The operator configures the new key as DIGIGOV_BLIND_INDEX_KEY and the old one in
DIGIGOV_BLIND_INDEX_KEY_PREVIOUS; from then on lookups try both (crypto.blind_indexes) and new rows get the new
index. This walks each blind-index column in id order, a batch per transaction, decrypting the source values
and rewriting the indexes that are not yet under the current key. A rerun after an interruption finds the
rows done already unchanged and writes only the rest. Once it reports nothing left, the old key can go.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from digigov.platform import crypto, keys


@dataclass
class IndexRotationReport:
    checked: int = 0
    rewritten: int = 0
    batches: int = 0


def _names(column: keys.BlindIndexColumn) -> tuple[str, str, str]:
    model = apps.get_model(column.source.model)
    quote = connection.ops.quote_name
    return (
        quote(model._meta.db_table),
        quote(model._meta.get_field(column.field).column),
        quote(model._meta.get_field(column.source.field).column),
    )


def rows_total() -> int:
    with connection.cursor() as cursor:
        total = 0
        for column in keys.BLIND_INDEX_COLUMNS:
            table, _index, _source = _names(column)
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (names from models)
            total += cursor.fetchone()[0]
        return total


def _batch_rewrite(*, column: keys.BlindIndexColumn, after: int, batch: int) -> tuple[int, int, int]:
    """Recompute the next batch after id `after`; returns (last id seen, rows checked, indexes rewritten)."""
    table, index, source = _names(column)
    sparse = f"AND {index} <> '' " if column.sparse else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {index}, {source} FROM {table} WHERE id > %s {sparse}ORDER BY id LIMIT %s",  # noqa: S608
            [after, batch],
        )
        rows = [(row_id, old, bytes(value)) for row_id, old, value in cursor.fetchall()]
        if not rows:
            return after, 0, 0
        values = crypto.decrypt_many(
            ciphertexts=[value for _id, _old, value in rows],
            contexts=[column.source.context_for(row_id) for row_id, _old, _value in rows],
        )
        changes = [
            (new, row_id, old)
            for (row_id, old, _value), value in zip(rows, values, strict=True)
            if (new := crypto.blind_index(value=value, context=column.context)) != old
        ]
        # Compare-and-swap: an index the application rewrote meanwhile (a corrected number) is kept.
        cursor.executemany(
            f"UPDATE {table} SET {index} = %s WHERE id = %s AND {index} = %s",  # noqa: S608 (names from models)
            changes,
        )
    return rows[-1][0], len(rows), len(changes)


def index_rotation_run(
    *, batch: int = 1000, on_batch: Callable[[int], None] | None = None
) -> IndexRotationReport:
    """Rewrite every blind index not under the current key. `on_batch` is told the rows checked so far."""
    from digigov.blocks.audit.actions import entry_record

    report = IndexRotationReport()
    for column in keys.BLIND_INDEX_COLUMNS:
        after = 0
        while True:
            with transaction.atomic():
                after, checked, rewritten = _batch_rewrite(column=column, after=after, batch=batch)
            if not checked:
                break
            report.checked += checked
            report.rewritten += rewritten
            report.batches += 1
            if on_batch is not None:
                on_batch(checked)
    with transaction.atomic():
        entry_record(
            actor=None,
            action="platform:keys:rotate-index",
            object_type="blind_index",
            object_id="all",
            detail={
                "checked": report.checked,
                "rewritten": report.rewritten,
                "columns": [f"{c.source.model}.{c.field}" for c in keys.BLIND_INDEX_COLUMNS],
            },
        )
    return report
