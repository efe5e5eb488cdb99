"""Messages to people: rendered from templates, kept in their portal inbox, and sent by email."""

from typing import Any

from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.messaging.events import MessageQueued
from digigov.blocks.messaging.models import Delivery, Message, Template
from digigov.blocks.messaging.templates_catalogue import TEMPLATES
from digigov.platform import outbox
from digigov.platform.errors import NotFound

# Plain-text messages: no HTML escaping, and only variable substitution (no template tags from data).
_engine = Engine(autoescape=False, builtins=[])


def templates_load() -> int:
    """Create the standard templates that are missing; edited ones are left alone."""
    created = 0
    for key, (subject, body) in TEMPLATES.items():
        _template, was_created = Template.objects.get_or_create(
            key=key, language="en", defaults={"subject": subject, "body": body}
        )
        created += was_created
    return created


def _render(*, text: str, context: dict[str, Any]) -> str:
    return _engine.from_string(text).render(Context(context, autoescape=False))


@transaction.atomic
def message_create(
    *, person_id: int, template_key: str, context: dict[str, Any], source_event_id: Any, email: str, link: str = ""
) -> Message:
    """Render a template for one person, put it in their inbox and queue the email. One message per
    (event, template): a redelivered event returns the message already created."""
    existing = Message.objects.filter(source_event_id=source_event_id, template_key=template_key).first()
    if existing:
        return existing
    template = Template.objects.filter(key=template_key, language="en").first()
    if template is None:
        templates_load()
        template = Template.objects.get(key=template_key, language="en")
    message = Message.objects.create(
        person_id=person_id, template_key=template_key,
        subject=_render(text=_(template.subject), context=context)[:200],
        body=_render(text=_(template.body), context=context),
        link=link, source_event_id=source_event_id,
    )
    now = timezone.now()
    Delivery.objects.create(message=message, channel=Delivery.Channel.INBOX, status=Delivery.Status.SENT, sent_at=now)
    if email:
        delivery = Delivery.objects.create(message=message, channel=Delivery.Channel.EMAIL, address=email)
        outbox.publish(MessageQueued(message_id=str(message.pk), delivery_id=delivery.pk, channel="email"))
    entry_record(actor=None, action="messaging:message:create", object_type="message", object_id=message.pk)
    return message


def email_delivery_send(*, delivery_id: int, sender: Any) -> Delivery:
    """Send one queued email. Runs outside any transaction (network I/O); the status update is its own
    small transaction. A delivery already sent is not sent again."""
    delivery = Delivery.objects.select_related("message").get(pk=delivery_id)
    if delivery.status != Delivery.Status.PENDING:
        return delivery
    try:
        sender.send(
            to=delivery.address, subject=delivery.message.subject, body=delivery.message.body,
            message_id=str(delivery.message_id),
        )
    except Exception as exc:
        attempts = delivery.attempts + 1
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:1000],
            status=Delivery.Status.FAILED if attempts >= 5 else Delivery.Status.PENDING,
        )
        raise
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=delivery.attempts + 1
    )
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def message_mark_read(*, account: Any, message_id: Any) -> Message:
    try:
        message = Message.objects.select_for_update().get(pk=message_id, person_id=account.person_id)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message
