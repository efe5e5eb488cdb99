import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Waiting to be picked up")
    CLAIMED = "claimed", _("Being worked on")
    WAITING = "waiting", _("Waiting for the applicant")
    DONE = "done", _("Done")


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField("services.Application", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assignee = models.ForeignKey("identity.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "status", "due_at"], name="task_queue_idx")]

    def __str__(self) -> str:
        return f"Task {self.pk} ({self.status})"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        REQUEST_INFO = "request_info", _("Ask for more information")
        REVERSE = "reverse", _("Reverse an automatic approval")

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(blank=True, default="")
    # Null for a decision the platform made on its own (automatic), from the rules.
    decided_by = models.ForeignKey(
        "identity.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    automatic = models.BooleanField(default=False)
    # The rules (rules.eligibility.rules_version) an automatic decision was made under.
    rules_version = models.CharField(max_length=80, blank=True, default="")
    # For a reversal: the automatic decision it reverses.
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal")

    def __str__(self) -> str:
        return f"{self.outcome} by {self.decided_by_id or 'the platform'}"
