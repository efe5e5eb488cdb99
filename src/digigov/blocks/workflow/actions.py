"""Case work: tasks in each agency's queue, claimed by officers and closed with a decision."""

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.services import actions as services_actions
from digigov.blocks.workflow.errors import NotAutomatic, TaskClosed, TaskTaken
from digigov.blocks.workflow.models import Decision, Task, TaskStatus
from digigov.platform.errors import Conflict, NotPermitted, ValidationFailed

DECIDING_ROLES = {"case_officer", "supervisor"}
# Officers, and agencies' calling systems granted a deciding role (GovStack Registration operators).
DECIDER_KINDS = {"officer", "system"}
# Task outcomes and the application statuses they lead to (services.models.ApplicationStatus values).
OUTCOME_TO_STATUS = {
    Decision.Outcome.APPROVE: "approved",
    Decision.Outcome.REJECT: "rejected",
    Decision.Outcome.REQUEST_INFO: "more_info",
}


def _require_decider(*, officer: Any, task: Task) -> set[str]:
    roles = officer_roles(account=officer)
    if officer.kind not in DECIDER_KINDS or officer.agency_id != task.agency_id or not roles & DECIDING_ROLES:
        raise NotPermitted()
    return roles


@transaction.atomic
def task_create_for_application(*, application: Any, sla_days: int, task_id: uuid.UUID | None = None) -> Task:
    """Put a submitted application in its agency's queue; a repeated call returns the existing task. `task_id`
    gives the task a known id (fixtures for integrators)."""
    task, created = Task.objects.get_or_create(
        application_id=application.pk,
        defaults={
            **({"id": task_id} if task_id else {}),
            "agency_id": application.service.agency_id,
            "due_at": (application.submitted_at or timezone.now()) + dt.timedelta(days=sla_days),
        },
    )
    if created:
        entry_record(actor=None, action="workflow:task:create", object_type="task", object_id=task.pk)
    return task


@transaction.atomic
def task_claim(*, officer: Any, task: Task) -> Task:
    task = Task.objects.select_for_update().select_related("application").get(pk=task.pk)
    roles = _require_decider(officer=officer, task=task)
    if task.status == TaskStatus.DONE:
        raise TaskClosed()
    if task.assignee_id and task.assignee_id != officer.pk and "supervisor" not in roles:
        raise TaskTaken()
    task.assignee = officer
    task.claimed_at = timezone.now()
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.CLAIMED
    task.save(update_fields=["assignee", "claimed_at", "status"])
    services_actions.application_review_start(officer=officer, application=task.application)
    entry_record(actor=officer, action="workflow:task:claim", object_type="task", object_id=task.pk)
    return task


@transaction.atomic
def task_decide(*, officer: Any, task: Task, outcome: str, reason: str = "") -> Decision:
    """Close the task with a decision, or park it while the applicant is asked for more information."""
    task = Task.objects.select_for_update().select_related("application").get(pk=task.pk)
    roles = _require_decider(officer=officer, task=task)
    if task.status == TaskStatus.DONE:
        raise TaskClosed()
    if task.assignee_id != officer.pk and "supervisor" not in roles:
        raise TaskTaken() if task.assignee_id else NotPermitted("Claim the task before deciding it.")
    if outcome not in OUTCOME_TO_STATUS:
        raise ValidationFailed(fields={"outcome": "Choose a decision"})
    services_actions.application_decide(
        officer=officer, application=task.application, outcome=OUTCOME_TO_STATUS[outcome], reason=reason
    )
    decision = Decision.objects.create(task=task, outcome=outcome, reason=(reason or "").strip(), decided_by=officer)
    if outcome == Decision.Outcome.REQUEST_INFO:
        task.status = TaskStatus.WAITING
    else:
        task.status = TaskStatus.DONE
        task.completed_at = timezone.now()
    task.save(update_fields=["status", "completed_at"])
    entry_record(actor=officer, action=f"workflow:task:{outcome}", object_type="task", object_id=task.pk)
    return decision


@transaction.atomic
def task_reopen_for_application(*, application_id: Any) -> Task | None:
    """The applicant answered: the task returns to the officer who asked (or to the queue)."""
    task = Task.objects.select_for_update().filter(application_id=application_id).first()
    if task is None or task.status != TaskStatus.WAITING:
        return task
    task.status = TaskStatus.CLAIMED if task.assignee_id else TaskStatus.OPEN
    task.save(update_fields=["status"])
    entry_record(actor=None, action="workflow:task:reopen", object_type="task", object_id=task.pk)
    return task


@transaction.atomic
def task_decide_automatically(*, application: Any, sla_days: int) -> Decision | None:
    """Approve at once an application the rules found eligible on verified data alone, if its service allows
    it; otherwise leave its task in the queue. Repeated calls decide once."""
    task = task_create_for_application(application=application, sla_days=sla_days)
    task = Task.objects.select_for_update().select_related("application").get(pk=task.pk)
    eligibility = task.application.eligibility or {}
    if task.status == TaskStatus.DONE or not eligibility.get("auto_decide"):
        return None
    rules_version = eligibility["rules_version"]
    application = services_actions.application_decide_automatically(
        application=task.application, rules_version=rules_version
    )
    decision = Decision.objects.create(
        task=task,
        outcome=Decision.Outcome.APPROVE,
        reason=application.decision_reason,
        decided_by=None,
        automatic=True,
        rules_version=rules_version,
    )
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.save(update_fields=["status", "completed_at"])
    entry_record(
        actor=None,
        action="workflow:task:approve",
        object_type="task",
        object_id=task.pk,
        detail={"automatic": True, "rules_version": rules_version},
    )
    return decision


@transaction.atomic
def decision_reverse(*, officer: Any, decision: Decision, reason: str) -> Decision:
    """A case officer or supervisor of the agency, on review, reverses an automatic approval: the application
    is then not approved, for the reason given (the applicant sees it). A decision is reversed at most once."""
    decision = Decision.objects.select_for_update().select_related("task__application").get(pk=decision.pk)
    _require_decider(officer=officer, task=decision.task)
    if not decision.automatic or decision.outcome != Decision.Outcome.APPROVE:
        raise NotAutomatic()
    if Decision.objects.filter(reverses=decision).exists():
        raise Conflict("This decision has already been reversed.")
    reason = (reason or "").strip()
    services_actions.application_decision_reverse(officer=officer, application=decision.task.application, reason=reason)
    reversal = Decision.objects.create(
        task=decision.task, outcome=Decision.Outcome.REVERSE, reason=reason, decided_by=officer, reverses=decision
    )
    entry_record(
        actor=officer,
        action="workflow:decision:reverse",
        object_type="task",
        object_id=decision.task_id,
        detail={"decision": decision.pk, "rules_version": decision.rules_version, "reason": reason},
    )
    return reversal


@transaction.atomic
def task_complete(*, actor: Any, task: Task, outcome: str, reason: str = "") -> Decision:
    """Claim the task if nobody has, then decide it, in one step (GovStack Registration's "complete task",
    which has no separate claim). A task another operator holds stays theirs unless the actor supervises."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.assignee_id is None and task.status != TaskStatus.DONE:
        task = task_claim(officer=actor, task=task)
    return task_decide(officer=actor, task=task, outcome=outcome, reason=reason)
