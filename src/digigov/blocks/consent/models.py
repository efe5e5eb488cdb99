import uuid

from django.db import models


class ConsentGrant(models.Model):
    """A person's answer to one request to share verified data: which elements, with whom, for what."""

    class Decision(models.TextChoices):
        GRANTED = "granted"
        REFUSED = "refused"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    requester_agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    purpose_ref = models.CharField(max_length=100)  # e.g. "service:baby-bonus"
    purpose = models.TextField()
    elements = models.JSONField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.decision} {self.purpose_ref} ({len(self.elements)} elements)"


class AccessRecord(models.Model):
    """One read of a person's data by someone other than that person: who, for which agency, what, why."""

    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    accessor_id = models.BigIntegerField(null=True, blank=True)
    accessor_label = models.CharField(max_length=200)
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    service_ref = models.CharField(max_length=100, blank=True, default="")
    elements = models.JSONField()
    purpose = models.TextField()
    legal_basis = models.CharField(max_length=200, blank=True, default="")
    consent_grant = models.ForeignKey(ConsentGrant, on_delete=models.PROTECT, null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    # An investigation may keep its reads from the person until this date, so as not to tip them off;
    # the investigating officer must give the reason, which auditors (not the person) can see meanwhile.
    hidden_until = models.DateField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["person", "-accessed_at"], name="access_person_idx")]
        constraints = [
            # Every read states its ground: a legal basis, or the person's own consent.
            models.CheckConstraint(
                condition=~models.Q(legal_basis="") | models.Q(consent_grant__isnull=False),
                name="access_has_basis_or_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(hidden_until__isnull=True) | ~models.Q(hidden_reason=""),
                name="access_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accessor_label} for {self.agency_id} at {self.accessed_at:%Y-%m-%d %H:%M}"


class PopulationAccess(models.Model):
    """One run over the whole population's data for a stated purpose (a rules scan, a policy simulation).

    Recorded once per run rather than once per person, and shown to every person in "who accessed my data":
    everyone in the registries was part of the run.
    """

    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    accessor_id = models.BigIntegerField(null=True, blank=True)
    accessor_label = models.CharField(max_length=200)
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    elements = models.JSONField()
    purpose = models.TextField()
    legal_basis = models.CharField(max_length=200)
    persons_count = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.accessor_label} for {self.agency_id}: {self.purpose}"
