import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.consent.models import AccessRecord, ConsentGrant, PopulationAccess
from digigov.platform.bulk import rows_insert, uuids_for_database
from digigov.platform.errors import NotFound, NotPermitted, ValidationFailed
from digigov.platform.request_context import request_id_get


# No savepoint: these run inside the caller's action, which succeeds or fails as a whole.
@transaction.atomic(savepoint=False)
def consent_decide(
    *, account: Any, requester_agency: Any, purpose_ref: str, purpose: str, elements: Sequence[str], granted: bool
) -> ConsentGrant:
    """Record a person's answer to a request to share their verified data."""
    grant = ConsentGrant.objects.create(
        person_id=account.person_id,
        requester_agency=requester_agency,
        purpose_ref=purpose_ref,
        purpose=purpose,
        elements=list(elements),
        decision=ConsentGrant.Decision.GRANTED if granted else ConsentGrant.Decision.REFUSED,
    )
    entry_record(
        actor=account,
        action="consent:grant:" + grant.decision,
        object_type="consent_grant",
        object_id=grant.pk,
        detail={"purpose_ref": purpose_ref, "elements": list(elements)},
    )
    return grant


def _hidden_check(*, accessor: Any, agency: Any, hidden_until: dt.date, hidden_reason: str) -> None:
    """Only an officer of the agency that investigates may hide a read, for a stated reason, until a later date."""
    if accessor is None or accessor.kind != "officer" or accessor.agency_id != agency.pk:
        raise NotPermitted(_("Only an officer of the investigating agency may record a hidden access."))
    errors = {}
    if not hidden_reason.strip():
        errors["hidden_reason"] = _("Give the reason the access is hidden from the person.")
    if hidden_until <= timezone.localdate():
        errors["hidden_until"] = _("The date must be in the future.")
    if errors:
        raise ValidationFailed(fields=errors)


def _accessor_label(*, accessor: Any, agency: Any) -> str:
    if accessor is None:
        return f"{agency.name} (automated)"
    if accessor.kind == "officer":
        return accessor.get_full_name() or accessor.username
    if accessor.kind == "system":  # an agency's calling system (GovStack APIs)
        return f"{agency.name} ({accessor.username})"
    return "Another person"  # never disclose one person's identity to another


@transaction.atomic(savepoint=False)
def access_record(
    *,
    person_id: int,
    elements: list[str],
    context: Any,
    hidden_until: dt.date | None = None,
    hidden_reason: str = "",
) -> AccessRecord:
    """Record one read of a person's data; called by the registries for every read by someone else.

    `hidden_until` is for investigations: the person sees the entry from that date on.
    """
    accessor = context.accessor
    if not context.legal_basis and context.consent_grant_id is None:
        # A programming error in the caller, not the person's: every read must state its ground.
        raise ValueError("an access record needs a legal basis or a consent grant")
    if hidden_until is not None:
        _hidden_check(accessor=accessor, agency=context.agency, hidden_until=hidden_until, hidden_reason=hidden_reason)
    record = AccessRecord.objects.create(
        person_id=person_id,
        accessor_id=accessor.pk if accessor is not None else None,
        accessor_label=_accessor_label(accessor=accessor, agency=context.agency),
        agency=context.agency,
        service_ref=context.service_ref,
        elements=elements,
        purpose=context.purpose,
        legal_basis=context.legal_basis,
        consent_grant_id=context.consent_grant_id,
        request_id=request_id_get(),
        hidden_until=hidden_until,
        hidden_reason=hidden_reason.strip() if hidden_until else "",
    )
    detail = {"elements": elements, "agency": context.agency.code, "service": context.service_ref}
    if hidden_until is not None:
        detail |= {"hidden_until": hidden_until.isoformat(), "hidden_reason": record.hidden_reason}
    entry_record(
        actor=accessor,
        action="registries:person:read",
        object_type="person",
        object_id=person_id,
        detail=detail,
    )
    return record


@transaction.atomic(savepoint=False)
def access_records_many(
    *, reads: Sequence[tuple[int, str]], elements: list[str], context: Any, source_event_id: Any
) -> int:
    """Record many reads made for one purpose, as access_record would one by one: one AccessRecord per
    (person id, service ref) in `reads` (the service ref of `context` is not used), with ONE audit entry for
    the batch, which names the event the reads were made for. For a subscriber messaging thousands of people
    (a scan's offers); no hidden reads here: those are an investigating officer's, one at a time."""
    if not context.legal_basis and context.consent_grant_id is None:
        raise ValueError("an access record needs a legal basis or a consent grant")
    if not reads:
        return 0
    accessor = context.accessor
    accessed_at = AccessRecord._meta.get_field("accessed_at").get_db_prep_value(timezone.now(), connection)
    consent_grant_id = context.consent_grant_id
    constants = (
        accessed_at,
        accessor.pk if accessor is not None else None,
        _accessor_label(accessor=accessor, agency=context.agency),
        context.agency.pk,
        json.dumps(list(elements)),  # rows_insert takes JSON as text
        context.purpose,
        context.legal_basis,
        uuids_for_database([str(consent_grant_id)])[0] if consent_grant_id is not None else None,
        request_id_get(),
        None,
        "",
    )
    # The ORM's per-row path costs more than the rest of a batch of messages.
    rows_insert(
        model=AccessRecord,
        fields=("person", "service_ref", "accessed_at", "accessor_id", "accessor_label", "agency", "elements",
                "purpose", "legal_basis", "consent_grant", "request_id", "hidden_until", "hidden_reason"),
        rows=((person_id, service_ref, *constants) for person_id, service_ref in reads),
    )
    entry_record(
        actor=accessor,
        action="registries:persons:read",
        object_type="event",
        object_id=source_event_id,
        detail={"elements": list(elements), "agency": context.agency.code, "count": len(reads)},
    )
    return len(reads)


@transaction.atomic(savepoint=False)
def population_access_record(
    *, actor: Any, agency: Any, elements: Sequence[str], purpose: str, legal_basis: str, persons_count: int
) -> PopulationAccess:
    """Record one population-wide read (bulk registry reads by a rules scan or a policy simulation).

    `actor` is the officer who started the run, or None when the platform runs it on a schedule.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        accessor_id, label = None, f"{agency.name} (automated)"
    else:
        accessor_id, label = actor.pk, actor.get_full_name() or actor.username
    record = PopulationAccess.objects.create(
        accessor_id=accessor_id,
        accessor_label=label,
        agency=agency,
        elements=list(elements),
        purpose=purpose,
        legal_basis=legal_basis,
        persons_count=persons_count,
        request_id=request_id_get(),
    )
    entry_record(
        actor=actor,
        action="registries:population:read",
        object_type="population_access",
        object_id=record.pk,
        detail={"elements": list(elements), "agency": agency.code, "purpose": purpose, "persons": persons_count},
    )
    return record


@transaction.atomic(savepoint=False)
def consent_withdraw(*, account: Any, grant_id: Any) -> ConsentGrant:
    """The person withdraws a standing consent (e.g. an app's access to their details); later reads under it
    are no longer covered. Withdrawing twice keeps the first date."""
    grant = ConsentGrant.objects.select_for_update().filter(pk=grant_id, person_id=account.person_id).first()
    if grant is None:
        raise NotFound()
    if grant.withdrawn_at is None:
        grant.withdrawn_at = timezone.now()
        grant.save(update_fields=["withdrawn_at"])
        entry_record(
            actor=account, action="consent:grant:withdraw", object_type="consent_grant", object_id=grant.pk,
            detail={"purpose_ref": grant.purpose_ref},
        )
    return grant
