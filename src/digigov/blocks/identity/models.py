from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSON = "person", _("Person")  # a citizen or resident; may also act for businesses they represent
    OFFICER = "officer", _("Public officer")


class Account(AbstractUser):
    """Who signs in. A person's account points at their verified registry record; an officer's at an agency.

    `username` is the sign-in id for officers; people sign in with their national ID number, found
    through the registry's blind index, so the number itself is never stored here.
    """

    kind = models.CharField(max_length=20, choices=AccountKind.choices, default=AccountKind.PERSON)
    person = models.OneToOneField(
        "registries.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "registries.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    totp_secret_encrypted = models.BinaryField(null=True, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_counter = models.BigIntegerField(default=0)  # refuses a code's replay within its window
    preferred_language = models.CharField(max_length=10, default="en")

    @property
    def is_officer(self) -> bool:
        return self.kind == AccountKind.OFFICER

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None


class OfficerRole(models.Model):
    class Role(models.TextChoices):
        CASE_OFFICER = "case_officer", _("Case officer")
        SUPERVISOR = "supervisor", _("Supervisor")
        SERVICE_OWNER = "service_owner", _("Service owner")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "role"], name="officer_role_once")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.role}"
