"""Audit writes: appending entries (every block, inside its own transaction) and, in the worker, chaining
and sealing them (docs/audit.md)."""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from digigov.blocks.audit import integrity, queries
from digigov.blocks.audit.models import AuditEntry, ChainLink, Seal
from digigov.blocks.audit.sealing import current_key_id, sealing_key
from digigov.platform.request_context import request_id_get

# pg_advisory_xact_lock key: one chainer at a time even when several workers run.
_CHAIN_LOCK = 0x6175646974  # "audit"
CHAIN_BATCH = 20_000  # entries chained by one pass at most


def entry_record(
    *, actor: Any, action: str, object_type: str, object_id: Any, detail: dict | None = None
) -> AuditEntry:
    """Append one audit entry. `actor` is an Account, or None for the platform itself (worker, seed).
    Only an insert: the worker chains and seals entries shortly after they commit, so that requests never
    queue behind each other for the chain's head."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        actor_id, label, agency = None, "system", ""
    else:
        actor_id = actor.pk
        label = f"person:{actor.person_id}" if actor.kind == "person" else actor.username
        agency = actor.agency.code if actor.agency_id else ""
    return AuditEntry.objects.create(
        actor_id=actor_id,
        actor_label=label,
        agency_code=agency,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        request_id=request_id_get(),
        detail=detail or {},
    )


# Transactions that hold a transaction id right now (each holds an exclusive lock on its own id), other than
# the asking one. Cluster-wide, which is only ever more cautious.
_RUNNING_XIDS = (
    "SELECT transactionid::text FROM pg_locks WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' "
    "AND granted AND pid <> pg_backend_pid()"
)


@dataclass
class ChainHorizon:
    """How far the chain may safely extend: the highest entry id below which no entry can still commit.

    Ids come from a sequence, so a transaction may draw id 100, stay open, and commit after id 101 has.
    Chaining 101 first would leave 100 outside the chain for good (verify would call it inserted). On SQLite
    writers hold the write lock from BEGIN to COMMIT, so entries commit in id order and the visible maximum
    is safe. On PostgreSQL the worker (1) notes the visible maximum id M, (2) after `settle_seconds` notes
    the transactions then running (a transaction that drew an id <= M has by then been given its
    transaction id: the id is drawn and the transaction id assigned within the same INSERT statement), and
    (3) chains up to M once all of those have ended. A worker keeps one horizon for its lifetime."""

    settle_seconds: float = 1.0
    observed_max_id: int | None = None
    observed_at: float = 0.0
    waiting_for: frozenset[str] | None = None
    settled_max_id: int = 0

    def advance(self) -> int:
        if connection.vendor != "postgresql":
            self.settled_max_id = AuditEntry.objects.aggregate(m=Max("id"))["m"] or 0
            return self.settled_max_id
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM audit_auditentry")
            max_id = cursor.fetchone()[0]
            cursor.execute(_RUNNING_XIDS)
            running = frozenset(xid for (xid,) in cursor.fetchall())
        now = time.monotonic()
        if self.waiting_for is not None and not self.waiting_for & running:
            self.settled_max_id = max(self.settled_max_id, self.observed_max_id)
            self.observed_max_id = self.waiting_for = None
        if self.observed_max_id is None:
            self.observed_max_id, self.observed_at = max_id, now
        elif self.waiting_for is None and now - self.observed_at >= self.settle_seconds:
            self.waiting_for = running
        return self.settled_max_id


def chain_extend(*, up_to_id: int, limit: int = CHAIN_BATCH) -> int:
    """Chain up to `limit` unchained entries with ids <= `up_to_id`, in id order; returns how many."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        head = ChainLink.objects.order_by("-entry_id").values_list("entry_id", "hash").first()
        previous_id, previous_hash = (head[0], bytes(head[1])) if head else (None, integrity.GENESIS)
        if up_to_id <= (previous_id or 0):
            return 0
        links = []
        for row in queries.entry_rows(after_id=previous_id or 0, up_to_id=up_to_id, limit=limit):
            entry_hash = integrity.entry_hash(row, previous_hash)
            links.append(ChainLink(entry_id=row[0], previous_id=previous_id, hash=entry_hash))
            previous_id, previous_hash = row[0], entry_hash
        ChainLink.objects.bulk_create(links, batch_size=2000)
        return len(links)


def seal_create(*, max_entries: int = 10_000) -> Seal | None:
    """Seal the chained entries after the last seal (at most `max_entries`): sign their Merkle root."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        after = Seal.objects.aggregate(m=Max("last_entry_id"))["m"] or 0
        batch = list(
            ChainLink.objects.filter(entry_id__gt=after)
            .order_by("entry_id")
            .values_list("entry_id", "hash")[:max_entries]
        )
        if not batch:
            return None
        root = integrity.merkle_root([bytes(h) for _id, h in batch])
        signed_at = timezone.now()
        key_id = current_key_id()
        statement = integrity.seal_statement(
            first_entry_id=batch[0][0],
            last_entry_id=batch[-1][0],
            entries=len(batch),
            root=root,
            signed_at=integrity.datetime_text(signed_at),
            key_id=key_id,
        )
        return Seal.objects.create(
            first_entry_id=batch[0][0],
            last_entry_id=batch[-1][0],
            entries=len(batch),
            root=root,
            signed_at=signed_at,
            key_id=key_id,
            signature=sealing_key().sign(statement),
        )


def chain_and_seal(*, horizon: ChainHorizon) -> int:
    """The worker's audit step: chain what has settled, then seal it. Returns entries chained."""
    if not settings.DIGIGOV_AUDIT_SEALING:
        return 0
    chained = chain_extend(up_to_id=horizon.advance())
    while seal_create():
        pass
    return chained
