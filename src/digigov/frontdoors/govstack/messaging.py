"""GovStack Messaging 0.1.1 over the messaging block (docs/govstack.md), and DigiGov's richer message API for the
same calling systems on the same base path (/api/govstack/messaging/v1).

GovStack: `POST /send/email/single`, `POST /send/email/batch`, `GET /status/email`, `POST /callback/email`. Both
published spellings are served: `requestUid` / `requestUID` (HTTP headers are case-insensitive), `callbackURI` /
`callbackUri` / `callback` and `URI` / `uri`, `notSent` / `not sent`; answers carry both `requestUid` and
`requestUID`. Invalid input is answered 405, as the spec says (its only error status); a body that is not JSON at
all is 400, as everywhere in DigiGov.

DigiGov: `POST /messages` (templates, email / SMS / inbox channels, recipients by national ID, personalisation,
`sendAt`, `Idempotency-Key`), `GET /messages/{requestUid}` (per-recipient status), `GET /templates`,
`PUT /templates/{key}`, and `PUT|GET|DELETE /callback-endpoint` for signed delivery status callbacks."""

import base64
import binascii
import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import AfterValidator, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from digigov.blocks.messaging import actions, queries
from digigov.blocks.registries.queries import person_id_by_national_id
from digigov.frontdoors.govstack.access import Caller, GovStackAuth, caller_context
from digigov.platform.errors import DomainError, NotPermitted, ValidationFailed

MAX_BATCH = 1000  # recipients per request: a larger mailing is several requests
IDEMPOTENCY_KEY = Header(
    "", alias="Idempotency-Key", max_length=200, description="A retry with the same key sends nothing again"
)


class MessagingAuth(GovStackAuth):
    """The platform's GovStack credentials, also read from the Messaging spec's own key header: `apiKey`
    (current) or `api_key` (2023). Django reads `api_key` as `Api-Key`, which is also the spelling to use: web
    servers (nginx, Django's runserver) drop header names with underscores."""

    def _get_key(self, request: HttpRequest) -> str | None:
        return super()._get_key(request) or request.headers.get("apiKey") or request.headers.get("api-key")


router = Router(auth=MessagingAuth("messaging"), tags=["GovStack messaging"])


class InvalidInput(DomainError):
    """The Messaging spec documents one error answer, `405 Invalid input`, for every operation; GovStack clients
    check for it, so DigiGov keeps it here (everywhere else invalid input is 400)."""

    code = "invalid_input"
    status = 405
    default_message = gettext_lazy("Invalid input.")


def _fields_of(exc: PydanticValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        fields.setdefault(".".join(str(p) for p in error["loc"]) or "request", error["msg"])
    return fields


def _without_nul(value: Any) -> Any:
    # PostgreSQL text cannot hold U+0000, and no message needs it: refused as input, not failed on saving.
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_("Text may not contain NUL characters."))
    if isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    elif isinstance(value, list):
        for item in value:
            _without_nul(item)
    return value


class TextInput(Schema):
    """Base of every request body here."""

    @model_validator(mode="after")
    def _no_nul(self) -> "TextInput":
        _without_nul(self.model_dump())
        return self


