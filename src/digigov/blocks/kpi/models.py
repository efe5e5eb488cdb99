from django.db import models


class TransactionEvent(models.Model):
    """One step of one transaction, as the KPIs count it. Denormalised on purpose: KPI queries group by
    agency and service without joining the operational tables, and the rows copy cleanly to columnar files."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted"
        DECIDED = "decided"
        RATED = "rated"

    source_event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    application_id = models.UUIDField(db_index=True)
    agency_code = models.CharField(max_length=20)
    service_slug = models.CharField(max_length=60)
    audience = models.CharField(max_length=20, default="citizen")
    channel = models.CharField(max_length=20, default="online")
    prefilled = models.BooleanField(null=True)
    digital_end_to_end = models.BooleanField(null=True)
    outcome = models.CharField(max_length=20, blank=True, default="")
    seconds_to_decision = models.PositiveIntegerField(null=True)
    satisfaction = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "agency_code", "service_slug"], name="kpi_event_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.service_slug} {self.occurred_at:%Y-%m-%d}"


class KpiExclusion(models.Model):
    """A recorded reason to leave a service (or, with no service, a group of people the platform's data cannot
    single out) out of one KPI, e.g. a law that requires a wet-ink signature. Listed next to the figure."""

    kpi_id = models.CharField(max_length=40, db_index=True)
    service_slug = models.CharField(max_length=60, blank=True, default="")
    reason = models.TextField()
    legal_reference = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kpi_id", "service_slug", "id"]

    def __str__(self) -> str:
        return f"{self.kpi_id} excludes {self.service_slug or 'a group of people'}"
