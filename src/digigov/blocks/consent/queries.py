from django.db.models import QuerySet

from digigov.blocks.consent.models import AccessRecord, ConsentGrant
from digigov.platform.errors import NotFound


def access_records_for_account(*, account) -> QuerySet[AccessRecord]:
    """The signed-in person's "who accessed my data" list, newest first."""
    if account.person_id is None:
        raise NotFound()
    return (
        AccessRecord.objects.select_related("agency")
        .filter(person_id=account.person_id)
        .order_by("-accessed_at", "-id")
    )


def grants_for_account(*, account) -> QuerySet[ConsentGrant]:
    if account.person_id is None:
        raise NotFound()
    return (
        ConsentGrant.objects.select_related("requester_agency")
        .filter(person_id=account.person_id)
        .order_by("-decided_at")
    )


def grant_get(*, grant_id, person_id: int) -> ConsentGrant:
    try:
        return ConsentGrant.objects.get(pk=grant_id, person_id=person_id)
    except (ConsentGrant.DoesNotExist, ValueError):
        raise NotFound() from None