class SpecInput(TextInput):
    """Base of the GovStack inputs: whatever is wrong with them becomes the spec's 405 with the fields named.
    The error is not a pydantic ValidationError, so it passes through Ninja's validation to the platform's
    handler for domain errors."""

    @model_validator(mode="wrap")
    @classmethod
    def _invalid_input(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except PydanticValidationError as exc:
            raise InvalidInput(fields=_fields_of(exc)) from None


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(_("Enter a valid email address.")) from None
    return value


def _email_list(value: str) -> str:
    for address in (a.strip() for a in value.split(",")):
        _email(address)
    return value


Email = Annotated[str, Field(max_length=200), AfterValidator(_email)]
EmailList = Annotated[str, Field(max_length=2000, description="One address, or several separated by commas"),
                      AfterValidator(_email_list)]


def _addresses(value: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (value or "").split(",") if a.strip())


class CallbackSender(Schema):
    URI: str | None = Field(None, max_length=500, description="The 2023 and current YAML spelling")
    uri: str | None = Field(None, max_length=500, description="The current JSON spelling")

    def address(self) -> str:
        return self.URI or self.uri or ""


class SenderInfo(Schema):
    organisationName: str | None = Field(None, max_length=200)
    organisationRegNr: str | None = Field(None, max_length=100)
    onBehalfOfName: str | None = Field(None, max_length=200)
    onBehalfOfRegNr: str | None = Field(None, max_length=100)
    email: Email | None = None
    replyTo: Email | None = None
    name: str | None = Field(None, max_length=200)


class RecipientInfo(Schema):
    email: Email | None = None
    emailCC: EmailList | None = None
    emailBCC: EmailList | None = None
    name: str | None = Field(None, max_length=200)
    nationalId: str | None = Field(
        None, max_length=40,
        description="DigiGov extension: the recipient's national ID number; the message also lands in their "
        "portal inbox, and the registry's email address is used when `email` is left out (then without "
        "`emailCC` / `emailBCC`, which would show that address).",
    )

    @model_validator(mode="after")
    def _someone(self) -> "RecipientInfo":
        if not (self.email or self.nationalId):
            raise ValueError(_("Give the recipient's email address (or national ID number)."))
        return self

    def recipient(self) -> actions.Recipient:
        return actions.Recipient(
            email=self.email or "", name=self.name or "", national_id=self.nationalId or "",
            cc=_addresses(self.emailCC), bcc=_addresses(self.emailBCC),
        )


class EmailContent(Schema):
    encoding: str | None = Field(None, max_length=40, description="Informative: JSON text is Unicode; sent as UTF-8")
    title: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=100_000)


class EmailIn(SpecInput):
    callback: CallbackSender | None = None
    senderInfo: SenderInfo | None = None
    recipientInfo: RecipientInfo
    emailContent: EmailContent


class BatchRecipientInfo(Schema):
    batchEmailAsBase64: str = Field(
        ..., max_length=2_000_000,
        description='Base64 of a JSON array of {"recipientInfo": {...}}, one per recipient (at most 1000)',
    )

    @field_validator("batchEmailAsBase64")
    @classmethod
    def _decodes(cls, value: str) -> str:
        cls.recipients_of(value)
        return value

    @staticmethod
    def recipients_of(value: str) -> list[RecipientInfo]:
        try:
            entries = _without_nul(json.loads(base64.b64decode(value, validate=True)))
        except (binascii.Error, ValueError):
            raise ValueError(_("Give base64 of a JSON array of recipients.")) from None
        if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH:
            raise ValueError(_("Give between 1 and %(max)s recipients.") % {"max": MAX_BATCH})
        try:
            return [RecipientInfo.model_validate(e.get("recipientInfo") if isinstance(e, dict) else e)
                    for e in entries]
        except PydanticValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise ValueError(_("A recipient is not valid: %(error)s") % {"error": first["msg"]}) from None


class BatchEmailIn(SpecInput):
    callbackURI: CallbackSender | None = Field(None, description="The YAML spelling")
    callbackUri: CallbackSender | None = Field(None, description="The current JSON spelling")
    callback: CallbackSender | None = Field(None, description="As in a single email")
    senderInfo: SenderInfo | None = None
    recipientInfo: BatchRecipientInfo
    emailContent: EmailContent

    def callback_address(self) -> str:
        chosen = self.callbackURI or self.callbackUri or self.callback
        return chosen.address() if chosen else ""


class RequestAccepted(Schema):
    response: str
    requestUid: str
    requestUID: str = Field(..., description="The same id, in the 2023 spelling")


class CallbackContent(SpecInput):
    meta: str | None = Field(None, max_length=500)
    content: str = Field(..., max_length=2_000_000, description="Base64 of the reply's content")

    @field_validator("content")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError(_("Give the content in base64.")) from None
        return value


class CallbackRecorded(Schema):
    response: str
    requestUid: str


GovStackStatus = Literal["scheduled", "processing", "deferred", "bounced", "notSent", "not sent", "not_sent",
                         "delivered"]


