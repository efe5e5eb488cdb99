import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class LifeEvent(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    summary = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    summary = models.TextField()
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="services")
    life_events = models.ManyToManyField(LifeEvent, related_name="services", blank=True)
    fee_cents = models.PositiveIntegerField(default=0)
    sla_days = models.PositiveSmallIntegerField()
    audience = models.CharField(max_length=20, default="citizen")  # citizen / business
    purpose = models.TextField(help_text="Why the service needs the data it asks for; shown on the consent screen.")
    offers_e_payment = models.BooleanField(default=True)
    offers_e_signature = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    # The rules scheme (rules/schemes.py) checked when a citizen applies; blank for services no scheme decides.
    scheme_key = models.CharField(max_length=40, blank=True, default="")
    # Approve at once an application the scheme finds eligible on verified data alone (an officer can reverse it).
    auto_decide = models.BooleanField(default=False)
    # Codes of agencies whose calling systems may apply for a person (GovStack Registration), besides the service's
    # own agency: e.g. the birth registry for Baby Bonus. Nobody else's systems may.
    accepts_submissions_from = models.JSONField(default=list, blank=True)
    # Stable public identifiers for partner systems (GovStack Registration: serviceId, eFormId); the integer
    # key stays internal. The e-form is the service's FormField rows, versioned on each change of them.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    eform_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    eform_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    DATE = "date", _("Date")
    INTEGER = "integer", _("Whole number")
    MONEY = "money", _("Amount of money")
    CHOICE = "choice", _("Choice")
    YESNO = "yesno", _("Yes or no")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class FormField(models.Model):
    """One question of a service's e-form. A field that names a data element can be pre-filled with the
    verified value from the registries, after the applicant consents."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    hint = models.CharField(max_length=300, blank=True, default="")
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    data_element = models.ForeignKey(
        "registries.DataElement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True)  # [[value, label], ...]
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["service", "key"], name="form_field_key_once")]

    def __str__(self) -> str:
        return self.key


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Being reviewed")
    MORE_INFO = "more_info", _("More information needed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=30, unique=True, null=True, blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    # {field_key: {"value": ..., "source": "verified" | "entered", "agency": code, "verified_at": iso}}
    answers = models.JSONField(default=dict)
    prefill_decision = models.CharField(max_length=10, blank=True, default="")  # granted / refused / ""
    consent_grant_id = models.UUIDField(null=True, blank=True)
    channel = models.CharField(max_length=20, default="online")  # online / counter
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # The calling system that submitted the application on the applicant's behalf (GovStack Registration);
    # null when the person applied themselves.
    submitted_by = models.ForeignKey(
        "identity.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The business the person applied for, acting for it (identity's business access, docs/identity.md);
    # null when they applied for themselves.
    business = models.ForeignKey(
        "registries.Business", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    info_request = models.TextField(blank=True, default="")
    decision_reason = models.TextField(blank=True, default="")
    # The scheme check made on submission (rules/eligibility.py EligibilityResult.as_dict()); {} when none.
    eligibility = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["applicant", "-created_at"], name="application_applicant_idx")]

    def __str__(self) -> str:
        return self.reference or f"Draft {self.pk}"

    @property
    def is_prefilled(self) -> bool:
        return any(answer.get("source") == "verified" for answer in self.answers.values())

    @property
    def is_decided(self) -> bool:
        return self.status in {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}


class ApplicationStep(models.Model):
    """The status timeline the applicant sees."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M}"


class ReferenceCounter(models.Model):
    prefix = models.CharField(max_length=30, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class Rating(models.Model):
    """Satisfaction asked after a transaction completes, on the Blueprint's 6-point scale."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=6), name="rating_1_to_6")]

    def __str__(self) -> str:
        return f"{self.score}/6"


class ScanStatus(models.TextChoices):
    CLEAN = "clean", _("No threat found")
    INFECTED = "infected", _("Threat found")


# Associated data of a document's encrypted bytes, with the document's id (platform.crypto.row_context).
DOCUMENT_CONTEXT = b"services.document"


class Document(models.Model):
    """A file uploaded for an application (GovStack Registration: POST /documents). It is uploaded first and
    attached when the application that names it is submitted. Its bytes are kept in the row, encrypted and bound
    to it (DOCUMENT_CONTEXT). An infected upload is refused: its bytes are never stored, its row stays as the
    record of the attempt (scan_status "infected", empty content) and can never be attached."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    owner = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_encrypted = models.BinaryField(default=b"")
    scan_status = models.CharField(max_length=20, choices=ScanStatus.choices)
    scanner = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-uploaded_at"], name="document_owner_idx")]

    def __str__(self) -> str:
        return self.filename
