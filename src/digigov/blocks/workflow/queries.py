from typing import Any

from django.db.models import QuerySet

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
