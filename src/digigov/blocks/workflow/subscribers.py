"""Workflow reacts to applications: a submitted one becomes a task; an answered question reopens it."""

from digigov.blocks.services.queries import application_get
from digigov.blocks.workflow import actions
from digigov.platform.outbox import subscribe


@subscribe(event_type="application.submitted", name="workflow.task_create")
def on_application_submitted(event) -> None:
    application = application_get(application_id=event.payload["application_id"])
    # Creates the task; an application its service lets the rules decide is approved in the same transaction.
    actions.task_decide_automatically(application=application, sla_days=application.service.sla_days)


@subscribe(event_type="application.info_provided", name="workflow.task_reopen")
def on_info_provided(event) -> None:
    actions.task_reopen_for_application(application_id=event.payload["application_id"])
