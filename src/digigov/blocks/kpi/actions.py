import datetime as dt
from typing import Any

from django.db import transaction

from digigov.blocks.kpi.models import KpiExclusion, TransactionEvent
from digigov.platform.errors import ValidationFailed


@transaction.atomic
def transaction_event_record(
    *, source_event_id: Any, kind: str, occurred_at: dt.datetime, **fields: Any
) -> TransactionEvent:
    """Count one transaction step; the same source event is counted once."""
    event, _created = TransactionEvent.objects.get_or_create(
        source_event_id=source_event_id, defaults={"kind": kind, "occurred_at": occurred_at, **fields}
    )
    return event


@transaction.atomic
def exclusion_record(*, kpi_id: str, service_slug: str = "", reason: str, legal_reference: str = "") -> KpiExclusion:
    """Record why a service (or a group of people, with no service) is left out of a KPI."""
    from digigov.blocks.kpi.definitions import KPIS

    fields = {}
    if kpi_id not in KPIS:
        fields["kpi_id"] = "No KPI has this id."
    if not reason.strip():
        fields["reason"] = "Say why, so the exclusion can be checked."
    if fields:
        raise ValidationFailed(fields=fields)
    return KpiExclusion.objects.create(
        kpi_id=kpi_id, service_slug=service_slug, reason=reason.strip(), legal_reference=legal_reference.strip()
    )
