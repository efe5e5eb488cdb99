from typing import Any

from django.db.models import QuerySet

from digigov.blocks.messaging.models import Delivery, Message
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
