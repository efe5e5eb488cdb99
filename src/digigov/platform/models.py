"""The transactional outbox: events written in the same transaction as the state change they announce."""

import uuid

from django.db import models


class Event(models.Model):
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=100)  # not indexed: the worker reads pending events in id order, never by type
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


class DataKeyState(models.TextChoices):
    PRIMARY = "primary", "Primary: encrypts new values"
    ACTIVE = "active", "Active: still decrypts values written under it"
    RETIRED = "retired", "Retired: no value uses it; key material destroyed"


class DataKey(models.Model):
    """An AES-256 data key, stored only wrapped by a key-encryption key (see platform/keys.py).

    The id is random, not a sequence: it is written into every ciphertext, and a rolled-back or restored
    key must never share an id with another key's ciphertexts."""

    id = models.PositiveIntegerField(primary_key=True)
    wrapped = models.BinaryField()
    kek_id = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=DataKeyState.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    demoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=models.Q(state="primary"), name="one_primary_data_key")
        ]

    def __str__(self) -> str:
        return f"data key {self.id} ({self.state})"


class KeyRotation(models.Model):
    """A data-key rotation in progress or done: `watermarks` holds, per encrypted column, the last row id
    re-encrypted, so an interrupted rotation resumes where it stopped."""

    target_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    watermarks = models.JSONField(default=dict)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rotation to data key {self.target_key_id}"
