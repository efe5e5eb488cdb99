"""Audit reads: entries of an object, and the evidence checks (`digigov audit verify` and `proof`)."""

import itertools
import json
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Max, QuerySet

from digigov.blocks.audit import integrity
from digigov.blocks.audit.models import AuditEntry, ChainLink, Seal
from digigov.blocks.audit.sealing import public_key_bytes, signature_valid
from digigov.platform.errors import Conflict, NotFound

_FETCH = 5_000
_REORDER_WINDOW = 200  # links either side searched for the original place of an entry found out of place


def entries_for_object(*, object_type: str, object_id: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("id")


def entry_last_id() -> int:
    return AuditEntry.objects.aggregate(m=Max("id"))["m"] or 0


def _columns() -> str:
    """The entry columns in integrity.FIELDS order, with time and detail as text in a stable form."""
    if connection.vendor == "postgresql":
        at, detail = "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "e.detail::text"
    else:
        # An expression, not the bare column: the sqlite3 driver would convert the column to datetime objects.
        at, detail = "CAST(e.at AS TEXT)", "e.detail"
    return (
        f"e.id, {at}, e.actor_id, e.actor_label, e.agency_code, e.action, e.object_type, e.object_id, "
        f"e.request_id, {detail}"
    )


def _normaliser():
    """A function turning a fetched row (entry columns first) into the entry's canonical field values."""
    detail_value, at_text = integrity.detail_value, integrity.at_text
    if connection.vendor == "postgresql":
        return lambda r: [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], detail_value(r[9])]
    return lambda r: [r[0], at_text(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], detail_value(r[9])]


def _stream(sql: str, params: list) -> Iterator[tuple]:
    """Rows of a large query without holding them all: a server-side cursor on PostgreSQL."""
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH):
            yield from rows


def entry_rows(*, after_id: int, up_to_id: int, limit: int) -> list[list]:
    """Entries with after_id < id <= up_to_id in id order, as canonical field values (for the chainer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_columns()} FROM audit_auditentry e WHERE e.id > %s AND e.id <= %s ORDER BY e.id LIMIT %s",  # noqa: S608 (no user input)
            [after_id, up_to_id, limit],
        )
        normalise = _normaliser()
        return [normalise(row) for row in cursor.fetchall()]


@dataclass
class Verification:
    ok: bool = True
    checked: int = 0
    unchained: int = 0
    seals: int = 0
    entry_id: int | None = None
    problem: str = ""
    kind: str = ""  # altered | deleted | inserted | reordered | seal
    notes: list[str] = field(default_factory=list)


def _fail(result: Verification, *, entry_id: int, kind: str, problem: str, checked: int | None = None) -> Verification:
    result.ok, result.entry_id, result.kind, result.problem = False, entry_id, kind, problem
    if checked is not None:
        result.checked = checked
    return result


def _reordered_from(fields: list, entry_id: int) -> int | None:
    """The id of the entry whose place in the chain this row's content belongs to, if it was moved there: first
    among the links near it (a swap of neighbours), then along the whole chain (a swap of far-apart entries).
    Only ever run once tampering is found, so a full pass over the links is affordable."""
    before = list(
        ChainLink.objects.filter(entry_id__lte=entry_id)
        .order_by("-entry_id")
        .values_list("entry_id", "hash")[: _REORDER_WINDOW + 1]
    )
    after = ChainLink.objects.filter(entry_id__gt=entry_id).order_by("entry_id").values_list("entry_id", "hash")
    links = [*reversed(before), *after[:_REORDER_WINDOW]]
    if len(before) <= _REORDER_WINDOW:  # the window reaches the start of the chain
        links.insert(0, (None, integrity.GENESIS))
    if (found := _content_place(fields, entry_id, links)) is not None:
        return found
    whole = itertools.chain(
        [(None, integrity.GENESIS)],
        _stream("SELECT entry_id, hash FROM audit_chainlink ORDER BY entry_id", []),
    )
    return _content_place(fields, entry_id, whole)


def _content_place(fields: list, entry_id: int, links) -> int | None:
    """Among consecutive (entry id, hash) links, the entry whose hash this content makes with its predecessor's."""
    for (_previous, previous_hash), (candidate, candidate_hash) in itertools.pairwise(links):
        if candidate != entry_id and integrity.entry_hash([candidate, *fields[1:]], bytes(previous_hash)) == bytes(
            candidate_hash
        ):
            return candidate
    return None


