"""Ports to the outside world for messages, each a Protocol with implementations chosen in settings.

Email goes over SMTP through Django's email backend (EMAIL_BACKEND); tests talk to a real local SMTP server.
SMS goes to a provider over HTTP (backends/sms.py, DIGIGOV_SMS_BACKEND); tests talk to a local stand-in."""

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage


class EmailSender(Protocol):
    def send(
        self, *, to: str, subject: str, body: str, message_id: str, cc: Sequence[str] = (),
        bcc: Sequence[str] = (), reply_to: str = "",
    ) -> None: ...


class DjangoEmailSender:
    def send(
        self, *, to: str, subject: str, body: str, message_id: str, cc: Sequence[str] = (),
        bcc: Sequence[str] = (), reply_to: str = "",
    ) -> None:
        email = EmailMessage(
            subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], cc=list(cc), bcc=list(bcc),
            reply_to=[reply_to] if reply_to else None, headers={"X-DigiGov-Message-Id": message_id},
        )
        email.send(fail_silently=False)


def email_sender() -> EmailSender:
    return DjangoEmailSender()
