"""Messages to people: rendered from templates, kept in their portal inbox, and sent by email or SMS; and
calling systems' send requests (GovStack Messaging and DigiGov's message API), with their delivery status
reported back to the caller in signed callbacks."""

import dataclasses
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import secrets
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.messaging.backends.sms import SmsGateway, SmsRefused
from digigov.blocks.messaging.events import DispatchQueued, DispatchStatusChanged, MessageQueued
from digigov.blocks.messaging.models import (
    CallbackEndpoint,
    Delivery,
    Dispatch,
    Message,
    Reply,
    SendRequest,
    Template,
)
from digigov.blocks.messaging.queries import template_usable
from digigov.blocks.messaging.templates_catalogue import TEMPLATES
from digigov.blocks.registries.queries import person_attributes_get, person_id_by_national_id
from digigov.platform import outbox
from digigov.platform.bulk import ordered_uuids, rows_insert, uuids_for_database
from digigov.platform.crypto import decrypt_text, encrypt_text
from digigov.platform.errors import Conflict, NotFound, ValidationFailed


class _PlaceholderEngine(Engine):
    # Django's engine always adds its default tags and filters; without them a template (which agencies and
    # calling systems write) can only substitute {{ placeholders }}, never loop, include or inspect the context.
    default_builtins: list[str] = []


# Plain-text messages: no HTML escaping, and only variable substitution.
_engine = _PlaceholderEngine(autoescape=False)


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


def _template_get(*, key: str) -> Template:
    template = Template.objects.filter(key=key, language="en").first()
    if template is None:
        templates_load()
        template = Template.objects.get(key=key, language="en")
    return template


@transaction.atomic
def message_create(
    *, person_id: int, template_key: str, context: dict[str, Any], source_event_id: Any, email: str, link: str = ""
) -> Message:
    """Render a template for one person, put it in their inbox and queue the email. One message per
    (event, template): a redelivered event returns the message already created."""
    existing = Message.objects.filter(source_event_id=source_event_id, template_key=template_key).first()
    if existing:
        return existing
    template = _template_get(key=template_key)
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


@dataclass(frozen=True)
class MessageTo:
    """One person's message in a batch (messages_create_many): the email address to send it to (empty: inbox
    only), the link it carries, and the values that fill the template."""

    person_id: int
    email: str
    link: str
    context: dict[str, Any]


@transaction.atomic
def messages_create_many(*, template_key: str, source_event_id: Any, recipients: Sequence[MessageTo]) -> int:
    """message_create for many people of one event (a scan's offers): each recipient's message in their inbox
    and their email queued, written in bulk, with ONE audit entry for the batch. One message per (event,
    template, person): a redelivered event creates nothing twice. Returns how many messages were created."""
    done = set(
        Message.objects.filter(source_event_id=source_event_id, template_key=template_key).values_list(
            "person_id", flat=True
        )
    )
    recipients = [r for r in recipients if r.person_id not in done]
    if not recipients:
        return 0
    template = _template_get(key=template_key)
    subject, body = _engine.from_string(_(template.subject)), _engine.from_string(_(template.body))
    now = timezone.now()
    created_at = Message._meta.get_field("created_at").get_db_prep_value(now, connection)
    event_id = uuids_for_database([str(source_event_id)])[0]
    message_ids = ordered_uuids(len(recipients))
    stored_ids = uuids_for_database(message_ids)
    # The ORM's per-row path (an INSERT per message and delivery) would be most of a batch's time.
    rows_insert(
        model=Message,
        fields=("id", "person", "template_key", "subject", "body", "link", "source_event_id", "created_at"),
        rows=(
            (
                message_id, r.person_id, template_key,
                subject.render(Context(r.context, autoescape=False))[:200],
                body.render(Context(r.context, autoescape=False)),
                r.link, event_id, created_at,
            )
            for message_id, r in zip(stored_ids, recipients, strict=True)
        ),
    )
    fields = ("message", "channel", "address", "status", "attempts", "last_error", "created_at", "sent_at")
    rows_insert(
        model=Delivery, fields=fields,
        rows=[(m, Delivery.Channel.INBOX.value, "", Delivery.Status.SENT.value, 0, "", created_at, created_at)
              for m in stored_ids],
    )
    emails = [(m, r.email) for m, r in zip(stored_ids, recipients, strict=True) if r.email]
    if emails:
        rows_insert(
            model=Delivery, fields=fields,
            rows=[(m, Delivery.Channel.EMAIL.value, email, Delivery.Status.PENDING.value, 0, "", created_at, None)
                  for m, email in emails],
        )
        # The deliveries' ids, which COPY does not return: those of this batch's messages.
        new = set(message_ids)
        queued = [
            (str(message_id), delivery_id)
            for delivery_id, message_id in Delivery.objects.filter(
                message__source_event_id=source_event_id, message__template_key=template_key,
                channel=Delivery.Channel.EMAIL,
            ).order_by("pk").values_list("pk", "message_id")
            if str(message_id) in new
        ]
        # The JSON of MessageQueued(...) for each, its fixed part made once (asdict per event costs more).
        fixed = dataclasses.asdict(MessageQueued(message_id="", delivery_id=0, channel="email"))
        outbox.publish_many(
            event_type=MessageQueued.type,
            payloads=[json.dumps({**fixed, "message_id": m, "delivery_id": d}) for m, d in queued],
        )
    entry_record(
        actor=None, action="messaging:messages:create", object_type="event", object_id=source_event_id,
        detail={"template": template_key, "count": len(recipients), "emails": len(emails)},
    )
    return len(recipients)


