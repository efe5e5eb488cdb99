"""WebAuthn (passkeys) for DigiGov as a relying party, on the `webauthn` package: the options a browser needs
for each ceremony and the checks of its answers. Storage and audit are in actions.py.

The relying party is the public site (`DIGIGOV_SITE_URL`): its host is the RP ID and its scheme and host the
only accepted origin, so a credential made for DigiGov cannot be exercised by a look-alike site."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from digigov.blocks.identity.errors import PasskeyRejected
from digigov.platform.crypto import pseudonym

RP_NAME = "DigiGov"
CEREMONY_MS = 5 * 60 * 1000
USER_HANDLE_CONTEXT = b"identity.passkey_user_handle"
TRANSPORTS = {t.value for t in AuthenticatorTransport}


def rp_id() -> str:
    return urlsplit(settings.DIGIGOV_SITE_URL).hostname or "localhost"


def origin() -> str:
    parts = urlsplit(settings.DIGIGOV_SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def user_handle(*, account_id: int) -> bytes:
    """The account's WebAuthn user handle: stable, opaque and meaningless outside DigiGov (never a national ID
    number, which the authenticator would store and show in clear)."""
    return bytes.fromhex(pseudonym(value=str(account_id), context=USER_HANDLE_CONTEXT))


def _descriptors(credentials: list[tuple[str, list[str]]]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(credential_id),
            transports=[AuthenticatorTransport(t) for t in transports if t in TRANSPORTS] or None,
        )
        for credential_id, transports in credentials
    ]


def registration_options(
    *, account_id: int, user_name: str, existing: list[tuple[str, list[str]]]
) -> tuple[str, bytes]:
    """Options for navigator.credentials.create() (as JSON) and the challenge to remember for the answer.
    Passkeys must be discoverable (so sign-in needs no typed id) and verify the person (PIN or biometrics)."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=RP_NAME,
        user_id=user_handle(account_id=account_id),
        user_name=user_name,
        timeout=CEREMONY_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(existing),  # the same authenticator is not registered twice
    )
    return options_to_json(options), options.challenge


def authentication_options(*, allowed: list[tuple[str, list[str]]]) -> tuple[str, bytes]:
    """Options for navigator.credentials.get(); with no `allowed` credentials the authenticator offers the
    passkeys it holds for DigiGov (usernameless sign-in)."""
    options = generate_authentication_options(
        rp_id=rp_id(),
        timeout=CEREMONY_MS,
        allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), options.challenge


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]
    aaguid: str
    backed_up: bool


def registration_check(*, credential: Any, challenge: bytes) -> NewCredential:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            require_user_verification=True,
        )
        transports = (credential.get("response") or {}).get("transports") or []
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError):
        raise PasskeyRejected(_("The passkey could not be added. Try again.")) from None
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        # Only known names count; anything else the browser sent (a number, nested lists) is ignored, never a 500.
        transports=sorted({t for t in transports if isinstance(t, str) and t in TRANSPORTS})
        if isinstance(transports, list)
        else [],
        aaguid=str(verified.aaguid),
        backed_up=verified.credential_backed_up,
    )


def credential_id_of(credential: Any) -> str:
    """The credential id an assertion names (before it is checked)."""
    value = credential.get("id") if isinstance(credential, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 1400 else ""


def user_handle_of(credential: Any) -> str:
    response = credential.get("response") if isinstance(credential, dict) else None
    value = response.get("userHandle") if isinstance(response, dict) else None
    return value if isinstance(value, str) else ""


def assertion_check(*, credential: Any, challenge: bytes, public_key: bytes, sign_count: int) -> int:
    """Check an assertion against the stored key; returns the authenticator's new signature counter. A counter
    that does not go up (when the authenticator keeps one) is refused as a possible clone or replay."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError):
        raise PasskeyRejected() from None
    return verified.new_sign_count
