from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class MessageQueued:
    type: ClassVar[str] = "message.queued"
    message_id: str
    delivery_id: int
    channel: str


@dataclass(frozen=True)
class DispatchQueued:
    """A dispatch of a calling system's request is due: the worker sends it."""

    type: ClassVar[str] = "messaging.dispatch_queued"
    dispatch_id: str
    channel: str


@dataclass(frozen=True)
class DispatchStatusChanged:
    """A dispatch reached a final status (sent, failed, bounced): the caller's callback URL is told."""

    type: ClassVar[str] = "messaging.dispatch_status_changed"
    dispatch_id: str
    request_id: str
    status: str
