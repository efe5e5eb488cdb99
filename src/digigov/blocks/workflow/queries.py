import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Concat, TruncDay, TruncMonth, TruncWeek, TruncYear
from django.utils import timezone

from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.workflow.models import Decision, Task, TaskStatus
from digigov.platform.errors import NotFound


def task_list_for_officer(*, officer: Any, status: str = "") -> QuerySet[Task]:
    """The officer's agency's queue only, most urgent first."""
    if officer is None or officer.kind != "officer" or officer.agency_id is None:
        return Task.objects.none()
    tasks = Task.objects.filter(agency_id=officer.agency_id).select_related(
        "application__service", "assignee"
    )
    if status == "mine":
        tasks = tasks.filter(assignee=officer).exclude(status=TaskStatus.DONE)
    elif status == "automatic":  # approved by the rules, for officers to review
        return tasks.filter(decisions__automatic=True).distinct().order_by("-completed_at")
    elif status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    else:
        tasks = tasks.exclude(status=TaskStatus.DONE)
    return tasks.order_by("due_at", "created_at")


def access_task(*, officer: Any, task_id: Any) -> Task:
    if officer is None or officer.kind != "officer":
        raise NotFound()
    try:
        return Task.objects.select_related("application__service__agency", "assignee").get(
            pk=task_id, agency_id=officer.agency_id
        )
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def access_decision(*, officer: Any, decision_id: Any) -> Decision:
    """A decision on a task of the officer's agency; any other gets the same NotFound as a missing one."""
    if officer is None or officer.kind != "officer":
        raise NotFound()
    try:
        return Decision.objects.select_related("task__application", "decided_by").get(
            pk=decision_id, task__agency_id=officer.agency_id
        )
    except (Decision.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def automatic_decision_list(*, officer: Any) -> QuerySet[Decision]:
    """The agency's automatic approvals, newest first, for officers to review (reversed ones included)."""
    if officer is None or officer.kind != "officer" or officer.agency_id is None:
        return Decision.objects.none()
    return (
        Decision.objects.filter(task__agency_id=officer.agency_id, automatic=True)
        .select_related("task__application__service", "reversal")
        .order_by("-decided_at")
    )


def decisions_for_task(*, task: Task) -> QuerySet[Decision]:
    return task.decisions.select_related("decided_by").order_by("decided_at", "id")


def queue_counts(*, officer: Any) -> dict[str, int]:
    tasks = Task.objects.filter(agency_id=getattr(officer, "agency_id", None))
    return {status: tasks.filter(status=status).count() for status in TaskStatus.values}


# --- Calling systems (GovStack Registration, docs/govstack.md) ---

# An agency's system sees its agency's queue when it holds any officer role.
QUEUE_ROLES = {"case_officer", "supervisor", "service_owner"}


def _queue_for_system(*, account: Any) -> QuerySet[Task]:
    if (
        account is None
        or account.kind != "system"
        or account.agency_id is None
        or not officer_roles(account=account) & QUEUE_ROLES
    ):
        return Task.objects.none()
    return Task.objects.filter(agency_id=account.agency_id).select_related("application__service", "assignee")


def task_list_for_system(
    *,
    account: Any,
    task_id: Any = None,
    application_id: Any = None,
    assignee: str = "",
    order_by: Sequence[str] = (),
) -> QuerySet[Task]:
    """The agency's tasks for its calling system: open ones unless a task or application is named (then in any
    state), filtered by assignee username."""
    tasks = _queue_for_system(account=account)
    try:
        if task_id is not None:
            tasks = tasks.filter(pk=uuid.UUID(str(task_id)))
        if application_id is not None:
            tasks = tasks.filter(application_id=application_id)
    except ValueError:
        return Task.objects.none()
    if assignee:
        tasks = tasks.filter(assignee__username=assignee)
    if task_id is None and application_id is None:
        tasks = tasks.exclude(status=TaskStatus.DONE)
    return tasks.order_by(*order_by, "due_at", "created_at", "id")


def access_task_for_system(*, account: Any, task_id: Any) -> Task:
    try:
        return _queue_for_system(account=account).get(pk=uuid.UUID(str(task_id)))
    except (Task.DoesNotExist, ValueError):
        raise NotFound() from None


def tasks_for_applications(*, application_ids: Sequence[Any]) -> dict[str, Task]:
    """Each application's task (if it has one yet), by application id, in one query."""
    tasks = Task.objects.select_related("assignee").filter(application_id__in=list(application_ids))
    return {str(task.application_id): task for task in tasks}


STAT_PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "year": TruncYear}


@dataclass(frozen=True)
class DecisionCounts:
    service_id: int
    period: dt.date | None  # the first day of the timeframe period; None when not split by period
    approved: int
    rejected: int
    sent_back: int


def decision_statistics(
    *,
    agency_id: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    service_ids: Sequence[int] | None = None,
    operator: str = "",
    role: str = "",
    timeframe: str = "",
) -> list[DecisionCounts]:
    """Decisions made on an agency's tasks in [start, end), counted by service (and by period of `timeframe`):
    approvals (those not later reversed), rejections (including reversals of automatic approvals) and requests
    for more information. `operator` is the deciding account's username or full name; `role` one of its roles.
    Decisions made automatically have no operator and count only when neither is asked for."""
    decisions = Decision.objects.filter(task__agency_id=agency_id)
    if start is not None:
        decisions = decisions.filter(decided_at__gte=start)
    if end is not None:
        decisions = decisions.filter(decided_at__lt=end)
    if service_ids is not None:
        decisions = decisions.filter(task__application__service_id__in=service_ids)
    if operator:
        full_name = Concat("decided_by__first_name", Value(" "), "decided_by__last_name")
        decisions = decisions.annotate(operator_name=full_name).filter(
            Q(decided_by__username__iexact=operator) | Q(operator_name__iexact=operator)
        )
    if role:
        decisions = decisions.filter(decided_by__roles__role=role)
    group = ["task__application__service_id"]
    if timeframe:
        decisions = decisions.annotate(period=STAT_PERIODS[timeframe]("decided_at"))
        group.append("period")
    rows = decisions.values(*group).annotate(
        approved=Count("id", filter=Q(outcome=Decision.Outcome.APPROVE, reversal__isnull=True)),
        rejected=Count("id", filter=Q(outcome__in=[Decision.Outcome.REJECT, Decision.Outcome.REVERSE])),
        sent_back=Count("id", filter=Q(outcome=Decision.Outcome.REQUEST_INFO)),
    )
    counts = [
        DecisionCounts(
            service_id=row["task__application__service_id"],
            period=_local_date(row.get("period")),
            approved=row["approved"],
            rejected=row["rejected"],
            sent_back=row["sent_back"],
        )
        for row in rows
    ]
    return sorted(counts, key=lambda c: (c.service_id, c.period or dt.date.min))


def _local_date(value: dt.datetime | dt.date | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