# Two workers can be handed the same event (the outbox delivers at least once, and its row lock ends before the
# subscribers run), so an email or SMS is claimed, by one conditional UPDATE, before any network I/O: only the
# worker whose UPDATE changed the row sends. The claim lapses after DIGIGOV_MESSAGING_SEND_LEASE_SECONDS (2
# minutes), well beyond the SMTP and SMS timeouts (10 s each), so only a worker that died mid-send leaves its
# claim to lapse, and the send is retried.


class SendClaimed(Exception):
    """Another worker is sending this now. Raised, not returned, so the outbox offers the event again after its
    back-off: by then the send is finished (nothing left to do) or, if that worker died, its claim has lapsed."""


def _claim(*, pending: QuerySet) -> bool:
    now = timezone.now()
    lapsed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    lease = dt.timedelta(seconds=settings.DIGIGOV_MESSAGING_SEND_LEASE_SECONDS)
    return pending.filter(lapsed).update(claimed_until=now + lease) == 1


def delivery_claim(*, delivery_id: int) -> bool:
    """Claim a pending email of a platform message for sending; False when it is not pending or another worker
    holds it."""
    return _claim(pending=Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING))


def dispatch_claim(*, dispatch_id: Any) -> bool:
    """Claim a pending dispatch for sending; False when it is not pending or another worker holds it."""
    return _claim(pending=Dispatch.objects.filter(pk=dispatch_id, status=Dispatch.Status.PENDING))


def email_delivery_send(*, delivery_id: int, sender: Any) -> Delivery:
    """Send one queued email. Runs outside any transaction (network I/O); the status update is its own
    small transaction. A delivery already sent, or being sent by another worker, is not sent again."""
    claimed = delivery_claim(delivery_id=delivery_id)
    delivery = Delivery.objects.select_related("message").get(pk=delivery_id)
    if not claimed:
        if delivery.status != Delivery.Status.PENDING:
            return delivery
        raise SendClaimed(f"email delivery {delivery_id}")
    try:
        sender.send(
            to=delivery.address, subject=delivery.message.subject, body=delivery.message.body,
            message_id=str(delivery.message_id),
        )
    except Exception as exc:
        attempts = delivery.attempts + 1
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:1000], claimed_until=None,
            status=Delivery.Status.FAILED if attempts >= 5 else Delivery.Status.PENDING,
        )
        raise
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=delivery.attempts + 1, claimed_until=None
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


# --- Calling systems' send requests -------------------------------------------------------------------------

MAX_SEND_ATTEMPTS = 5  # then a dispatch is reported failed ("notSent"); the outbox backs off between attempts
CALLBACK_SECRET_CONTEXT = b"messaging.callback_secret"


