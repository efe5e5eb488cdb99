"""Synthetic transaction history, so a fresh demo's KPI pages have trends to show.

Each synthetic transaction is submitted, most are decided, some are rated. Shares drift month by month
the way a digitalising government's would: more applications online, more pre-filled, a little more
satisfaction. Deterministic for a given seed.
"""

import datetime as dt
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from digigov.blocks.kpi.models import TransactionEvent

BATCH = 5000


@dataclass(frozen=True)
class ServiceRef:
    slug: str
    agency_code: str
    audience: str


def _month_starts(*, months: int, today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for back in range(months, 0, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(dt.date(year, month + 1, 1))
    return starts


@transaction.atomic
def history_generate(*, services: Sequence[ServiceRef], months: int, per_month: int, seed: int) -> int:
    """Create `months` months of history before the current month, about `per_month` transactions each."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    tz = timezone.get_current_timezone()
    rows: list[TransactionEvent] = []
    created = 0
    starts = _month_starts(months=months, today=timezone.localdate())
    for index, month_start in enumerate(starts):
        progress = index / max(1, len(starts) - 1)
        online_share = 0.78 + 0.14 * progress
        prefill_share = 0.55 + 0.30 * progress
        days_in_month = 28
        for _ in range(int(per_month * rng.uniform(0.9, 1.1))):
            service = rng.choice(services)
            application_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            channel = "online" if rng.random() < online_share else "counter"
            prefilled = channel == "online" and rng.random() < prefill_share
            submitted = dt.datetime.combine(
                month_start + dt.timedelta(days=rng.randrange(days_in_month)),
                dt.time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=tz,
            )
            common = {"application_id": application_id, "agency_code": service.agency_code,
                      "service_slug": service.slug, "audience": service.audience, "channel": channel}
            rows.append(TransactionEvent(
                source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="submitted",
                occurred_at=submitted, prefilled=prefilled, **common,
            ))
            if rng.random() < 0.92:
                seconds = int(math.exp(rng.gauss(math.log(3 * 86400), 0.8)))
                decided = submitted + dt.timedelta(seconds=seconds)
                rows.append(TransactionEvent(
                    source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="decided",
                    occurred_at=decided, prefilled=prefilled, digital_end_to_end=channel == "online",
                    outcome="approved" if rng.random() < 0.83 else "rejected", seconds_to_decision=seconds, **common,
                ))
                if rng.random() < 0.35:
                    satisfied = rng.random() < 0.66 + 0.12 * progress
                    rows.append(TransactionEvent(
                        source_event_id=uuid.UUID(int=rng.getrandbits(128), version=4), kind="rated",
                        occurred_at=decided + dt.timedelta(hours=rng.randrange(1, 72)),
                        satisfaction=rng.choice((5, 6)) if satisfied else rng.choice((1, 2, 3, 4, 4)), **common,
                    ))
            if len(rows) >= BATCH:
                TransactionEvent.objects.bulk_create(rows)
                created += len(rows)
                rows = []
    TransactionEvent.objects.bulk_create(rows)
    return created + len(rows)
