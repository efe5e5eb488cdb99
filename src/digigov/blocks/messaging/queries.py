from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from digigov.blocks.messaging.models import CallbackEndpoint, Delivery, Dispatch, Message, SendRequest, Template
from digigov.platform.errors import NotFound


def inbox_for_account(*, account: Any) -> QuerySet[Message]:
    if account is None or account.person_id is None:
        return Message.objects.none()
    return Message.objects.filter(person_id=account.person_id).prefetch_related("deliveries").order_by("-created_at")


def unread_count(*, account: Any) -> int:
    return inbox_for_account(account=account).filter(read_at__isnull=True).count()


def access_message(*, account: Any, message_id: Any) -> Message:
    if account is None or account.person_id is None:
        raise NotFound()
    try:
        return Message.objects.prefetch_related("deliveries").get(pk=message_id, person_id=account.person_id)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def deliveries_for_message(*, message: Message) -> QuerySet[Delivery]:
    return message.deliveries.order_by("channel")


def access_send_request(*, agency: Any, request_id: Any) -> SendRequest:
    """A send request of the caller's agency; another agency's request is "not found", as a missing one is."""
    try:
        return SendRequest.objects.get(pk=request_id, agency=agency)
    except (SendRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def dispatch_list(*, request: SendRequest) -> QuerySet[Dispatch]:
    return request.dispatches.order_by("position", "channel")


def request_status_counts(*, request: SendRequest, channel: str | None = None) -> dict[str, int]:
    """How many of the request's dispatches are in each state; `retrying` are pending after a failed attempt."""
    dispatches = request.dispatches.all() if channel is None else request.dispatches.filter(channel=channel)
    status = Dispatch.Status
    return dispatches.aggregate(
        scheduled=Count("pk", filter=Q(status=status.SCHEDULED)),
        pending=Count("pk", filter=Q(status=status.PENDING, attempts=0)),
        retrying=Count("pk", filter=Q(status=status.PENDING, attempts__gt=0)),
        sent=Count("pk", filter=Q(status=status.SENT)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        bounced=Count("pk", filter=Q(status=status.BOUNCED)),
    )


def reply_count(*, request: SendRequest) -> int:
    return request.replies.count()


def template_prefix(*, agency: Any) -> str:
    """An agency's templates are named "<agency code>-...": its systems may send and change those only."""
    return f"{agency.code.lower()}-"


def template_usable(*, agency: Any, key: str) -> bool:
    return key.startswith(template_prefix(agency=agency))


def template_list(*, agency: Any | None = None) -> QuerySet[Template]:
    """All templates, or with `agency` those its systems may use."""
    templates = Template.objects.all()
    if agency is not None:
        templates = templates.filter(key__startswith=template_prefix(agency=agency))
    return templates.order_by("key", "language")


def callback_endpoint_get(*, account: Any) -> CallbackEndpoint:
    endpoint = CallbackEndpoint.objects.filter(account=account).first()
    if endpoint is None:
        raise NotFound()
    return endpoint
