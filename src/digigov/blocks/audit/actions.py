from typing import Any

from digigov.blocks.audit.models import AuditEntry
from digigov.platform.request_context import request_id_get


def entry_record(
    *, actor: Any, action: str, object_type: str, object_id: Any, detail: dict | None = None
) -> AuditEntry:
    """Append one audit entry. `actor` is an Account, or None for the platform itself (worker, seed)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        actor_id, label, agency = None, "system", ""
    else:
        actor_id = actor.pk
        label = actor.username if actor.kind == "officer" else f"person:{actor.person_id}"
        agency = actor.agency.code if actor.agency_id else ""
    return AuditEntry.objects.create(
        actor_id=actor_id,
        actor_label=label,
        agency_code=agency,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        request_id=request_id_get(),
        detail=detail or {},
    )
