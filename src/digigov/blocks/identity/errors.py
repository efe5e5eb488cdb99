"""The identity block's domain errors (mapped to the one error shape by the platform)."""

from django.utils.translation import gettext_lazy as _

from digigov.platform.errors import DomainError


class PasskeyRejected(DomainError):
    """A passkey ceremony's answer failed a check: challenge, origin, relying party, signature, counter or owner.
    One code for every reason, so that a caller learns nothing about which credentials exist."""

    code = "passkey_rejected"
    status = 400
    default_message = _("That passkey could not be used. Try again, or sign in another way.")
