"""The audit log's evidence format: canonical entry encoding, the hash chain, Merkle trees and seal statements.

Pure functions with no database access, so the same code serves the worker (chaining, sealing), `digigov
audit verify` and the documentation of the offline procedure (docs/audit.md). Changing anything here changes
every hash: add a new version marker instead.
"""

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

ENTRY_VERSION = "digigov-audit-entry-v1"
SEAL_VERSION = "digigov-audit-seal-v1"
GENESIS = bytes(32)  # the "previous hash" of the first entry ever chained
NODE_PREFIX = b"\x01"  # Merkle inner nodes: sha256(0x01 || left || right); leaves are entry hashes as they are

# Compact JSON, keys sorted, non-ASCII kept as UTF-8: one byte string per value, on every platform.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode
_sha256 = hashlib.sha256

# Column order of an entry row as the chainer and the verifier read it (see queries.entry_rows_sql).
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "agency_code",
    "action",
    "object_type",
    "object_id",
    "request_id",
    "detail",
)


def detail_value(raw: Any) -> Any:
    """The JSON value of a detail column as the database hands it over (text, or already decoded)."""
    if raw == "{}":  # most entries: skip the parser
        return {}
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


def at_text(raw: str) -> str:
    """SQLite's stored UTC datetime text ('YYYY-MM-DD HH:MM:SS[.ffffff]') in the canonical form."""
    if len(raw) == 19:
        raw += ".000000"
    return raw[:10] + "T" + raw[11:26] + "Z"


def datetime_text(value: dt.datetime) -> str:
    """An aware datetime in the canonical form 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_canonical(row: Sequence[Any], previous_hash: bytes) -> bytes:
    """The canonical encoding of one entry: a JSON array of the version marker, the entry's fields in FIELDS
    order (time as 'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC, detail as a JSON object) and the previous entry's
    hash in hex. UTF-8, no spaces, object keys sorted."""
    return _encode([ENTRY_VERSION, *row, previous_hash.hex()]).encode()


def entry_hash(row: Sequence[Any], previous_hash: bytes) -> bytes:
    return _sha256(_encode([ENTRY_VERSION, *row, previous_hash.hex()]).encode()).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Pairs hashed level by level; an odd node at the end of a level moves up unchanged."""
    level = list(leaves)
    while len(level) > 1:
        paired = [_sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def merkle_path(leaves: Sequence[bytes], index: int) -> list[dict[str, str]]:
    """The sibling hashes from leaf `index` up to the root, each with the side it sits on."""
    path = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append({"side": "left" if sibling < index else "right", "hash": level[sibling].hex()})
        paired = [_sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level, index = paired, index // 2
    return path


def seal_statement(
    *, first_entry_id: int, last_entry_id: int, entries: int, root: bytes, signed_at: str, key_id: str
) -> bytes:
    """The bytes a seal's signature covers: the batch, its Merkle root and the signing time."""
    return _encode(
        {
            "version": SEAL_VERSION,
            "first_entry_id": first_entry_id,
            "last_entry_id": last_entry_id,
            "entries": entries,
            "root": root.hex(),
            "signed_at": signed_at,
            "key_id": key_id,
        }
    ).encode()


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