def _sqlite_canonical() -> str:
    """SQLite renders the canonical encoding itself (in C), all but the closing previous hash: the fast path
    of `chain_verify`. It matches the Python encoding whenever the stored detail text compacts to JSON with
    sorted keys and no escaped characters; for any other entry the verifier falls back to the Python
    encoding, which is authoritative."""
    return (
        f"json_array('{integrity.ENTRY_VERSION}', e.id, replace(CAST(e.at AS TEXT), ' ', 'T') || "
        "CASE WHEN length(e.at) = 19 THEN '.000000Z' ELSE 'Z' END, e.actor_id, e.actor_label, e.agency_code, "
        "e.action, e.object_type, e.object_id, e.request_id, json(e.detail))"
    )


def _sqlite_rows(low: int, high: int, chunk: int = 20_000) -> Iterator[tuple]:
    """(id, link previous id, link hash, canonical text without the previous hash) for each entry in id
    order. Two sequential scans per chunk of ids, matched in Python: much cheaper in SQLite than a join
    (the link table's key is not its rowid)."""
    entries_sql = (
        f"SELECT e.id, {_sqlite_canonical()} FROM audit_auditentry e WHERE e.id >= %s AND e.id <= %s ORDER BY e.id"  # noqa: S608,E501 (no user input)
    )
    links_sql = "SELECT entry_id, previous_id, hash FROM audit_chainlink WHERE entry_id >= %s AND entry_id <= %s ORDER BY entry_id"  # noqa: E501
    no_link = (None, None, None)
    with connection.cursor() as cursor:
        for start in range(low, high + 1, chunk):
            stop = min(start + chunk - 1, high)
            cursor.execute(entries_sql, [start, stop])
            entries = cursor.fetchall()
            cursor.execute(links_sql, [start, stop])
            links = cursor.fetchall()
            if len(entries) == len(links) and all(e[0] == k[0] for e, k in zip(entries, links, strict=True)):
                yield from ((e[0], k[1], k[2], e[1]) for e, k in zip(entries, links, strict=True))
            else:
                by_id = {k[0]: k for k in links}
                yield from ((e[0], *by_id.get(e[0], no_link)[1:], e[1]) for e in entries)


def _seal_matches(*, seal: tuple, leaves: list[bytes], public_key: bytes, key_id: str) -> bool:
    """Whether a seal row (first, last, entries, root, signed_at, key_id, signature) covers exactly `leaves`,
    the chain hashes of its entries in id order, under the platform's key, with a valid signature."""
    first, last, entries, root, signed_at, seal_key_id, signature = seal
    statement = integrity.seal_statement(
        first_entry_id=first,
        last_entry_id=last,
        entries=entries,
        root=bytes(root),
        signed_at=integrity.datetime_text(signed_at),
        key_id=seal_key_id,
    )
    return (
        len(leaves) == entries
        and integrity.merkle_root(leaves) == bytes(root)
        and seal_key_id == key_id
        and signature_valid(public_key=public_key, signature=bytes(signature), message=statement)
    )


def _entry_matches(entry_id: int, previous_hash: bytes, link_hash: bytes) -> bool:
    rows = entry_rows(after_id=entry_id - 1, up_to_id=entry_id, limit=1)
    return bool(rows) and integrity.entry_hash(rows[0], previous_hash) == link_hash