class EmailStatusQuery(SpecInput):
    status: list[GovStackStatus] = Field(..., min_length=1)

    @field_validator("status", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        # ?status=a&status=b (the spec's array) and ?status=a,b (a common client spelling) both work.
        if isinstance(value, list):
            return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
        return value


class RequestUidHeader(SpecInput):
    requestUid: str = Field(..., min_length=1, max_length=100, description="`requestUID` in the 2023 spec")


class EmailRequestStatus(Schema):
    scheduled: int | None = None
    processing: int | None = None
    deferred: int | None = None
    bounced: int | None = None
    notSent: int | None = None
    not_sent: int | None = Field(None, description="The 2023 spelling, answered when asked for as `not sent`")
    delivered: int | None = None


class MessagingErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class MessagingError(Schema):
    error: MessagingErrorDetail
    detail: str


# DigiGov's state of a dispatch behind each GovStack status word (docs/govstack.md): "delivered" means accepted
# by the SMTP relay or SMS provider, which is as far as either protocol reports.
_GOVSTACK_COUNTS = {
    "scheduled": "scheduled", "processing": "pending", "deferred": "retrying", "bounced": "bounced",
    "notSent": "failed", "not sent": "failed", "not_sent": "failed", "delivered": "sent",
}
_GOVSTACK_KEYS = {"not sent": "not_sent"}

# 400 is for a body missing or not JSON at all, which Ninja refuses before the spec's validation can run.
ERRORS = {400: MessagingError, 401: MessagingError, 403: MessagingError, 405: MessagingError}


def _caller(request: HttpRequest) -> Caller:
    return request.auth


def _access(caller: Caller) -> Any:
    return caller_context(
        caller, purpose=_("Send you a message from %(agency)s") % {"agency": caller.agency.name},
        legal_basis=_("Messages from public agencies to the people they serve"),
    )


def _sandbox_recipients_check(caller: Caller, recipients: list[actions.Recipient]) -> None:
    """A sandbox system messages synthetic people only: a real person named by national ID gets the answer the
    messaging block gives for a number nobody has (docs/govstack.md "Sandbox systems")."""
    if not caller.sandbox:
        return
    for position, recipient in enumerate(recipients):
        if recipient.national_id and person_id_by_national_id(
            national_id=recipient.national_id, synthetic_only=True
        ) is None:
            raise ValidationFailed(fields={
                f"recipients.{position}.nationalId": _("No person is registered with this national ID number.")
            })


def _as_invalid_input(exc: DomainError) -> InvalidInput:
    return InvalidInput(exc.message, fields=exc.fields)


def _send(
    request: HttpRequest, *, kind: str, recipients: list[actions.Recipient], content: EmailContent,
    sender: SenderInfo | None, callback_url: str, idempotency_key: str,
) -> Status:
    caller = _caller(request)
    try:
        _sandbox_recipients_check(caller, recipients)
        sent, _created = actions.request_create(
            account=caller.account, agency=caller.agency, kind=kind, recipients=recipients,
            channels=["email", "inbox"] if any(r.national_id for r in recipients) else ["email"],
            subject=content.title, body=content.content, personalise=False,
            sender=sender.model_dump(exclude_none=True) if sender else {}, callback_url=callback_url,
            idempotency_key=idempotency_key, access=_access(caller),
        )
    except ValidationFailed as exc:
        raise _as_invalid_input(exc) from None
    uid = str(sent.pk)
    message = _('Request successfully accepted. Use "requestUid" to track its status.')
    return Status(200, {"response": message, "requestUid": uid, "requestUID": uid})


@router.post(
    "/send/email/single", response={200: RequestAccepted, 409: MessagingError, **ERRORS}, summary="Send a single email",
    operation_id="sendSingleEmail",
)
def send_single_email(request: HttpRequest, body: EmailIn, idempotency_key: str = IDEMPOTENCY_KEY):
    """Accepts the email for sending; the worker sends it (to the recipient, with any CC/BCC). With
    `recipientInfo.nationalId` it also lands in the person's portal inbox. A retry with the same
    `Idempotency-Key` returns the first request's id and sends nothing again."""
    recipients = [body.recipientInfo.recipient()]
    callback = body.callback.address() if body.callback else ""
    return _send(request, kind="single", recipients=recipients, content=body.emailContent, sender=body.senderInfo,
                 callback_url=callback, idempotency_key=idempotency_key)


@router.post(
    "/send/email/batch", response={200: RequestAccepted, 409: MessagingError, **ERRORS}, summary="Send batch emails",
    operation_id="sendBatchEmail",
)
def send_batch_email(
    request: HttpRequest, body: BatchEmailIn, idempotency_key: str = IDEMPOTENCY_KEY
):
    """One email content to many recipients, given as base64 of a JSON array of {"recipientInfo": {...}}."""
    recipients = [r.recipient() for r in BatchRecipientInfo.recipients_of(body.recipientInfo.batchEmailAsBase64)]
    return _send(request, kind="batch", recipients=recipients, content=body.emailContent, sender=body.senderInfo,
                 callback_url=body.callback_address(), idempotency_key=idempotency_key)


@router.post(
    "/callback/email", response={200: CallbackRecorded, 404: MessagingError, **ERRORS},
    summary="Record a reply to a sent request", operation_id="callbackEmail",
)
def callback_email(request: HttpRequest, body: CallbackContent, headers: Header[RequestUidHeader]):
    """For a reply to an email this platform sent (e.g. from the agency's inbound mail gateway): recorded against
    the request. Only systems of the agency that made the request may post to it."""
    caller = _caller(request)
    sent = queries.access_send_request(agency=caller.agency, request_id=headers.requestUid)
    actions.reply_record(
        account=caller.account, request=sent, meta=body.meta or "", content=base64.b64decode(body.content)
    )
    return Status(200, {"response": _("Reply recorded."), "requestUid": str(sent.pk)})


@router.get(
    "/status/email", response={200: EmailRequestStatus, 404: MessagingError, **ERRORS}, exclude_none=True,
    summary="Get an overview of sent emails statuses", operation_id="getEmailStatus",
)
def get_email_status(request: HttpRequest, filters: Query[EmailStatusQuery], headers: Header[RequestUidHeader]):
    """How many of the request's emails are in each asked-for status."""
    sent = queries.access_send_request(agency=_caller(request).agency, request_id=headers.requestUid)
    counts = queries.request_status_counts(request=sent, channel="email")
    return Status(200, {_GOVSTACK_KEYS.get(s, s): counts[_GOVSTACK_COUNTS[s]] for s in filters.status})


# --- DigiGov's message API ---------------------------------------------------------------------------------------

Channel = Literal["email", "sms", "inbox"]


def _phone(value: str) -> str:
    if not actions.E164.match(actions.phone_normalise(value)):
        raise ValueError(_("Give the number in international form, e.g. +6581234567."))
    return value


class MessageRecipientIn(Schema):
    nationalId: str | None = Field(
        None, max_length=40,
        description="The registry supplies the email and mobile left out, and the name only when it supplies every "
        "address",
    )
    email: Email | None = None
    phone: Annotated[str, Field(max_length=40), AfterValidator(_phone)] | None = None
    name: str | None = Field(None, max_length=200)
    personalisation: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=50, description="Values for the {{ placeholders }} of this recipient",
    )