@dataclass(frozen=True)
class Recipient:
    """One recipient as the caller named them: addresses, and/or a national ID number (then the registry
    supplies the name and any address the caller left out, and the message also lands in the person's inbox
    when the inbox channel is asked for)."""

    email: str = ""
    phone: str = ""
    name: str = ""
    national_id: str = ""
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    personalisation: Mapping[str, str] = field(default_factory=dict)


def _fingerprint(**asked: Any) -> str:
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()


def _render_checked(*, text: str, context: dict[str, Any], field_name: str) -> str:
    try:
        return _render(text=text, context=context)
    except TemplateSyntaxError:
        # Only {{ placeholders }} are filled; a caller's text with template tags is refused, not half-sent.
        raise ValidationFailed(fields={field_name: _("Use only {{ placeholder }} substitutions.")}) from None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def callback_url_check(*, url: str) -> None:
    """A callback address must be absolute, and https outside development (the reports it receives are signed,
    not encrypted); and its host must resolve to public addresses only (callback_addresses)."""
    scheme, netloc = _origin(url)
    allowed = {"https", "http"} if settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_HTTP else {"https"}
    if scheme not in allowed or not netloc or len(url) > 500:
        raise ValidationFailed(fields={"url": _("Give an absolute https address of at most 500 characters.")})
    if not settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE:
        # Where private addresses are allowed (a developer's own receiver) there is nothing to check yet; each
        # POST still resolves the host, as it must to connect.
        callback_addresses(url=url)


def callback_addresses(*, url: str) -> list[str]:
    """The addresses `url`'s host resolves to, to connect to exactly these. Refused unless every one is global:
    otherwise a calling system could make the worker post into the platform's own network (cloud metadata,
    the database, admin ports), by registering such an address or by a name that resolves to one. Checked at
    registration and again before each POST, as the name's answer may change in between."""
    parts = urlsplit(url)
    reason = _("Give an address on the public internet.")
    refused = ValidationFailed(reason, fields={"url": reason})
    if not parts.hostname:
        raise refused  # getaddrinfo would answer this machine's own addresses for no name at all
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError, UnicodeError):  # a bad port, a name that does not resolve, a malformed name
        raise refused from None
    # An IPv6 answer may carry a zone ("fe80::1%eth0"); the address itself decides.
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in found))
    if not settings.DIGIGOV_MESSAGING_CALLBACK_ALLOW_PRIVATE and not all(
        ipaddress.ip_address(address).is_global for address in addresses
    ):
        raise refused
    return addresses


E164 = re.compile(r"^\+[1-9]\d{6,14}$")  # the international form SMS providers take


def phone_normalise(number: str) -> str:
    """"+65 8123 4567" as the registry keeps it -> "+6581234567"."""
    return re.sub(r"[\s().-]", "", number)


