from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class MessageQueued:
    type: ClassVar[str] = "message.queued"
    message_id: str
    delivery_id: int
    channel: str
