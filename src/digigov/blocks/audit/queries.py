from django.db.models import QuerySet

from digigov.blocks.audit.models import AuditEntry


def entries_for_object(*, object_type: str, object_id: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("id")