@transaction.atomic
def request_create(
    *, account: Any, agency: Any, kind: str, recipients: Sequence[Recipient], channels: Sequence[str],
    subject: str, body: str, template_key: str = "", language: str = "en", personalise: bool,
    sender: Mapping[str, str] | None = None, send_at: dt.datetime | None = None, callback_url: str = "",
    idempotency_key: str = "", access: Any,
) -> tuple[SendRequest, bool]:
    """Accept a calling system's request to send a message to `recipients` on each of `channels`; the worker
    sends each (recipient, channel) dispatch when due. Returns (request, created): a retry with the same
    idempotency key returns the first request and sends nothing again. With `personalise`, `{{ placeholders }}`
    in the subject and body are filled per recipient from their personalisation and `name`; GovStack content is
    sent as given. `access` states why registry contact details are read for recipients named by national ID."""
    sender = dict(sender or {})
    fingerprint = _fingerprint(
        kind=kind, recipients=[vars(r) for r in recipients], channels=list(channels), subject=subject, body=body,
        template_key=template_key, language=language, sender=sender, send_at=send_at, callback_url=callback_url,
    )
    if idempotency_key:
        existing = SendRequest.objects.filter(requested_by=account, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise Conflict(_("This idempotency key was already used for a different request."))
            return existing, False
    if template_key:
        # A system sends its own agency's templates only, not the platform's (whose wording is the government
        # speaking to every citizen) nor another agency's; one that is not its own is answered as missing.
        template = template_usable(agency=agency, key=template_key) and (
            Template.objects.filter(key=template_key, language=language).first()
            or Template.objects.filter(key=template_key, language="en").first()
        )
        if not template:
            raise ValidationFailed(fields={"template": _("Your agency has no template with this key.")})
        subject, body = template.subject, template.body
    if callback_url:
        endpoint = CallbackEndpoint.objects.filter(account=account).first()
        # Only to the origin the system registered (checked then, and signed with its secret): a request cannot
        # make DigiGov post to an arbitrary address.
        if endpoint is None or _origin(endpoint.url) != _origin(callback_url):
            raise ValidationFailed(fields={"callback": _("Register this callback address's origin first.")})
    now = timezone.now()
    due_later = send_at is not None and send_at > now
    try:
        with transaction.atomic():
            request = SendRequest.objects.create(
                requested_by=account, agency=agency, kind=kind, idempotency_key=idempotency_key,
                fingerprint=fingerprint, sender=sender, template_key=template_key,
                send_at=send_at if due_later else None, callback_url=callback_url,
            )
    except IntegrityError:
        # The same key raced in from a parallel retry, which committed first: answer as a retry.
        existing = SendRequest.objects.get(requested_by=account, idempotency_key=idempotency_key)
        if existing.fingerprint != fingerprint:
            raise Conflict(_("This idempotency key was already used for a different request.")) from None
        return existing, False
    dispatches = []
    for position, recipient in enumerate(recipients):
        dispatches += _dispatches_for(
            request=request, position=position, recipient=recipient, channels=channels, subject=subject, body=body,
            personalise=personalise, access=access,
        )
    for dispatch in dispatches:
        dispatch.send_at = request.send_at
        if dispatch.status == Dispatch.Status.PENDING and due_later:
            dispatch.status = Dispatch.Status.SCHEDULED
    Dispatch.objects.bulk_create(dispatches)
    callback_wanted = _callback_wanted(request=request)
    for dispatch in dispatches:
        if dispatch.status == Dispatch.Status.PENDING:
            outbox.publish(DispatchQueued(dispatch_id=str(dispatch.pk), channel=dispatch.channel))
        elif dispatch.status == Dispatch.Status.FAILED and callback_wanted:
            outbox.publish(DispatchStatusChanged(
                dispatch_id=str(dispatch.pk), request_id=str(request.pk), status=dispatch.status
            ))
    entry_record(
        actor=account, action="messaging:request:create", object_type="send_request", object_id=request.pk,
        detail={"kind": kind, "recipients": len(recipients), "channels": sorted(set(channels)),
                "template": template_key, "scheduled": due_later},
    )
    return request, True


def _dispatches_for(
    *, request: SendRequest, position: int, recipient: Recipient, channels: Sequence[str], subject: str, body: str,
    personalise: bool, access: Any,
) -> list[Dispatch]:
    person_id, found = None, {}
    if recipient.national_id:
        person_id = person_id_by_national_id(national_id=recipient.national_id)
        if person_id is None:
            raise ValidationFailed(fields={
                f"recipients.{position}.nationalId": _("No person is registered with this national ID number.")
            })
        # Registry values only ever go to the person's own registry addresses (and inbox). Copies of an email
        # to the registry address would show the address to whoever the caller copies in; and the registry's name
        # in a message to an address the caller chose would hand the caller the name for a national ID number.
        from_registry = not (
            ("email" in channels and recipient.email) or ("sms" in channels and recipient.phone)
        )
        if "email" in channels and not recipient.email and (recipient.cc or recipient.bcc):
            raise ValidationFailed(fields={f"recipients.{position}.emailCC": _(
                "Copies cannot go with an email to the address on record; give the email address yourself."
            )})
        elements = ["person.full_name"] if personalise and from_registry and not recipient.name else []
        elements += ["person.email"] if "email" in channels and not recipient.email else []
        elements += ["person.mobile"] if "sms" in channels and not recipient.phone else []
        if elements:
            # The one path to a person's data: this read is recorded for the person to see.
            found = {k: v.value for k, v in person_attributes_get(
                person_id=person_id, elements=elements, access=access).items()}
    name = recipient.name or found.get("person.full_name") or ""
    if personalise:
        context = {**recipient.personalisation, "name": name}
        subject = _render_checked(text=subject, context=context, field_name="subject")
        body = _render_checked(text=body, context=context, field_name="body")
    dispatches = []
    for channel in dict.fromkeys(channels):
        if channel == Dispatch.Channel.INBOX and person_id is None:
            continue  # only people named by national ID have an inbox; the others get the other channels
        dispatch = Dispatch(
            request=request, position=position, channel=channel, name=name[:200], person_id=person_id,
            subject=subject[:200], body=body,
        )
        if channel == Dispatch.Channel.EMAIL:
            dispatch.address = recipient.email or found.get("person.email") or ""
            dispatch.copies = {"cc": list(recipient.cc), "bcc": list(recipient.bcc)}
        elif channel == Dispatch.Channel.SMS:
            dispatch.address = phone_normalise(recipient.phone or found.get("person.mobile") or "")
        if channel != Dispatch.Channel.INBOX and not dispatch.address:
            # Only possible for a person whose record has no such address: that recipient is not sent to, and
            # the request's status says so, while the others are sent.
            dispatch.status, dispatch.last_error = Dispatch.Status.FAILED, _("No address on record for this channel.")
        dispatches.append(dispatch)
    return dispatches


@transaction.atomic
def dispatches_release_due(*, limit: int = 500) -> int:
    """Queue the scheduled dispatches whose time has come (called on each turn of the worker's loop); returns
    how many were queued. Each is queued once: several workers skip each other's rows."""
    due = Dispatch.objects.filter(status=Dispatch.Status.SCHEDULED, send_at__lte=timezone.now()).order_by("send_at")
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True)
    rows = list(due.values_list("pk", "channel")[:limit])
    if not rows:
        return 0
    Dispatch.objects.filter(pk__in=[pk for pk, _channel in rows], status=Dispatch.Status.SCHEDULED).update(
        status=Dispatch.Status.PENDING
    )
    for pk, channel in rows:
        outbox.publish(DispatchQueued(dispatch_id=str(pk), channel=channel))
    return len(rows)


