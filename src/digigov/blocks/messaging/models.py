import uuid

from django.db import models


class Template(models.Model):
    """A message template; `{{ name }}`-style placeholders are filled from the event's context."""

    key = models.SlugField(max_length=80)
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "language"], name="template_key_language_once")]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    template_key = models.SlugField(max_length=80)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, default="")
    source_event_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_event_id", "template_key"], name="message_once_per_event")
        ]
        indexes = [models.Index(fields=["person", "-created_at"], name="message_person_idx")]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    class Channel(models.TextChoices):
        INBOX = "inbox"
        EMAIL = "email"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["message", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"
