import datetime as dt
from typing import Any

from django.db import transaction

from digigov.blocks.kpi.models import TransactionEvent


@transaction.atomic
def transaction_event_record(*, source_event_id: Any, kind: str, occurred_at: dt.datetime, **fields: Any) -> TransactionEvent:
    """Count one transaction step; the same source event is counted once."""
    event, _created = TransactionEvent.objects.get_or_create(
        source_event_id=source_event_id, defaults={"kind": kind, "occurred_at": occurred_at, **fields}
    )
    return event