def dispatch_send(*, dispatch_id: Any, email_sender: Any, sms_gateway: SmsGateway) -> Dispatch:
    """Send one due dispatch. Email and SMS go over the network, so this runs outside any transaction and
    records the outcome in a small one of its own; a dispatch no longer pending is not sent again. A transient
    failure is recorded and re-raised, so the worker retries the event later; after MAX_SEND_ATTEMPTS, or when
    the relay or provider refuses the address itself, the dispatch is final."""
    claimed = dispatch_claim(dispatch_id=dispatch_id)
    dispatch = Dispatch.objects.select_related("request").get(pk=dispatch_id)
    if not claimed:
        if dispatch.status != Dispatch.Status.PENDING:
            return dispatch
        raise SendClaimed(f"dispatch {dispatch_id}")
    if dispatch.channel == Dispatch.Channel.INBOX:
        return _inbox_deliver(dispatch=dispatch)
    attempts = dispatch.attempts + 1
    provider_ref = ""
    try:
        if dispatch.channel == Dispatch.Channel.EMAIL:
            email_sender.send(
                to=dispatch.address, subject=dispatch.subject, body=dispatch.body, message_id=str(dispatch.pk),
                cc=dispatch.copies.get("cc", []), bcc=dispatch.copies.get("bcc", []),
                reply_to=dispatch.request.sender.get("replyTo", ""),
            )
        else:
            provider_ref = sms_gateway.send(to=dispatch.address, body=dispatch.body, reference=str(dispatch.pk))
    except (smtplib.SMTPRecipientsRefused, SmsRefused) as exc:
        return _dispatch_finish(dispatch=dispatch, status=Dispatch.Status.BOUNCED, attempts=attempts, error=exc)
    except Exception as exc:
        if attempts >= MAX_SEND_ATTEMPTS:
            return _dispatch_finish(dispatch=dispatch, status=Dispatch.Status.FAILED, attempts=attempts, error=exc)
        Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.PENDING).update(
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:1000], claimed_until=None
        )
        raise
    return _dispatch_finish(
        dispatch=dispatch, status=Dispatch.Status.SENT, attempts=attempts, provider_ref=provider_ref
    )


