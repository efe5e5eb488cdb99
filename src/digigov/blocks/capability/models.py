"""The government's own capability: its workforce and their digital skills, its IT systems and where they are
hosted, and its cross-agency data projects. The Blueprint's officer, cloud and project KPIs are counted from these.

Agencies are referred to by code (the registries block owns agencies). Staff are held by staff number only:
these records exist to count skills, not to profile people."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffMember(models.Model):
    """One public officer on the establishment, with the dates their basic digital literacy and data-analytics
    skills were first certified (copied from their first qualifying training, so counts need no join)."""

    staff_number = models.CharField(max_length=20, unique=True)
    agency_code = models.CharField(max_length=20, db_index=True)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    digital_literacy_on = models.DateField(null=True, blank=True)
    data_analytics_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["staff_number"]

    def __str__(self) -> str:
        return self.staff_number


class Skill(models.TextChoices):
    DIGITAL_LITERACY = "digital_literacy", _("Basic digital literacy")
    DATA_ANALYTICS = "data_analytics", _("Data analytics")
    DATA_SCIENCE = "data_science", _("Data science")


class Training(models.Model):
    """A course an officer completed and passed."""

    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="trainings")
    skill = models.CharField(max_length=20, choices=Skill.choices)
    course = models.CharField(max_length=200)
    completed_on = models.DateField()

    class Meta:
        ordering = ["completed_on", "id"]

    def __str__(self) -> str:
        return f"{self.staff_member_id} {self.skill} {self.completed_on}"


class Hosting(models.TextChoices):
    ON_PREMISES = "on_premises", _("Agency data centre")
    GOVERNMENT_CLOUD = "government_cloud", _("Government private cloud")
    COMMERCIAL_CLOUD = "commercial_cloud", _("Commercial cloud")


class System(models.Model):
    """An IT system in the inventory. Its data classification (the highest of the data it holds, on the same
    scale as the data-standards catalogue) decides whether it may run on commercial cloud."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    agency_code = models.CharField(max_length=20, db_index=True)
    classification = models.CharField(max_length=20)
    hosting = models.CharField(max_length=20, choices=Hosting.choices)
    commercial_cloud_since = models.DateField(null=True, blank=True)
    commissioned_on = models.DateField()
    retired_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["agency_code", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hosting="commercial_cloud", commercial_cloud_since__isnull=False)
                | (~models.Q(hosting="commercial_cloud") & models.Q(commercial_cloud_since__isnull=True)),
                name="capability_system_cloud_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ProjectKind(models.TextChoices):
    AI = "ai", _("Artificial intelligence")
    ANALYTICS = "analytics", _("Data analytics")


class DataProject(models.Model):
    """A cross-agency AI or data-analytics project, and when the core data it needed was asked for and when it
    was fused and shared with the project team."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ProjectKind.choices)
    lead_agency_code = models.CharField(max_length=20)
    agency_codes = models.JSONField(default=list)  # every agency taking part, the lead included
    started_on = models.DateField()
    data_requested_on = models.DateField(null=True, blank=True)
    data_shared_on = models.DateField(null=True, blank=True)
    fusion_working_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["started_on", "code"]

    def __str__(self) -> str:
        return self.code
