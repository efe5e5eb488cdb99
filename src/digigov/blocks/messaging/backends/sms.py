"""The SMS port and its implementations.

`HttpSmsGateway` speaks the Twilio Programmable Messaging API (documented at
https://www.twilio.com/docs/messaging/api/message-resource): a form-encoded POST of To, From and Body to
`{DIGIGOV_SMS_URL}/2010-04-01/Accounts/{account}/Messages.json` with HTTP Basic authentication (account, token);
201 with the message resource (its `sid`) when accepted, 4xx with {"code", "message", "status"} when refused.
Several providers and gateways offer the same shape. `sms_standin.py` is a local server speaking it, for tests
and `make demo`; `ConsoleSmsGateway` only logs."""

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsRefused(Exception):
    """The provider refused this message for good (e.g. not a valid number): retrying cannot help."""


class SmsUnavailable(Exception):
    """The provider could not take the message now (down, overloaded, misconfigured): retry later."""


class SmsGateway(Protocol):
    def send(self, *, to: str, body: str, reference: str) -> str:
        """Hand one SMS to the provider; returns the provider's id for it."""


class HttpSmsGateway:
    def __init__(
        self, *, url: str | None = None, account: str | None = None, token: str | None = None,
        sender: str | None = None, timeout: float | None = None,
    ) -> None:
        self.url = (url or settings.DIGIGOV_SMS_URL).rstrip("/")
        self.account = account or settings.DIGIGOV_SMS_ACCOUNT
        self.token = token or settings.DIGIGOV_SMS_TOKEN
        self.sender = sender or settings.DIGIGOV_SMS_FROM
        self.timeout = timeout or settings.DIGIGOV_SMS_TIMEOUT

    def send(self, *, to: str, body: str, reference: str) -> str:
        endpoint = f"{self.url}/2010-04-01/Accounts/{urllib.parse.quote(self.account)}/Messages.json"
        credentials = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        # The provider's address comes from settings, not from callers.
        request = urllib.request.Request(  # noqa: S310
            endpoint, method="POST",
            data=urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode(),
            headers={
                "Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json", "X-DigiGov-Reference": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return str(json.loads(response.read())["sid"])
        except urllib.error.HTTPError as exc:
            detail = _provider_error(exc)
            # 400 is the provider judging the message itself (Twilio: invalid number, unsubscribed recipient);
            # 401/403 (our credentials), 429 and 5xx are about the provider or us, and may pass.
            if exc.code == 400:
                raise SmsRefused(detail) from None
            raise SmsUnavailable(f"HTTP {exc.code}: {detail}") from None
        except (OSError, ValueError, KeyError) as exc:
            raise SmsUnavailable(f"{type(exc).__name__}: {exc}") from None


def _provider_error(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        return f"{body.get('code', '')} {body.get('message', '')}".strip()
    except (OSError, ValueError, AttributeError):
        return exc.reason or "refused"


class ConsoleSmsGateway:
    """Development only: logs the message instead of sending it."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        logger.info("SMS to %s (%s): %s", to, reference, body)
        return f"console-{uuid.uuid4().hex}"


def sms_gateway() -> SmsGateway:
    return import_string(settings.DIGIGOV_SMS_BACKEND)()