@transaction.atomic
def _dispatch_finish(
    *, dispatch: Dispatch, status: str, attempts: int, error: Exception | None = None, provider_ref: str = "",
    message: Message | None = None,
) -> Dispatch:
    changed = Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.PENDING).update(
        status=status, attempts=attempts, provider_ref=provider_ref[:100], message=message, claimed_until=None,
        last_error=f"{type(error).__name__}: {error}"[:1000] if error else "",
        sent_at=timezone.now() if status == Dispatch.Status.SENT else None,
    )
    if changed:
        entry_record(
            actor=None, action=f"messaging:dispatch:{status}", object_type="dispatch", object_id=dispatch.pk,
            detail={"request": str(dispatch.request_id), "channel": dispatch.channel, "attempts": attempts},
        )
        if _callback_wanted(request=dispatch.request):
            outbox.publish(DispatchStatusChanged(
                dispatch_id=str(dispatch.pk), request_id=str(dispatch.request_id), status=status
            ))
    dispatch.refresh_from_db()
    return dispatch


def _inbox_deliver(*, dispatch: Dispatch) -> Dispatch:
    with transaction.atomic():
        if not Dispatch.objects.select_for_update().filter(pk=dispatch.pk, status=Dispatch.Status.PENDING).exists():
            return Dispatch.objects.get(pk=dispatch.pk)
        request = dispatch.request
        message = Message.objects.create(
            person_id=dispatch.person_id, template_key=request.template_key or f"request-{request.kind}",
            subject=dispatch.subject or _("Message from %(agency)s") % {"agency": request.agency.name},
            body=dispatch.body, source_event_id=dispatch.pk,
        )
        Delivery.objects.create(
            message=message, channel=Delivery.Channel.INBOX, status=Delivery.Status.SENT, sent_at=timezone.now()
        )
        return _dispatch_finish(
            dispatch=dispatch, status=Dispatch.Status.SENT, attempts=dispatch.attempts + 1, message=message
        )


def _callback_wanted(*, request: SendRequest) -> bool:
    return CallbackEndpoint.objects.filter(account_id=request.requested_by_id).exists()


@transaction.atomic
def reply_record(*, account: Any, request: SendRequest, meta: str, content: bytes) -> Reply:
    """Record a reply to a sent request (e.g. an answered email) posted by a calling system."""
    reply = Reply.objects.create(request=request, received_from=account, meta=meta[:500], content=content)
    entry_record(
        actor=account, action="messaging:reply:record", object_type="reply", object_id=reply.pk,
        detail={"request": str(request.pk), "bytes": len(content)},
    )
    return reply


@transaction.atomic
def callback_endpoint_set(*, account: Any, url: str) -> tuple[CallbackEndpoint, str]:
    """Set where a calling system receives delivery status callbacks. Returns the endpoint and its new signing
    secret, which is shown only now: setting the endpoint again makes a new secret (a rotation)."""
    callback_url_check(url=url)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint, _created = CallbackEndpoint.objects.update_or_create(
        account=account,
        defaults={"url": url, "secret_encrypted": encrypt_text(plaintext=secret, context=CALLBACK_SECRET_CONTEXT)},
    )
    entry_record(
        actor=account, action="messaging:callback_endpoint:set", object_type="callback_endpoint",
        object_id=endpoint.pk, detail={"url": url},
    )
    return endpoint, secret