class MessageIn(TextInput):
    template: str | None = Field(None, max_length=80, description="A template key (GET /templates)")
    language: str = Field("en", max_length=10)
    subject: str | None = Field(None, max_length=200, description="Without a template: may use {{ placeholders }}")
    body: str | None = Field(None, max_length=100_000, description="Without a template: may use {{ placeholders }}")
    channels: list[Channel] = Field(..., min_length=1, max_length=3)
    recipients: list[MessageRecipientIn] = Field(..., min_length=1, max_length=MAX_BATCH)
    sendAt: dt.datetime | None = Field(None, description="Send then (the worker sends it when due); default now")
    callbackUrl: str | None = Field(None, max_length=500, description="Same origin as the callback endpoint")

    @model_validator(mode="after")
    def _complete(self) -> "MessageIn":
        if not self.template and not (self.body and (self.subject or self.channels == ["sms"])):
            raise ValueError(_("Give a template, or a subject and a body (an SMS needs only a body)."))
        if self.sendAt is not None and self.sendAt.tzinfo is None:
            raise ValueError(_("Give sendAt with its time zone, e.g. 2026-12-24T09:00:00+08:00."))
        for position, recipient in enumerate(self.recipients):
            if "inbox" in self.channels and not recipient.nationalId:
                raise ValueError(_("Recipient %(n)s: the inbox needs a national ID number.") % {"n": position})
            if not recipient.nationalId and not all(
                {"email": recipient.email, "sms": recipient.phone, "inbox": True}[c] for c in self.channels
            ):
                raise ValueError(_("Recipient %(n)s: give an address for every channel.") % {"n": position})
        return self


