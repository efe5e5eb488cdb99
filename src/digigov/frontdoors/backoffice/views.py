"""The officers' back office: the agency's queue, one case, and the decision on it.

Views parse the request, call the workflow and services blocks, and render. Domain errors from the blocks
come back to the officer as a banner or a message beside the field, never as an error page.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.services import queries as services_queries
from digigov.blocks.workflow import actions as workflow_actions
from digigov.blocks.workflow import queries as workflow_queries
from digigov.frontdoors.backoffice.decorators import officer_required
from digigov.platform.errors import DomainError, NotFound, ValidationFailed

PAGE_SIZE = 50
REASON_MAX_LENGTH = 4000

# The queue's tabs: filter value -> label. "open" is all work not yet done (the default view).
QUEUE_FILTERS = {
    "open": gettext_lazy("Open"),
    "mine": gettext_lazy("Assigned to me"),
    "waiting": gettext_lazy("Waiting for the applicant"),
    "done": gettext_lazy("Done"),
    "automatic": gettext_lazy("Decided automatically"),
}
# Task statuses (workflow TaskStatus values), their labels for the counts, and their GOV.UK tag colours.
STATUS_LABELS = {
    "open": gettext_lazy("Waiting to be picked up"),
    "claimed": gettext_lazy("Being worked on"),
    "waiting": gettext_lazy("Waiting for the applicant"),
    "done": gettext_lazy("Done"),
}
STATUS_TAGS = {
    "open": "govuk-tag--blue",
    "claimed": "govuk-tag--yellow",
    "waiting": "govuk-tag--grey",
    "done": "govuk-tag--green",
}
DONE = "done"

# Decision outcomes (workflow Decision.Outcome values), in the order the radios show them.
OUTCOMES = {
    "approve": gettext_lazy("Approve"),
    "reject": gettext_lazy("Reject"),
    "request_info": gettext_lazy("Ask for more information"),
}
OUTCOME_DONE_MESSAGES = {
    "approve": gettext_lazy("Application %(reference)s approved. The applicant has been told."),
    "reject": gettext_lazy("Application %(reference)s rejected. The applicant has been told why."),
    "request_info": gettext_lazy("Your question about %(reference)s has been sent to the applicant."),
}


def _officer_label(account: Any) -> str:
    return account.get_full_name() or account.username


@dataclass(frozen=True)
class QueueRow:
    task: Any
    is_overdue: bool

    @property
    def status_label(self) -> str:
        return self.task.get_status_display()

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS.get(self.task.status, "")

    @property
    def assignee_label(self) -> str:
        return _officer_label(self.task.assignee) if self.task.assignee_id else ""


@require_GET
@officer_required
def queue(request: HttpRequest) -> HttpResponse:
    officer = request.user
    current = request.GET.get("status", "open")
    if current not in QUEUE_FILTERS:
        current = "open"
    tasks = workflow_queries.task_list_for_officer(officer=officer, status="" if current == "open" else current)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    counts = workflow_queries.queue_counts(officer=officer)
    tab_counts = {
        "open": sum(n for status, n in counts.items() if status != DONE),
        "mine": workflow_queries.task_list_for_officer(officer=officer, status="mine").count(),
        "waiting": counts.get("waiting", 0),
        "done": counts.get(DONE, 0),
        "automatic": workflow_queries.task_list_for_officer(officer=officer, status="automatic").count(),
    }
    return render(request, "backoffice/queue.html", {
        "nav_active": "queue",
        "tabs": [
            {"value": value, "label": label, "count": tab_counts[value], "is_current": value == current}
            for value, label in QUEUE_FILTERS.items()
        ],
        "current_filter": current,
        "current_label": QUEUE_FILTERS[current],
        "status_counts": [
            {"status": status, "label": label, "count": counts.get(status, 0), "tag": STATUS_TAGS[status]}
            for status, label in STATUS_LABELS.items()
        ],
        "page": page,
        "rows": [QueueRow(task=task, is_overdue=task.status != DONE and task.due_at < now) for task in page],
    })


def _task_or_404(*, officer: Any, task_id: uuid.UUID) -> Any:
    try:
        return workflow_queries.access_task(officer=officer, task_id=task_id)
    except NotFound:
        raise Http404() from None


def _render_task(
    request: HttpRequest,
    *,
    task: Any,
    form: dict | None = None,
    errors: dict | None = None,
    reverse_form: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    officer = request.user
    # The one read of the applicant's answers per page view; it lands in their "who accessed my data".
    try:
        application = services_queries.application_for_review(
            officer=officer, application_id=task.application_id,
            purpose=_("Case review of application %(reference)s") % {"reference": task.application.reference},
        )
    except NotFound:
        raise Http404() from None
    roles = officer_roles(account=officer)
    may_decide = bool(roles & workflow_actions.DECIDING_ROLES)
    is_mine = task.assignee_id == officer.pk
    is_done = task.status == DONE
    errors = errors or {}
    reverse_form = reverse_form or {"decision": None, "reason": "", "error": ""}
    now = timezone.now()
    decisions = list(workflow_queries.decisions_for_task(task=task))
    reversed_ids = {d.reverses_id for d in decisions if d.reverses_id}
    # An automatic approval stays open to review: a case officer or supervisor may reverse it, once.
    reversible = [
        d for d in decisions
        if d.automatic and d.outcome == "approve" and d.pk not in reversed_ids and application.status == "approved"
    ]
    error_list = [("#reason" if field == "reason" else "#outcome", message) for field, message in errors.items()]
    if reverse_form["error"]:
        error_list.append((f"#reverse-reason-{reverse_form['decision']}", reverse_form["error"]))
    return render(request, "backoffice/task.html", {
        "nav_active": "queue",
        "task": task,
        "application": application,
        "answers": services_queries.application_answers(application=application),
        "steps": list(application.steps.all()),
        "decisions": decisions,
        "reversible": reversible if may_decide else [],
        "reverse_form": reverse_form,
        "status_tag": STATUS_TAGS.get(task.status, ""),
        "is_overdue": not is_done and task.due_at < now,
        "is_mine": is_mine,
        "assignee_label": _officer_label(task.assignee) if task.assignee_id else "",
        # A supervisor may take over a task another officer holds; a case officer may only pick up a free one.
        "can_claim": may_decide and not is_done and not is_mine
        and (task.assignee_id is None or "supervisor" in roles),
        "can_decide": may_decide and not is_done and is_mine,
        "outcomes": list(OUTCOMES.items()),
        "form": form or {"outcome": "", "reason": ""},
        "errors": errors,
        "error_list": error_list,
    }, status=status)


@require_GET
@officer_required
def task_detail(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    task = _task_or_404(officer=request.user, task_id=task_id)
    return _render_task(request, task=task)


@require_POST
@officer_required
def task_claim(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    task = _task_or_404(officer=request.user, task_id=task_id)
    reference = task.application.reference
    try:
        workflow_actions.task_claim(officer=request.user, task=task)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You are now working on %(reference)s.") % {"reference": reference})
    return redirect("backoffice:task", task_id=task.pk)


def _decision_errors(error: ValidationFailed) -> dict[str, str]:
    """The block names the text a rejection's reason and an information request's question; the page has one
    box for both."""
    errors = {}
    for field, message in error.fields.items():
        errors["reason" if field in {"reason", "question"} else "outcome"] = str(message)
    return errors or {"outcome": error.message}


@require_POST
@officer_required
def task_decide(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    officer = request.user
    task = _task_or_404(officer=officer, task_id=task_id)
    reference = task.application.reference
    form = {"outcome": request.POST.get("outcome", ""), "reason": request.POST.get("reason", "").strip()}
    errors = {}
    if form["outcome"] not in OUTCOMES:
        errors["outcome"] = _("Choose a decision")
    if len(form["reason"]) > REASON_MAX_LENGTH:
        errors["reason"] = _("Must be %(max)s characters or fewer") % {"max": REASON_MAX_LENGTH}
    if not errors:
        try:
            workflow_actions.task_decide(officer=officer, task=task, outcome=form["outcome"], reason=form["reason"])
        except ValidationFailed as error:
            errors = _decision_errors(error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("backoffice:task", task_id=task.pk)
        else:
            messages.success(request, OUTCOME_DONE_MESSAGES[form["outcome"]] % {"reference": reference})
            return redirect("backoffice:task", task_id=task.pk)
    return _render_task(request, task=task, form=form, errors=errors, status=400)


@require_POST
@officer_required
def decision_reverse(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Reverse an automatic approval after review, with the reason the applicant will read."""
    officer = request.user
    try:
        decision = workflow_queries.access_decision(officer=officer, decision_id=decision_id)
    except NotFound:
        raise Http404() from None
    task = _task_or_404(officer=officer, task_id=decision.task_id)
    reason = request.POST.get("reason", "").strip()
    error = ""
    if not reason:
        error = _("Explain to the applicant why the approval is reversed")
    elif len(reason) > REASON_MAX_LENGTH:
        error = _("Must be %(max)s characters or fewer") % {"max": REASON_MAX_LENGTH}
    if not error:
        try:
            workflow_actions.decision_reverse(officer=officer, decision=decision, reason=reason)
        except ValidationFailed as failed:
            error = str(next(iter(failed.fields.values()), failed.message))
        except DomainError as failed:
            messages.error(request, failed.message)
            return redirect("backoffice:task", task_id=task.pk)
        else:
            messages.success(
                request,
                _("The automatic approval of %(reference)s is reversed. The applicant can see why.")
                % {"reference": task.application.reference},
            )
            return redirect("backoffice:task", task_id=task.pk)
    return _render_task(
        request, task=task, reverse_form={"decision": decision.pk, "reason": reason, "error": error}, status=400
    )