@transaction.atomic
def callback_endpoint_delete(*, account: Any) -> None:
    deleted, _rows = CallbackEndpoint.objects.filter(account=account).delete()
    if not deleted:
        raise NotFound()
    entry_record(actor=account, action="messaging:callback_endpoint:delete", object_type="account",
                 object_id=account.pk)


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body under the secret>`: the receiver recomputes it over
    the raw body it received and refuses old timestamps, so a captured callback cannot be replayed later."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# Callbacks run in the worker's loop, so a slow receiver delays every other event behind it: one POST may take at
# most this long, whatever DIGIGOV_MESSAGING_CALLBACK_TIMEOUT says.
CALLBACK_TIMEOUT_MAX = 5.0


def callback_timeout() -> float:
    return min(settings.DIGIGOV_MESSAGING_CALLBACK_TIMEOUT, CALLBACK_TIMEOUT_MAX)


class CallbackRefused(Exception):
    """The receiver answered other than 2xx (a redirect included: a callback goes only to the registered origin,
    never where a redirect points); the worker retries the report."""


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to `addresses` (those callback_addresses checked), with the URL's host in the Host header: resolving
    the name again when connecting could answer a different, internal address (DNS rebinding)."""

    def __init__(self, host: str, port: int | None, *, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def _socket(self) -> socket.socket:
        failure: OSError | None = None
        for address in self.addresses:
            try:
                return socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                failure = exc
        raise failure or OSError("no address")

    def connect(self) -> None:
        self.sock = self._socket()


class _PinnedTlsConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        # The certificate is verified for the host name, though the connection goes to the checked address.
        self.sock = ssl.create_default_context().wrap_socket(self._socket(), server_hostname=self.host)


def callback_post(*, event_id: str, dispatch_id: Any, status: str, occurred_at: dt.datetime) -> bool:
    """POST one signed delivery status report to the caller's callback address (outside any transaction).
    An answer other than 2xx raises, so the worker retries; receivers deduplicate by the report's `id`.
    Returns False when the caller has removed its endpoint since."""
    dispatch = Dispatch.objects.select_related("request").get(pk=dispatch_id)
    endpoint = CallbackEndpoint.objects.filter(account_id=dispatch.request.requested_by_id).first()
    if endpoint is None:
        return False
    report = {
        "id": event_id, "type": "message.status", "requestUid": str(dispatch.request_id),
        "recipient": dispatch.position, "channel": dispatch.channel, "status": status,
        "error": dispatch.last_error if status != Dispatch.Status.SENT else "",
        "occurredAt": occurred_at.isoformat(),
    }
    body = json.dumps(report, separators=(",", ":")).encode()
    secret = decrypt_text(ciphertext=bytes(endpoint.secret_encrypted), context=CALLBACK_SECRET_CONTEXT)
    # The request's own address only while it is still on the registered origin (the system may have moved its
    # endpoint since); callback_url_check allowed only http(s) addresses.
    url = dispatch.request.callback_url
    if not url or _origin(url) != _origin(endpoint.url):
        url = endpoint.url
    parts = urlsplit(url)
    kind = _PinnedTlsConnection if parts.scheme.lower() == "https" else _PinnedConnection
    receiver = kind(parts.hostname, parts.port, addresses=callback_addresses(url=url), timeout=callback_timeout())
    try:
        receiver.request(
            "POST", parts._replace(scheme="", netloc="", fragment="").geturl() or "/", body=body,
            headers={
                "Content-Type": "application/json", "User-Agent": "DigiGov-Callbacks/1",
                "X-DigiGov-Signature": signature_header(secret=secret, body=body, timestamp=int(time.time())),
            },
        )
        answer = receiver.getresponse()
        if not 200 <= answer.status < 300:
            raise CallbackRefused(f"HTTP {answer.status} from the callback address")
    finally:
        receiver.close()
    return True


@transaction.atomic
def template_save(*, actor: Any, key: str, language: str, subject: str, body: str) -> tuple[Template, bool]:
    """Create or change a template; placeholders are checked now, not when a message is sent."""
    for name, text in (("subject", subject), ("body", body)):
        _render_checked(text=text, context={}, field_name=name)
    template, created = Template.objects.update_or_create(
        key=key, language=language, defaults={"subject": subject, "body": body}
    )
    entry_record(
        actor=actor, action="messaging:template:save", object_type="template", object_id=template.pk,
        detail={"key": key, "language": language, "created": created},
    )
    return template, created