class DispatchCounts(Schema):
    scheduled: int
    pending: int
    retrying: int
    sent: int
    failed: int
    bounced: int


class DispatchOut(Schema):
    recipient: int = Field(..., description="The recipient's position in the request")
    channel: str
    status: str
    attempts: int
    error: str
    sentAt: dt.datetime | None


class MessageRequestOut(Schema):
    requestUid: str
    kind: str
    template: str
    createdAt: dt.datetime
    sendAt: dt.datetime | None
    counts: DispatchCounts
    recipients: list[DispatchOut]
    replies: int


def _request_out(sent: Any) -> dict:
    return {
        "requestUid": str(sent.pk), "kind": sent.kind, "template": sent.template_key, "createdAt": sent.created_at,
        "sendAt": sent.send_at, "counts": queries.request_status_counts(request=sent),
        "recipients": [
            {"recipient": d.position, "channel": d.channel, "status": d.status, "attempts": d.attempts,
             "error": d.last_error, "sentAt": d.sent_at}
            for d in queries.dispatch_list(request=sent)
        ],
        "replies": queries.reply_count(request=sent),
    }


DIGIGOV = ["DigiGov messaging"]
API_ERRORS = {400: MessagingError, 401: MessagingError, 403: MessagingError}


@router.post("/messages", response={202: MessageRequestOut, 409: MessagingError, **API_ERRORS}, tags=DIGIGOV,
             summary="Send a message (templates, channels, personalisation, scheduling)")
def message_send(request: HttpRequest, body: MessageIn, idempotency_key: str = IDEMPOTENCY_KEY):
    """One message to each recipient on each channel; `{{ placeholders }}` are filled per recipient from its
    `personalisation` (and `name`). Recipients named by national ID get the registry's addresses the request
    leaves out, and its name only when every address is the registry's (the read is recorded for them to see),
    and, with the inbox channel, the message in their portal inbox. A retry with
    the same `Idempotency-Key` returns the first request and sends nothing again; the same key with a different
    request is 409."""
    caller = _caller(request)
    recipients = [
        actions.Recipient(
            email=r.email or "", phone=r.phone or "", name=r.name or "", national_id=r.nationalId or "",
            personalisation=r.personalisation,
        )
        for r in body.recipients
    ]
    _sandbox_recipients_check(caller, recipients)
    sent, created = actions.request_create(
        account=caller.account, agency=caller.agency, kind="message", channels=body.channels,
        recipients=recipients,
        template_key=body.template or "", language=body.language, subject=body.subject or "", body=body.body or "",
        personalise=True, send_at=body.sendAt, callback_url=body.callbackUrl or "", idempotency_key=idempotency_key,
        access=_access(caller),
    )
    return Status(202, _request_out(sent))


@router.get(
    "/messages/{request_uid}", response={200: MessageRequestOut, 404: MessagingError, **API_ERRORS}, tags=DIGIGOV,
    summary="A message request's status, per recipient and channel",
)
def message_get(request: HttpRequest, request_uid: str):
    sent = queries.access_send_request(agency=_caller(request).agency, request_id=request_uid)
    return Status(200, _request_out(sent))


