"""The transactional outbox: events written in the same transaction as the state change they announce."""

import uuid

from django.db import models


class Event(models.Model):
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["dispatched_at", "failed_at", "id"], name="event_pending_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class EventHandled(models.Model):
    """One row per (event, subscriber) once the subscriber's effect is committed: the idempotency key
    that makes at-least-once delivery take effect exactly once."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="handled")
    subscriber = models.CharField(max_length=100)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="event_handled_once")]

    def __str__(self) -> str:
        return f"{self.subscriber} handled {self.event_id}"
