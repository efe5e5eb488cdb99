"""Verified records: the government's single source of truth about people, households, addresses and
businesses, each stamped with the agency that verified it and when."""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40)
    mission = models.TextField(blank=True, default="")

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Classification(models.TextChoices):
    OPEN = "open", _("Open")
    RESTRICTED = "restricted", _("Restricted")
    CONFIDENTIAL = "confidential", _("Confidential")
    SENSITIVE = "sensitive", _("Sensitive")


class DataType(models.TextChoices):
    STRING = "string", _("Text")
    DATE = "date", _("Date")
    INTEGER = "integer", _("Whole number")
    MONEY = "money", _("Amount of money")
    CODE = "code", _("Code from a list")
    BOOLEAN = "boolean", _("Yes or no")
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")


class DataElement(models.Model):
    """A common data standard: one element every agency names, types and classifies the same way."""

    key = models.CharField(max_length=80, unique=True)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    data_type = models.CharField(max_length=20, choices=DataType.choices)
    format = models.CharField(max_length=200, blank=True, default="")
    allowed_values = models.JSONField(default=list, blank=True)
    classification = models.CharField(max_length=20, choices=Classification.choices)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="data_elements")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class HousingType(models.TextChoices):
    PUBLIC_1 = "public_1room", _("Public flat, 1 room")
    PUBLIC_2 = "public_2room", _("Public flat, 2 rooms")
    PUBLIC_3 = "public_3room", _("Public flat, 3 rooms")
    PUBLIC_4 = "public_4room", _("Public flat, 4 rooms")
    PUBLIC_5 = "public_5room", _("Public flat, 5 rooms")
    PUBLIC_EXEC = "public_executive", _("Public flat, executive")
    CONDOMINIUM = "condominium", _("Condominium or private flat")
    LANDED = "landed", _("Landed property")


class Address(models.Model):
    block = models.CharField(max_length=10)
    street = models.CharField(max_length=120)
    unit = models.CharField(max_length=12, blank=True, default="")
    postal_code = models.CharField(max_length=6, db_index=True)
    housing_type = models.CharField(max_length=20, choices=HousingType.choices)
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.block} {self.street}{unit}, Singapore {self.postal_code}"


class Household(models.Model):
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households")
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Household {self.pk}"


class Person(models.Model):
    # Encrypted with platform.crypto, bound to the column and the row (bindings.national_id_of).
    national_id_encrypted = models.BinaryField()
    national_id_index = models.CharField(max_length=64, unique=True)
    full_name = models.CharField(max_length=200)
    sex = models.CharField(max_length=1)  # F / M, as registered at birth registration
    date_of_birth = models.DateField(db_index=True)
    ethnic_group = models.CharField(max_length=20)
    citizenship = models.CharField(max_length=20)  # citizen / permanent_resident / foreigner
    marital_status = models.CharField(max_length=20)
    education = models.CharField(max_length=20)
    employment_status = models.CharField(max_length=20)
    occupation = models.CharField(max_length=80, blank=True, default="")
    # Sensitive (catalogue.py): whole dollars as text, encrypted like the national ID (bindings.monthly_income_of).
    monthly_income_encrypted = models.BinaryField(default=b"")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, related_name="members")
    household_role = models.CharField(max_length=20, default="member")
    mother = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    father = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    email = models.CharField(max_length=200, blank=True, default="")
    mobile = models.CharField(max_length=20, blank=True, default="")
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()
    # Made up by the synthetic nation seed (synthetic.py), not a real resident: the only people sandbox
    # relying parties and sandbox calling systems may reach (docs/identity.md "Sandbox clients").
    synthetic = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.full_name


class Business(models.Model):
    uen = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200)
    entity_type = models.CharField(max_length=40)
    industry = models.CharField(max_length=80)
    registered_on = models.DateField()
    status = models.CharField(max_length=20, default="live")
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="businesses")
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()
    synthetic = models.BooleanField(default=False)  # made up by the synthetic nation seed, as Person.synthetic

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class BusinessRole(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="business_roles")
    role = models.CharField(max_length=20)  # owner / director / employee
    since = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "person", "role"], name="business_role_once")]

    def __str__(self) -> str:
        return f"{self.role} of {self.business_id}"


class RegistryDatabase(models.Model):
    """A registry defined by a JSON Schema (GovStack Digital Registries): an agency's own register of records,
    such as a mother-and-child tracking register. `code` + `version` name it in the data API's paths."""

    code = models.CharField(max_length=40)
    version = models.CharField(max_length=20, default="1.0")
    name = models.CharField(max_length=200, blank=True, default="")
    group_name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    schema = models.JSONField()
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="registry_databases")
    # Counter behind generated record identifiers ("{code}{index}", as the GovStack schema's numberFormat).
    index_increment = models.PositiveIntegerField(default=0)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # Deleted databases keep their row, so their id is never given to another database and the audit
    # entries about them still point somewhere; their records are removed.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Each agency names its own registries; the same code may be used by another agency.
            models.UniqueConstraint(
                "owner_agency",
                Lower("code"),
                "version",
                condition=models.Q(deleted_at__isnull=True),
                name="registry_database_code_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"


class RegistryRecord(models.Model):
    """One record of a schema-defined registry. `key` is its identifier in the registry (the schema's primary
    key field); `person` is set when the record is about a person known to the population register."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    database = models.ForeignKey(RegistryDatabase, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=200, blank=True, default="")
    content = models.JSONField()
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["database", "key"], condition=~models.Q(key=""), name="registry_record_key_once"
            ),
        ]
        indexes = [models.Index(fields=["database", "created_at"], name="registry_record_order_idx")]

    def __str__(self) -> str:
        return self.key or str(self.id)


class RegistrySecret(models.Model):
    """One sensitive or national ID field of a registry record (its schema says `"classification": "sensitive"`
    or `"nationalId": true`), encrypted at rest and bound to this row (platform.crypto); the record's content
    holds the other fields."""

    record = models.ForeignKey(RegistryRecord, on_delete=models.CASCADE, related_name="secrets")
    path = models.TextField()  # the field's path in the content, as a JSON list of names
    value_encrypted = models.BinaryField()
    # Blind index of the national ID field's value (registry_queries.NATIONAL_ID_INDEX_CONTEXT), for equality
    # queries on it; empty for the other encrypted fields, which are never queried.
    value_index = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "path"], name="registry_secret_once")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.path}"
