import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from digigov.blocks.identity.api_auth import officer_of
from digigov.blocks.workflow import actions, queries

router = Router(tags=["case work"])


class TaskOut(Schema):
    id: uuid.UUID
    application_id: uuid.UUID
    reference: str | None
    service: str
    status: str
    assignee: str | None
    created_at: dt.datetime
    due_at: dt.datetime


class DecisionIn(Schema):
    outcome: str = Field(description="approve, reject or request_info")
    reason: str = Field("", max_length=4000, description="Required to reject or to ask for information")


class DecisionOut(Schema):
    id: int
    outcome: str
    reason: str
    decided_by: str | None = Field(description="The officer; null for an automatic decision")
    decided_at: dt.datetime
    automatic: bool
    rules_version: str = Field(description="The rules an automatic decision was made under")


class ReversalIn(Schema):
    reason: str = Field(max_length=4000, description="Why the automatic approval is reversed; the applicant reads it")


def _decision_out(decision) -> dict:
    return {
        "id": decision.pk, "outcome": decision.outcome, "reason": decision.reason,
        "decided_by": decision.decided_by.username if decision.decided_by_id else None,
        "decided_at": decision.decided_at, "automatic": decision.automatic, "rules_version": decision.rules_version,
    }


def _task_out(task) -> dict:
    return {
        "id": task.pk, "application_id": task.application_id, "reference": task.application.reference,
        "service": task.application.service.slug, "status": task.status,
        "assignee": task.assignee.username if task.assignee_id else None,
        "created_at": task.created_at, "due_at": task.due_at,
    }


@router.get("/tasks", response=list[TaskOut], summary="My agency's queue")
def tasks(request: HttpRequest, status: str = ""):
    return [_task_out(t) for t in queries.task_list_for_officer(officer=officer_of(request), status=status)[:500]]


@router.post("/tasks/{task_id}/claim", response=TaskOut, summary="Claim a task")
def claim(request: HttpRequest, task_id: uuid.UUID):
    officer = officer_of(request)
    task = actions.task_claim(officer=officer, task=queries.access_task(officer=officer, task_id=task_id))
    return _task_out(queries.access_task(officer=officer, task_id=task.pk))


@router.post("/tasks/{task_id}/decision", response={201: DecisionOut}, summary="Decide a claimed task")
def decide(request: HttpRequest, task_id: uuid.UUID, body: DecisionIn):
    officer = officer_of(request)
    task = queries.access_task(officer=officer, task_id=task_id)
    decision = actions.task_decide(officer=officer, task=task, outcome=body.outcome, reason=body.reason)
    return Status(201, _decision_out(decision))


@router.get("/tasks/{task_id}/decisions", response=list[DecisionOut], summary="Decisions on a task")
def decisions(request: HttpRequest, task_id: uuid.UUID):
    task = queries.access_task(officer=officer_of(request), task_id=task_id)
    return [_decision_out(d) for d in queries.decisions_for_task(task=task)]


@router.post(
    "/decisions/{decision_id}/reversal", response={201: DecisionOut}, summary="Reverse an automatic approval"
)
def reverse(request: HttpRequest, decision_id: int, body: ReversalIn):
    officer = officer_of(request)
    decision = queries.access_decision(officer=officer, decision_id=decision_id)
    return Status(201, _decision_out(actions.decision_reverse(officer=officer, decision=decision, reason=body.reason)))