class MessageTemplateIn(TextInput):
    language: str = Field("en", min_length=2, max_length=10)
    subject: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=100_000)


class MessageTemplateOut(Schema):
    key: str
    language: str
    subject: str
    body: str


def _template_key_check(*, caller: Caller, key: str) -> None:
    # The platform's own templates (acknowledgements, decisions) speak to every citizen: a calling system may
    # create and change only its agency's templates, named "<agency code>-...".
    if not queries.template_usable(agency=caller.agency, key=key):
        raise NotPermitted(
            _("Template keys of your agency start with %(prefix)s.")
            % {"prefix": queries.template_prefix(agency=caller.agency)}
        )


@router.get(
    "/templates", response={200: list[MessageTemplateOut], **API_ERRORS}, tags=DIGIGOV,
    summary="Your agency's message templates",
)
def template_list(request: HttpRequest):
    """The templates your systems may send: your agency's own, whose keys start with its code and "-"."""
    return Status(200, list(queries.template_list(agency=_caller(request).agency)))


@router.put(
    "/templates/{key}", response={200: MessageTemplateOut, 201: MessageTemplateOut, **API_ERRORS}, tags=DIGIGOV,
    summary="Create or change one of your agency's templates",
)
def template_put(
    request: HttpRequest, key: Annotated[str, Field(pattern=r"^[a-z0-9-]{3,80}$")], body: MessageTemplateIn
):
    caller = _caller(request)
    _template_key_check(caller=caller, key=key)
    template, created = actions.template_save(
        actor=caller.account, key=key, language=body.language, subject=body.subject, body=body.body
    )
    return Status(201 if created else 200, template)


class CallbackEndpointIn(TextInput):
    url: str = Field(..., max_length=500, description="https address that receives the signed status reports")


class CallbackEndpointOut(Schema):
    url: str
    createdAt: dt.datetime


class CallbackEndpointCreated(CallbackEndpointOut):
    secret: str = Field(..., description="Signs every report (X-DigiGov-Signature); shown only now")


@router.put("/callback-endpoint", response={200: CallbackEndpointCreated, **API_ERRORS}, tags=DIGIGOV,
            summary="Set where delivery status reports are sent (and get a new signing secret)")
def callback_endpoint_put(request: HttpRequest, body: CallbackEndpointIn):
    """Each report is a JSON POST signed with `X-DigiGov-Signature: t=<unix time>,v1=<hex>`, where hex is the
    HMAC-SHA256 of `<t>.<raw body>` under the secret; refuse reports whose `t` is more than five minutes away
    from your clock, and deduplicate by the report's `id` (a report is retried until you answer 2xx)."""
    endpoint, secret = actions.callback_endpoint_set(account=_caller(request).account, url=body.url)
    return Status(200, {"url": endpoint.url, "createdAt": endpoint.created_at, "secret": secret})


@router.get("/callback-endpoint", response={200: CallbackEndpointOut, 404: MessagingError, **API_ERRORS}, tags=DIGIGOV,
            summary="Where delivery status reports are sent")
def callback_endpoint_get(request: HttpRequest):
    endpoint = queries.callback_endpoint_get(account=_caller(request).account)
    return Status(200, {"url": endpoint.url, "createdAt": endpoint.created_at})


@router.delete("/callback-endpoint", response={204: None, 404: MessagingError, **API_ERRORS}, tags=DIGIGOV,
               summary="Stop delivery status reports")
def callback_endpoint_delete(request: HttpRequest):
    actions.callback_endpoint_delete(account=_caller(request).account)
    return Status(204, None)


def fixture_load(*, caller: Caller, data: dict) -> dict[str, int]:
    """Load the fixture's "templates" ([{key, language?, subject, body}]) through the same action as
    PUT /templates/{key}; keys are kept, so an integrator knows them."""
    count = 0
    for item in data.get("templates", []):
        _template_key_check(caller=caller, key=item["key"])
        actions.template_save(
            actor=caller.account, key=item["key"], language=item.get("language", "en"), subject=item["subject"],
            body=item["body"],
        )
        count += 1
    return {"templates": count}

