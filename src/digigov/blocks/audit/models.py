import json

from django.db import models


class DetailEncoder(json.JSONEncoder):
    """Stores details as the canonical encoding has them (docs/audit.md): keys sorted, non-ASCII characters as
    they are instead of \\u escapes. SQLite then renders an entry's canonical encoding itself, and `audit
    verify` clears the entry in its fast group check instead of checking its group again entry by entry."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        kwargs["sort_keys"] = True
        super().__init__(*args, **kwargs)


class AuditEntry(models.Model):
    """One write or one read of personal data. Append-only: the model refuses updates and deletes, and on
    PostgreSQL a trigger refuses them in the database too."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=200)
    agency_code = models.CharField(max_length=20, blank=True, default="")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True, encoder=DetailEncoder)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only")


class ChainLink(models.Model):
    """The hash chaining one audit entry to the one before it (docs/audit.md). Kept apart from AuditEntry so
    entries are written by a plain insert and chained later by the worker; append-only like the entries.
    No foreign key to the entry on purpose: a deleted entry must leave its link behind as evidence."""

    entry_id = models.BigIntegerField(primary_key=True)
    previous_id = models.BigIntegerField(null=True, blank=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"link {self.entry_id} <- {self.previous_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Chain links are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Chain links are append-only")


class Seal(models.Model):
    """A signed Merkle root over the chain hashes of entries first_entry_id..last_entry_id (a batch)."""

    first_entry_id = models.BigIntegerField()
    last_entry_id = models.BigIntegerField(unique=True)
    entries = models.PositiveIntegerField()
    root = models.BinaryField(max_length=32)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.BinaryField(max_length=64)

    def __str__(self) -> str:
        return f"seal {self.first_entry_id}-{self.last_entry_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Seals are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Seals are append-only")
