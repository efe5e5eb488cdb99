from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSON = "person", _("Person")  # a citizen or resident; may also act for businesses they represent
    OFFICER = "officer", _("Public officer")
    SYSTEM = "system", _("Calling system")  # an agency's system calling the APIs (ApiClient); never signs in


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
    # The agency answerable for what the client receives; releases are recorded against it. None only for
    # DigiGov's own front doors (first_party), which receive no claims and no agency may change or disable.
    agency = models.ForeignKey("registries.Agency", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
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
    # The portal and the back office (docs/identity.md, "DigiGov as its own relying party"): openid only, no
    # consent screen, and their code is redeemed in-process rather than with a client credential.
    first_party = models.BooleanField(default=False)
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


# --- Calling systems (GovStack APIs, docs/govstack.md) -----------------------------------------------------------


class ApiClient(models.Model):
    """An agency's system that calls the platform's APIs. It acts through its own account (kind "system"), so
    audit entries and data-access records name it, and it is authenticated by an API key, by OAuth client
    credentials (its `oidc_client`), or by an Information Mediator that vouches for it (`mediator_client`)."""

    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="api_client")
    name = models.SlugField(max_length=80, unique=True)
    apis = models.JSONField(default=list)  # which APIs it may call: registries, registration, messaging
    # The key is `dg_<prefix>_<secret>`: the prefix finds the row, only the secret's SHA-256 is kept.
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    # The X-Road style member identifier INSTANCE/CLASS/MEMBER/SUBSYSTEM a mediator presents for this system.
    mediator_client = models.CharField(max_length=200, blank=True, default="")
    oidc_client = models.OneToOneField(
        OidcClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_client"
    )
    # A system under test: it reaches synthetic people only (registries Person.synthetic, docs/govstack.md).
    is_sandbox = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mediator_client"], condition=~models.Q(mediator_client=""), name="api_client_mediator_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ApiCall(models.Model):
    """One authenticated call by a calling system: which system, how it was vouched for, what it called."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="calls")
    via = models.CharField(max_length=10)  # api_key / oauth / mediator
    mediator_client = models.CharField(max_length=200, blank=True, default="")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    request_id = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["client", "-at"], name="api_call_client_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


# --- Passkeys, signed-in sessions and self-service unlock (docs/identity.md) -----------------------------------


class Passkey(models.Model):
    """A WebAuthn credential (a passkey) the person registered; the authenticator keeps the private key."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="passkeys")
    # base64url of the credential id the authenticator chose (at most 1023 bytes, WebAuthn L3 5.1).
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()  # COSE_Key, as the authenticator sent it
    # The authenticator's signature counter; a value that does not go up suggests a cloned authenticator.
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list)
    name = models.CharField(max_length=60)
    aaguid = models.CharField(max_length=36, blank=True, default="")
    backed_up = models.BooleanField(default=False)  # a synced passkey (the authenticator says so)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class SignedInSession(models.Model):
    """One signed-in browser session, so the person can see and end it. Only a hash of the session key is
    kept for lookups, and the key itself encrypted, to delete that session when the person ends it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    session_key_hash = models.CharField(max_length=64, unique=True)
    session_key_encrypted = models.BinaryField()
    user_agent = models.CharField(max_length=300, blank=True, default="")
    ip_prefix = models.CharField(max_length=64, blank=True, default="")  # truncated: a network, not a device
    signed_in_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "ended_at"], name="signed_in_session_account_idx")]

    def __str__(self) -> str:
        return f"session {self.pk}"


class UnlockToken(models.Model):
    """A one-time link, sent by email, that lifts a sign-in lockout. Only the token's hash is kept; the
    sign-in id as typed (which django-axes counts failures by) is kept encrypted until the link is used."""

    token_hash = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    sign_in_id_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"unlock token {self.pk}"


# --- Acting for a business (docs/identity.md "Businesses") -----------------------------------------------------


class BusinessRoleName(models.TextChoices):
    """What an employee may do for the business in a service they were given."""

    APPLICANT = "applicant", _("Applicant: applies and answers for the business")
    VIEWER = "viewer", _("Viewer: sees the business's applications")


class BusinessAdministrator(models.Model):
    """A person appointed to administer who may act for a business. Its owners and directors in the business
    register are administrators by right and have no row here: the register, not this table, says so."""

    business = models.ForeignKey("registries.Business", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    appointed_by = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "person"],
                condition=models.Q(revoked_at__isnull=True),
                name="business_admin_current",
            )
        ]

    def __str__(self) -> str:
        return f"administrator {self.person_id} of {self.business_id}"


class BusinessAccess(models.Model):
    """An employee's access to act for a business in one named service (by its slug) with one role."""

    business = models.ForeignKey("registries.Business", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registries.Person", on_delete=models.PROTECT, related_name="+")
    service_slug = models.SlugField(max_length=100)
    role = models.CharField(max_length=20, choices=BusinessRoleName.choices)
    granted_by = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "person", "service_slug", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="business_access_current",
            )
        ]
        indexes = [models.Index(fields=["person", "revoked_at"], name="business_access_person_idx")]

    def __str__(self) -> str:
        return f"{self.role} in {self.service_slug} for {self.business_id}"


class OidcBusinessContext(models.Model):
    """The business a person chose to act for when signing in to a client with the `business` scope. Tokens
    from the code carry it; what they release is worked out again at each use, so revoked access stops at once."""

    code = models.OneToOneField(OidcAuthorizationCode, on_delete=models.CASCADE, related_name="business_context")
    business = models.ForeignKey("registries.Business", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"business context of code {self.code_id}"
