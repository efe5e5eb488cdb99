"""Transactional outbox: publish events with the state change, deliver them at least once, apply each
subscriber's effect exactly once.

A block publishes an event dataclass inside its action's transaction. The worker (`digigov worker`) takes
pending events in order and hands each to every subscriber of its type. A *transactional* subscriber runs
inside a transaction that also inserts (event, subscriber) into EventHandled, so a redelivery after a crash
finds that row and skips. A subscriber that talks to the network (email, webhooks) runs outside any
transaction and must be idempotent on its own state; it is marked handled after it returns.
"""

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from digigov.platform.bulk import ordered_uuids, rows_insert, uuids_for_database
from digigov.platform.models import Event, EventHandled

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Subscriber:
    name: str
    event_type: str
    handler: Callable[[Event], None]
    transactional: bool


_subscribers: dict[str, list[Subscriber]] = {}


def subscribe(*, event_type: str, name: str, transactional: bool = True) -> Callable:
    def register(handler: Callable[[Event], None]) -> Callable[[Event], None]:
        existing = _subscribers.setdefault(event_type, [])
        if all(s.name != name for s in existing):
            existing.append(Subscriber(name=name, event_type=event_type, handler=handler, transactional=transactional))
        return handler

    return register


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def publish(event: Any) -> Event:
    """Write `event` (a dataclass with a class attribute `type`) to the outbox. Call inside the action's
    transaction so the event exists if and only if the state change does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the transaction that makes the change")
    row = Event.objects.create(type=event.type, payload=_jsonable(dataclasses.asdict(event)))
    if settings.DIGIGOV_DELIVER_EVENTS_INLINE:
        transaction.on_commit(dispatch_pending)
    return row


def publish_many(*, event_type: str, payloads: Sequence[str]) -> None:
    """Write many events of one type at once, as `publish` would one by one (a population scan makes hundreds
    of thousands): `payloads` are the events' JSON texts. Call inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish_many() must run inside the transaction that makes the change")
    if not payloads:
        return
    created_at = Event._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    event_ids = uuids_for_database(ordered_uuids(len(payloads)))
    rows_insert(
        model=Event,
        fields=("event_id", "payload", "type", "created_at", "attempts", "last_error"),
        rows=((event_id, payload, event_type, created_at, 0, "") for event_id, payload in zip(
            event_ids, payloads, strict=True)),
    )
    if settings.DIGIGOV_DELIVER_EVENTS_INLINE:
        transaction.on_commit(dispatch_pending)


def _pending_events(*, limit: int) -> list[Event]:
    now = timezone.now()
    query = (
        Event.objects.filter(dispatched_at__isnull=True, failed_at__isnull=True)
        .exclude(next_attempt_at__gt=now)
        .order_by("id")
    )
    if connection.vendor == "postgresql":
        # Several workers may run; each takes a disjoint batch.
        with transaction.atomic():
            return list(query.select_for_update(skip_locked=True)[:limit])
    return list(query[:limit])


def _deliver(*, event: Event, subscriber: Subscriber) -> None:
    if subscriber.transactional:
        try:
            with transaction.atomic():
                EventHandled.objects.create(event=event, subscriber=subscriber.name)
                subscriber.handler(event)
        except IntegrityError:
            if not EventHandled.objects.filter(event=event, subscriber=subscriber.name).exists():
                raise
        return
    if EventHandled.objects.filter(event=event, subscriber=subscriber.name).exists():
        return
    subscriber.handler(event)
    with transaction.atomic():
        EventHandled.objects.get_or_create(event=event, subscriber=subscriber.name)


def dispatch_pending(*, limit: int = 200) -> int:
    """Deliver up to `limit` pending events; returns how many were fully delivered."""
    delivered = 0
    for event in _pending_events(limit=limit):
        try:
            for subscriber in _subscribers.get(event.type, []):
                _deliver(event=event, subscriber=subscriber)
        except Exception as exc:  # a subscriber's failure must not stop other events
            logger.exception("event %s (%s) failed", event.event_id, event.type)
            attempts = event.attempts + 1
            Event.objects.filter(pk=event.pk).update(
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                next_attempt_at=timezone.now() + dt.timedelta(seconds=2**attempts),
                failed_at=timezone.now() if attempts >= MAX_ATTEMPTS else None,
            )
            continue
        Event.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
        delivered += 1
    return delivered


def dispatch_all() -> int:
    """Deliver until nothing is pending (events published by subscribers included). For tests and seeding."""
    total = 0
    while count := dispatch_pending():
        total += count
    return total
