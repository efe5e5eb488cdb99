import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from digigov.blocks.identity.api_auth import person_of
from digigov.blocks.messaging import queries

router = Router(tags=["messages"])


class DeliveryOut(Schema):
    channel: str
    status: str
    sent_at: dt.datetime | None


class MessageOut(Schema):
    id: uuid.UUID
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    deliveries: list[DeliveryOut]


@router.get("/inbox", response=list[MessageOut], summary="My messages")
def inbox(request: HttpRequest):
    return [
        {**{f: getattr(m, f) for f in ("id", "subject", "body", "link", "created_at", "read_at")},
         "deliveries": [{"channel": d.channel, "status": d.status, "sent_at": d.sent_at} for d in m.deliveries.all()]}
        for m in queries.inbox_for_account(account=person_of(request))[:200]
    ]
