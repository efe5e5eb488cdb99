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
            # One event may message many people (a scan's offers), each once; message_create still makes one
            # message per (event, template) for events about one person.
            models.UniqueConstraint(
                fields=["source_event_id", "template_key", "person"], name="message_once_per_event_and_person"
            )
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
    # A worker claims a pending email before it talks to the relay (DIGIGOV_MESSAGING_SEND_LEASE_SECONDS); another
    # worker that got the same event skips it until the claim lapses, which it does only if the first worker died.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["message", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class SendRequest(models.Model):
    """A calling system's request to send one message to one or many recipients: GovStack Messaging's single
    and batch email, and DigiGov's own message API. Its id is the `requestUid` the caller tracks it by."""

    class Kind(models.TextChoices):
        SINGLE = "single"  # GovStack /send/email/single
        BATCH = "batch"  # GovStack /send/email/batch
        MESSAGE = "message"  # DigiGov's message API: templates, channels, personalisation

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A retried request with the same key returns the first request; `fingerprint` (a hash of what was asked)
    # tells a retry apart from a different request that reuses a key by mistake.
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    fingerprint = models.CharField(max_length=64)
    sender = models.JSONField(default=dict, blank=True)  # GovStack senderInfo: organisation, on behalf of, reply-to
    template_key = models.SlugField(max_length=80, blank=True, default="")
    send_at = models.DateTimeField(null=True, blank=True)
    callback_url = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                name="send_request_key_once",
            )
        ]
        indexes = [models.Index(fields=["agency", "-created_at"], name="send_request_agency_idx")]

    def __str__(self) -> str:
        return f"{self.kind} request {self.pk}"


class Dispatch(models.Model):
    """One recipient on one channel of a send request: the unit that is sent, retried and reported on."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"
        INBOX = "inbox"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"  # waits for the request's send_at
        PENDING = "pending"  # due: queued for the worker, or being retried
        SENT = "sent"  # accepted by the SMTP relay / SMS provider, or put in the inbox
        FAILED = "failed"  # given up after retries, or nowhere to send it
        BOUNCED = "bounced"  # the relay or provider refused the address itself

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(SendRequest, on_delete=models.CASCADE, related_name="dispatches")
    position = models.PositiveIntegerField()  # the recipient's place in the request
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=200, blank=True, default="")  # email address or phone number
    copies = models.JSONField(default=dict, blank=True)  # email only: {"cc": [...], "bcc": [...]}
    name = models.CharField(max_length=200, blank=True, default="")
    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=200, blank=True, default="")  # rendered for this recipient
    body = models.TextField()
    send_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    provider_ref = models.CharField(max_length=100, blank=True, default="")  # e.g. the SMS provider's message id
    claimed_until = models.DateTimeField(null=True, blank=True)  # as Delivery.claimed_until
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "dispatches"
        constraints = [
            models.UniqueConstraint(fields=["request", "position", "channel"], name="dispatch_once_per_channel")
        ]
        indexes = [models.Index(fields=["status", "send_at"], name="dispatch_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class Reply(models.Model):
    """A reply to a sent request (an answered email), posted to the GovStack callback endpoint."""

    request = models.ForeignKey(SendRequest, on_delete=models.CASCADE, related_name="replies")
    received_from = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    meta = models.CharField(max_length=500, blank=True, default="")
    content = models.BinaryField()  # the decoded content: the spec leaves its format to the client
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"reply to {self.request_id}"


class CallbackEndpoint(models.Model):
    """Where a calling system receives delivery status callbacks, and the secret they are signed with. The
    secret is kept encrypted, and shown to the system once, when the endpoint is set."""

    account = models.OneToOneField("identity.Account", on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=500)
    secret_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url