def chain_verify(*, from_id: int | None = None, to_id: int | None = None) -> Verification:
    """Check entries (all, or ids from_id..to_id widened to whole seals) against their chain links and the
    seals over them. Stops at the first problem, naming the entry.

    On SQLite, whole seals are first checked a group at a time by `_sqlite_group_intact`, which can only say
    "intact"; a group it cannot clear, and the unsealed tail, are checked entry by entry (`_entries_verify`),
    which names what is wrong. On PostgreSQL every entry is checked one by one."""
    if connection.vendor != "sqlite":
        return _entries_verify(from_id=from_id, to_id=to_id)
    total = Verification()
    seals = list(
        Seal.objects.filter(last_entry_id__gte=from_id or 0)
        .filter(first_entry_id__lte=to_id if to_id is not None else 2**62)
        .order_by("last_entry_id")
        .values_list("first_entry_id", "last_entry_id", "entries", "root", "signed_at", "key_id", "signature")
    )
    position = min(from_id or 0, seals[0][0]) if seals else from_id or 0
    previous_id, previous_hash = _link_head(up_to_id=position - 1)
    public_key = public_key_bytes()
    key_id = integrity.key_id(public_key)
    index = 0
    while index < len(seals):
        group, entries = [], 0
        while index < len(seals) and entries < _GROUP_ENTRIES:
            group.append(seals[index])
            entries += seals[index][2]
            index += 1
        end = group[-1][1]
        intact = _sqlite_group_intact(
            low=position, high=end, seals=group, previous_id=previous_id, previous_hash=previous_hash,
            public_key=public_key, key_id=key_id,
        )
        if intact is None:
            part = _entries_verify(from_id=position, to_id=end)
            if not part.ok:
                part.checked += total.checked
                return part
            intact = part.checked, *_link_head(up_to_id=end)
        total.checked += intact[0]
        total.seals += len(group)
        previous_id, previous_hash = intact[1], intact[2]
        position = end + 1
    if to_id is not None and position > to_id:
        return total
    tail = _entries_verify(from_id=position, to_id=to_id)
    tail.checked += total.checked
    tail.seals += total.seals
    return tail


_GROUP_ENTRIES = 10_000  # entries (whole seals) per fast check on SQLite


def _link_head(*, up_to_id: int) -> tuple[int | None, bytes]:
    head = (
        ChainLink.objects.filter(entry_id__lte=up_to_id).order_by("-entry_id").values_list("entry_id", "hash").first()
    )
    return (head[0], bytes(head[1])) if head else (None, integrity.GENESIS)


