"""Ports to the outside world for messages. Email goes over SMTP through Django's email backend, chosen
in settings (EMAIL_BACKEND); tests talk to a real local SMTP server."""

from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage


class EmailSender(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None: ...


class DjangoEmailSender:
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        email = EmailMessage(
            subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
            headers={"X-DigiGov-Message-Id": message_id},
        )
        email.send(fail_silently=False)


def email_sender() -> EmailSender:
    return DjangoEmailSender()
