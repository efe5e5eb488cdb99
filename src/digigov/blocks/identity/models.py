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


# --- OpenID Connect provider (docs/identity.md) ---------------------------------------------------------------


class OidcClient(models.Model):
    """A relying party: a service (an agency's or a third party's) that signs people in with DigiGov."""

    client_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    # The agency answerable for what the client receives; releases are recorded against it.
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField()
    redirect_uris = models.JSONField(default=list)
    post_logout_redirect_uris = models.JSONField(default=list)
    allowed_scopes = models.JSONField(default=list)
    jwks = models.JSONField(null=True, blank=True)  # public keys for private_key_jwt
    jwks_uri = models.URLField(blank=True, default="")
    sector_identifier = models.CharField(max_length=200)  # clients sharing a sector share pairwise subjects
    id_token_alg = models.CharField(max_length=10, default="ES256")
    is_sandbox = models.BooleanField(default=False)
    client_secret_hash = models.CharField(max_length=128, blank=True, default="")  # sandbox clients only
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.client_id


class OidcSigningKey(models.Model):
    """A key that signs ID tokens. Retired keys stay published until every token they signed has expired."""

    kid = models.CharField(max_length=64, unique=True)
    alg = models.CharField(max_length=10)
    private_key_encrypted = models.BinaryField()
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    published_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.alg} {self.kid}"


class OidcPushedRequest(models.Model):
    """An authorization request pushed by an authenticated client (RFC 9126), referenced by its request_uri."""

    handle_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    params = models.JSONField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"pushed request {self.pk}"


class OidcAuthorizationCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.TextField()
    scope = models.TextField()
    nonce = models.CharField(max_length=255, blank=True, default="")
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    acr = models.CharField(max_length=100)
    amr = models.JSONField(default=list)
    auth_time = models.BigIntegerField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code {self.pk}"


class OidcAccessToken(models.Model):
    """An access token, kept only as a hash. Tokens from a code that was used twice are revoked."""

    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey(OidcAuthorizationCode, on_delete=models.SET_NULL, null=True, related_name="+")
    scope = models.TextField()
    acr = models.CharField(max_length=100)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"access token {self.pk}"


class OidcClientAssertion(models.Model):
    """A client assertion's id, kept until the assertion expires, so a replayed assertion is refused."""

    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="oidc_assertion_once")]

    def __str__(self) -> str:
        return f"assertion {self.jti}"


class OidcConsent(models.Model):
    """A person's standing agreement to share the claims of these scopes with one client, until revoked."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    scopes = models.JSONField()
    consent_grant_id = models.UUIDField()  # the consent block's record of the decision
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "client"], condition=models.Q(revoked_at__isnull=True), name="oidc_consent_current"
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.pk}"