def _sqlite_group_intact(  # noqa: PLR0911 (each check its own early answer)
    *,
    low: int,
    high: int,
    seals: list[tuple],
    previous_id: int | None,
    previous_hash: bytes,
    public_key: bytes,
    key_id: str,
) -> tuple[int, int, bytes] | None:
    """Whether the entries with ids low..high, all covered by `seals` (consecutive, ending at high), are intact:
    (entries, last id, last hash) if so, None if this check cannot tell (then they are checked entry by entry).

    The work is done a group at a time in C: SQLite renders the canonical encodings and joins each column of
    the group into one string, so Python handles a few strings instead of a tuple per entry. Intact means: as
    many entries as links; each link names the one before; each entry's hash over its encoding (which holds
    its id) and the previous hash is its link's; each seal's count, ends, Merkle root, key and signature match.
    """
    entries_sql = (
        "SELECT group_concat(canonical, char(10)), count(*) FROM ("  # noqa: S608 (no user input)
        f"SELECT {_sqlite_canonical()} AS canonical FROM audit_auditentry e "
        "WHERE e.id >= %s AND e.id <= %s ORDER BY e.id)"
    )
    links_sql = (
        "SELECT group_concat(entry_id, ','), group_concat(coalesce(previous_id, ''), ','), "
        "lower(group_concat(hex(hash), ',')) FROM (SELECT entry_id, previous_id, hash FROM audit_chainlink "
        "WHERE entry_id >= %s AND entry_id <= %s ORDER BY entry_id)"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(entries_sql, [low, high])
            encodings, count = cursor.fetchone()
            cursor.execute(links_sql, [low, high])
            link_ids, previous_ids, hashes_hex = cursor.fetchone()
    except DatabaseError:  # a detail that is not JSON, say: the careful check names the entry
        return None
    if not count or link_ids is None:
        return None
    ids = link_ids.split(",")
    cut = link_ids.rfind(",")
    expected = ("" if previous_id is None else str(previous_id)) + ("," + link_ids[:cut] if cut >= 0 else "")
    # A canonical encoding holds no raw newline (JSON escapes it), so the split gives one per entry.
    encodings, hashes = encodings.split("\n"), hashes_hex.split(",")
    if previous_ids != expected or len(ids) != count or len(encodings) != count or len(hashes) != count:
        return None
    raw = bytes.fromhex(hashes_hex.replace(",", ""))
    leaves = [raw[at : at + 32] for at in range(0, len(raw), 32)]
    # Each encoding holds its entry's id, so hashes equal to the links' in order also mean the entries' ids
    # are the links' ids.
    sha256 = integrity._sha256
    computed = [
        sha256(f'{encoding[:-1]},"{previous}"]'.encode()).digest()
        for encoding, previous in zip(encodings, [previous_hash.hex(), *hashes[:-1]], strict=True)
    ]
    if computed != leaves:
        return None
    offset = 0
    for seal in seals:
        first, last, entries = seal[:3]
        if offset + entries > count or ids[offset] != str(first) or ids[offset + entries - 1] != str(last):
            return None
        if not _seal_matches(seal=seal, leaves=leaves[offset : offset + entries], public_key=public_key, key_id=key_id):
            return None
        offset += entries
    if offset != count:
        return None
    return count, int(ids[-1]), leaves[-1]


def _entries_verify(*, from_id: int | None = None, to_id: int | None = None) -> Verification:  # noqa: C901
    """`chain_verify` entry by entry. Rows are streamed as plain tuples and, on SQLite, arrive already encoded:
    the loop below is the hot path on PostgreSQL (docs/audit.md, "Speed")."""
    result = Verification()
    frontier = ChainLink.objects.aggregate(m=Max("entry_id"))["m"] or 0
    last_entry = AuditEntry.objects.aggregate(m=Max("id"))["m"] or 0
    low, high = from_id or 0, to_id if to_id is not None else max(frontier, last_entry)
    seals = list(
        Seal.objects.filter(last_entry_id__gte=low, first_entry_id__lte=high)
        .order_by("last_entry_id")
        .values_list("first_entry_id", "last_entry_id", "entries", "root", "signed_at", "key_id", "signature")
    )
    if seals:
        low, high = min(low, seals[0][0]), max(high, seals[-1][1])
    head = ChainLink.objects.filter(entry_id__lt=low).order_by("-entry_id").values_list("entry_id", "hash").first()
    previous_id, previous_hash = (head[0], bytes(head[1])) if head else (None, integrity.GENESIS)
    # Links whose entry is gone: rare, so found apart and merged into the stream by id.
    orphan = (
        ChainLink.objects.filter(entry_id__gte=low, entry_id__lte=high)
        .exclude(entry_id__in=AuditEntry.objects.filter(id__gte=low, id__lte=high).values("id"))
        .order_by("entry_id")
        .values_list("entry_id", flat=True)
        .first()
    )
    no_more = high + 1
    orphan = no_more if orphan is None else orphan
    public_key = public_key_bytes()
    key_id = integrity.key_id(public_key)
    seal_index, leaves = 0, []
    seal_first, seal_last = (seals[0][0], seals[0][1]) if seals else (no_more, no_more)
    fast = connection.vendor == "sqlite"
    normalise = _normaliser()
    encode, sha256, version = integrity._encode, integrity._sha256, integrity.ENTRY_VERSION
    rows = (
        _sqlite_rows(low, high)
        if fast
        else _stream(
            f"SELECT e.id, l.previous_id, l.hash, {_columns()} FROM audit_auditentry e "  # noqa: S608 (no user input)
            "LEFT JOIN audit_chainlink l ON l.entry_id = e.id WHERE e.id >= %s AND e.id <= %s ORDER BY e.id",
            [low, high],
        )
    )
    checked = 0
    for row in rows:
        entry_id, link_previous, link_hash = row[0], row[1], row[2]
        if entry_id > orphan:
            return _fail(
                result, checked=checked, entry_id=orphan, kind="deleted", problem=f"entry {orphan} was deleted"
            )
        if link_hash is None:
            if entry_id <= frontier:
                return _fail(
                    result,
                    checked=checked,
                    entry_id=entry_id,
                    kind="inserted",
                    problem=f"entry {entry_id} was inserted: it sits inside the chain but is not part of it",
                )
            result.unchained += 1
            continue
        if link_previous != previous_id:
            if link_previous is not None and (previous_id is None or link_previous > previous_id):
                return _fail(
                    result,
                    checked=checked,
                    entry_id=link_previous,
                    kind="deleted",
                    problem=f"entry {link_previous} was deleted (with its chain link)",
                )
            return _fail(
                result,
                checked=checked,
                entry_id=previous_id,
                kind="inserted",
                problem=f"entry {previous_id} was inserted",
            )
        if fast:
            digest = sha256((row[3][:-1] + ',"' + previous_hash.hex() + '"]').encode()).digest()
        else:
            digest = sha256(encode([version, *normalise(row[3:]), previous_hash.hex()]).encode()).digest()
        link_hash = bytes(link_hash)
        if digest != link_hash and not (fast and _entry_matches(entry_id, previous_hash, link_hash)):
            fields = entry_rows(after_id=entry_id - 1, up_to_id=entry_id, limit=1)[0]
            moved_from = _reordered_from(fields, entry_id)
            if moved_from is not None:
                return _fail(
                    result,
                    checked=checked,
                    entry_id=entry_id,
                    kind="reordered",
                    problem=f"entry {entry_id} was reordered: it holds the content of entry {moved_from}",
                )
            return _fail(
                result, checked=checked, entry_id=entry_id, kind="altered", problem=f"entry {entry_id} was altered"
            )
        previous_id, previous_hash = entry_id, link_hash
        checked += 1
        if entry_id >= seal_first:
            if entry_id > seal_last:
                return _fail(
                    result,
                    checked=checked,
                    entry_id=seal_last,
                    kind="deleted",
                    problem=f"entry {seal_last} was deleted",
                )
            leaves.append(link_hash)
            if entry_id == seal_last:
                first, last = seals[seal_index][:2]
                if not _seal_matches(seal=seals[seal_index], leaves=leaves, public_key=public_key, key_id=key_id):
                    return _fail(
                        result,
                        checked=checked,
                        entry_id=first,
                        kind="seal",
                        problem=f"the seal over entries {first}-{last} does not match them or its signature",
                    )
                seal_index, leaves = seal_index + 1, []
                seal_first, seal_last = (
                    (seals[seal_index][0], seals[seal_index][1]) if seal_index < len(seals) else (no_more, no_more)
                )
    result.checked, result.seals = checked, seal_index
    if orphan != no_more:
        return _fail(result, entry_id=orphan, kind="deleted", problem=f"entry {orphan} was deleted")
    if seal_index < len(seals):
        return _fail(result, entry_id=seal_last, kind="deleted", problem=f"entry {seal_last} was deleted")
    return result


def _verify_part(bounds: tuple[int | None, int | None]) -> Verification:
    return chain_verify(from_id=bounds[0], to_id=bounds[1])


def chain_verify_parallel(*, from_id: int | None = None, to_id: int | None = None, processes: int = 2) -> Verification:
    """`chain_verify` split at seal boundaries over several processes (each checks whole seals, linked to the
    part before by the stored hash of its last link); the first problem of the earliest part wins."""
    seals = list(
        Seal.objects.filter(last_entry_id__gte=from_id or 0)
        .filter(first_entry_id__lte=to_id if to_id is not None else 2**62)
        .order_by("last_entry_id")
        .values_list("last_entry_id", "entries")
    )
    total = sum(count for _last, count in seals)
    if processes < 2 or len(seals) < processes or connection.in_atomic_block:
        return chain_verify(from_id=from_id, to_id=to_id)
    parts, start, running = [], from_id, 0
    for last, count in seals[:-1]:
        running += count
        if running >= total * (len(parts) + 1) / processes:
            parts.append((start, last))
            start = last + 1
    parts.append((start, to_id))
    connections.close_all()  # each process opens its own connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(_verify_part, parts)
    combined = Verification(
        checked=sum(r.checked for r in results),
        unchained=results[-1].unchained,
        seals=sum(r.seals for r in results),
    )
    for result in results:
        if not result.ok:
            result.checked = combined.checked
            return result
    return combined


def entry_proof(*, entry_id: int) -> dict:
    """An inclusion proof for one entry: its canonical encoding, the Merkle path from its hash to the
    root of the seal over it, and the signed seal statement (verified offline, see docs/audit.md)."""
    link = ChainLink.objects.filter(entry_id=entry_id).values_list("previous_id", "hash").first()
    seal = Seal.objects.filter(first_entry_id__lte=entry_id, last_entry_id__gte=entry_id).first()
    if link is None or seal is None:
        raise NotFound("This audit entry does not exist or is not sealed yet.")
    previous_id, stored_hash = link
    previous_hash = integrity.GENESIS
    if previous_id is not None:
        previous_hash = bytes(ChainLink.objects.values_list("hash", flat=True).get(entry_id=previous_id))
    rows = entry_rows(after_id=entry_id - 1, up_to_id=entry_id, limit=1)
    if not rows:
        raise Conflict(f"Audit entry {entry_id} is chained but missing: run `digigov audit verify`.")
    canonical = integrity.entry_canonical(rows[0], previous_hash)
    if integrity._sha256(canonical).digest() != bytes(stored_hash):
        raise Conflict(f"Audit entry {entry_id} does not match its chain link: run `digigov audit verify`.")
    leaves = [
        bytes(h)
        for h in ChainLink.objects.filter(entry_id__gte=seal.first_entry_id, entry_id__lte=seal.last_entry_id)
        .order_by("entry_id")
        .values_list("hash", flat=True)
    ]
    ids = list(
        ChainLink.objects.filter(entry_id__gte=seal.first_entry_id, entry_id__lte=seal.last_entry_id)
        .order_by("entry_id")
        .values_list("entry_id", flat=True)
    )
    statement = integrity.seal_statement(
        first_entry_id=seal.first_entry_id,
        last_entry_id=seal.last_entry_id,
        entries=seal.entries,
        root=bytes(seal.root),
        signed_at=integrity.datetime_text(seal.signed_at),
        key_id=seal.key_id,
    )
    return {
        "entry": dict(zip(integrity.FIELDS, rows[0], strict=True)),
        "canonical": canonical.decode(),
        "entry_hash": bytes(stored_hash).hex(),
        "path": integrity.merkle_path(leaves, ids.index(entry_id)),
        "seal": {
            "statement": statement.decode(),
            "signature": integrity.b64(bytes(seal.signature)),
            "public_key": integrity.b64(public_key_bytes()),
        },
    }


def proof_json(*, entry_id: int) -> str:
    return json.dumps(entry_proof(entry_id=entry_id), indent=2, ensure_ascii=False)
