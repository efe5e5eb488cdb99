"""Bulk inserts for loads of hundreds of thousands of rows (the synthetic nation, a population scan's offers
and their events): COPY FROM STDIN on PostgreSQL, one executemany on SQLite, below the ORM's per-row cost.

Values must already be in the database's form: JSON as text, and UUIDs as text (32 hex digits on SQLite,
where Django stores them so; PostgreSQL accepts either spelling).
"""

import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy
from django.db import connection
from django.db.models import Model


def rows_insert(*, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (values in the order of `fields`, the model's field names) in one statement stream."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # below Django's wrapper: no per-row debug logging or re-adaptation
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            raw.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", rows)  # noqa: S608 (names from the models)


def ordered_uuids(count: int) -> list[str]:
    """`count` new UUIDs (version 7 layout: milliseconds, then random bits counting up), in ascending order.
    Ordered keys are appended at the end of the primary-key and unique indexes instead of landing on random
    pages all over them, which is what makes inserting a million rows with UUID keys quick."""
    milliseconds = time.time_ns() // 1_000_000
    high = (milliseconds << 16) | 0x7000 | secrets.randbits(12)
    start = secrets.randbits(61)
    low = numpy.arange(start, start + count, dtype=numpy.uint64) | numpy.uint64(1 << 63)  # variant 10, counting
    packed = numpy.empty((count, 2), dtype=">u8")
    packed[:, 0], packed[:, 1] = high, low
    text = packed.tobytes().hex()
    return [
        f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:32]}"
        for t in (text[i : i + 32] for i in range(0, 32 * count, 32))
    ]


def uuids_for_database(values: list[str]) -> list[str]:
    """UUID texts as this database stores them (Django keeps 32 hex digits on SQLite). For a whole list at
    once: looking up the connection's vendor costs more than the conversion itself."""
    if connection.vendor == "postgresql":
        return values
    return [value.replace("-", "") for value in values]
