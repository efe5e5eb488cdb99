"""Which registry data elements each scope releases, under which OpenID Connect claim names, and the
assurance levels (`acr`) the provider can vouch for."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Claim:
    name: str  # the OpenID Connect claim
    element: str  # the registries' data element it is read from
    label: Any  # what the consent screen calls it


SCOPE_CLAIMS: dict[str, tuple[Claim, ...]] = {
    "profile": (
        Claim("name", "person.full_name", _("Full name")),
        Claim("birthdate", "person.date_of_birth", _("Date of birth")),
        Claim("gender", "person.sex", _("Sex")),
    ),
    "email": (Claim("email", "person.email", _("Email address")),),
    "phone": (Claim("phone_number", "person.mobile", _("Mobile number")),),
    "address": (Claim("address", "address.full", _("Home address")),),
}
# The business a person acts for (docs/identity.md "Businesses"): not an element of their own registry record but
# a context they chose, so its claim is released by identity/business_queries.py, not through SCOPE_CLAIMS.
BUSINESS_SCOPE = "business"
SCOPES_SUPPORTED = ["openid", *SCOPE_CLAIMS, BUSINESS_SCOPE]
# Scopes of client-credentials tokens for agencies' calling systems: one per GovStack API (docs/govstack.md).
CALLING_SYSTEM_SCOPES = ["govstack:registries", "govstack:registration", "govstack:messaging"]

ACR_PASSWORD = "urn:digigov:acr:password"  # noqa: S105 (an assurance level name)
ACR_TWO_FACTOR = "urn:digigov:acr:two-factor"
# A passkey with user verification: a key bound to DigiGov's origin (phishing-resistant) plus a PIN or biometric,
# so it satisfies a request for two factors or a password as well.
ACR_PASSKEY = "urn:digigov:acr:passkey"
ACR_LEVELS = {ACR_PASSWORD: 1, ACR_TWO_FACTOR: 2, ACR_PASSKEY: 3}


def claims_for_scopes(scopes: list[str]) -> list[Claim]:
    return [claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ())]


def acr_required(acr_values: str) -> str | None:
    """The lowest level among those the client asked for that we support (OIDC Core 3.1.2.1: voluntary
    acr_values are a list of preferences; we honour the weakest acceptable one, and at least password)."""
    asked = [v for v in (acr_values or "").split() if v in ACR_LEVELS]
    if not asked:
        return None
    return min(asked, key=ACR_LEVELS.__getitem__)


def acr_satisfies(current: str, required: str | None) -> bool:
    return required is None or ACR_LEVELS[current] >= ACR_LEVELS[required]


def claim_value(claim: Claim, value: Any) -> Any:
    if claim.name == "address":
        return {"formatted": value} if value else None
    if claim.name == "gender" and value:
        return {"M": "male", "F": "female"}.get(value, value)
    return value


def business_consent_claim(business_name: str) -> Claim:
    """The consent screen's line for the `business` scope, naming the business the person is acting for."""
    label = _("The business you are acting for, %(name)s: its UEN and name, and your roles and services there")
    return Claim("business", "business.uen", label % {"name": business_name})
