from django.utils.translation import gettext_lazy as _

from digigov.platform.errors import Conflict, DomainError, ValidationFailed


class AlreadyDecided(Conflict):
    code = "application_already_decided"
    default_message = _("This application has already been decided.")


class NotYetDecided(Conflict):
    code = "application_not_decided"
    default_message = _("You can rate a service once your application has been decided.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This idempotency key was already used for a different request.")


class DocumentInfected(ValidationFailed):
    code = "document_infected"
    default_message = _("The file contains a virus and was not accepted.")


class DocumentTooLarge(ValidationFailed):
    code = "request_too_large"
    status = 413
    default_message = _("The file is too large.")


class ScanUnavailable(DomainError):
    code = "scan_unavailable"
    status = 503
    default_message = _("The file could not be checked for viruses just now. Please try again in a few minutes.")
