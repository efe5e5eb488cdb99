import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scan(models.Model):
    """One proactive run of every scheme over the whole population, as of a date.

    The population is split into chunks of whole households when the scan starts; each chunk's result is kept
    as it finishes, so a scan that stops part way resumes with the chunks still to do.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")

    as_of = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    chunk_size = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    persons_count = models.PositiveIntegerField(default=0)
    eligible_count = models.PositiveIntegerField(default=0)  # (person, scheme) pairs eligible
    offers_count = models.PositiveIntegerField(default=0)
    # The scan whose results this one is compared with: the latest completed scan when this one started.
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"scan {self.pk} as of {self.as_of} ({self.status})"


class ScanChunk(models.Model):
    """A slice of the population (household ids, or ids of people in no household) and, once done, the
    eligibility of each of its people.

    The result is two packed arrays rather than a row per person and scheme: at a million people and a dozen
    schemes that would be twelve million rows to write and read back on every scan, where this is about ten
    megabytes the next scan compares with in memory.
    """

    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("Households")
        LONE_PERSONS = "lone_persons", _("People in no household")

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    persons_count = models.PositiveIntegerField(default=0)
    offers_count = models.PositiveIntegerField(default=0)
    # numpy .npz: person_id (int64) and eligible (one bit per scheme, in schemes.SCHEMES order).
    result = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["scan", "index"]
        constraints = [models.UniqueConstraint(fields=["scan", "index"], name="scan_chunk_index_once")]

    def __str__(self) -> str:
        return f"chunk {self.index} of scan {self.scan_id}"


class Offer(models.Model):
    """A person found eligible for a scheme they were not eligible for before, invited to apply."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        APPLIED = "applied", _("Applied")
        DISMISSED = "dismissed", _("Dismissed")

    # A first scan writes a million offers in one go. The database's foreign-key checks would look up the
    # person, service and scan of every row (on PostgreSQL a trigger per row and key at commit: 12 µs a row for
    # two keys, measured), only to repeat what the scan guarantees: it writes ids it has just read, and people
    # are never deleted (other blocks' rows PROTECT them). So the keys are not constrained in the database.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("registries.Person", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    scheme_key = models.CharField(max_length=60)
    # Only the person is looked up by; fewer indexes keep a scan's bulk insert of offers quick.
    service = models.ForeignKey(
        "services.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    scan = models.ForeignKey(
        Scan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OFFERED)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The back office lists a scan's offers scheme by scheme (views_offers.py). Keys grow at the end of
        # each scheme's range as a scan appends its time-ordered ids, so the scan's bulk insert stays cheap.
        indexes = [models.Index(fields=["scan", "scheme_key", "id"], name="offer_scan_scheme_idx")]
        constraints = [
            # Repeating a scan, or resuming one, never offers the same scheme twice while an offer is open.
            models.UniqueConstraint(
                fields=["person", "scheme_key"], condition=Q(status="offered"), name="offer_open_once"
            ),
        ]

    def __str__(self) -> str:
        return f"offer of {self.scheme_key} to person {self.person_id}"


class SimulationRun(models.Model):
    """A policy simulation an officer asked for: queued when the reform is submitted, computed by the worker
    (`rules.simulation_requested`), its tables written as files under the warehouse (`result_id` names their
    folder) and its totals kept here for the list of runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        "identity.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reform_name = models.CharField(max_length=200)
    reform_text = models.TextField()
    as_of = models.DateField(null=True, blank=True)  # as asked for; empty: when every change is in force
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_id = models.CharField(max_length=40, blank=True, default="")  # simulation.RUN_ID, once done
    summary = models.JSONField(default=dict, blank=True)  # simulation.py's summary.json, once done
    error = models.TextField(blank=True, default="")  # why it failed, for the officer

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "-created_at"], name="simulation_run_agency_idx")]

    def __str__(self) -> str:
        return f"simulation {self.pk} of {self.reform_name} ({self.status})"
