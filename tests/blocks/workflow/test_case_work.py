import pytest

from digigov.blocks.services.models import ApplicationStatus
from digigov.blocks.workflow import actions, queries
from digigov.blocks.workflow.errors import TaskClosed, TaskTaken
from digigov.blocks.workflow.models import Task, TaskStatus
from digigov.platform.errors import NotFound, NotPermitted, ValidationFailed
from tests.support import officer_account


@pytest.fixture
def task(submitted_application, deliver_events):
    deliver_events()
    return Task.objects.get(application_id=submitted_application.pk)


def test_a_submitted_application_becomes_a_task_in_the_owning_agencys_queue(task, submitted_application, ssa_officer):
    assert task.agency_id == submitted_application.service.agency_id
    assert task.status == TaskStatus.OPEN
    assert task in queries.task_list_for_officer(officer=ssa_officer)


def test_officers_of_other_agencies_neither_see_nor_reach_the_task(task, hsg_officer):
    assert task not in queries.task_list_for_officer(officer=hsg_officer)
    with pytest.raises(NotFound):
        queries.access_task(officer=hsg_officer, task_id=task.pk)
    with pytest.raises(NotPermitted):
        actions.task_claim(officer=hsg_officer, task=task)


def test_approval_decides_the_application_and_records_who_and_when(task, ssa_officer):
    actions.task_claim(officer=ssa_officer, task=task)
    decision = actions.task_decide(officer=ssa_officer, task=task, outcome="approve")
    task.refresh_from_db()
    task.application.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.application.status == ApplicationStatus.APPROVED
    assert decision.decided_by == ssa_officer and decision.decided_at is not None


def test_a_rejection_needs_a_reason_the_applicant_will_see(task, ssa_officer):
    actions.task_claim(officer=ssa_officer, task=task)
    with pytest.raises(ValidationFailed) as failure:
        actions.task_decide(officer=ssa_officer, task=task, outcome="reject", reason="  ")
    assert "reason" in failure.value.fields
    actions.task_decide(officer=ssa_officer, task=task, outcome="reject", reason="Income above the limit.")
    task.application.refresh_from_db()
    assert task.application.status == ApplicationStatus.REJECTED
    assert task.application.decision_reason == "Income above the limit."


def test_asking_for_information_parks_the_task_until_the_applicant_answers(task, ssa_officer, citizen, deliver_events):
    from digigov.blocks.services.actions import application_respond

    actions.task_claim(officer=ssa_officer, task=task)
    actions.task_decide(
        officer=ssa_officer, task=task, outcome="request_info", reason="Send the birth certificate number."
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.WAITING
    task.application.refresh_from_db()
    assert task.application.status == ApplicationStatus.MORE_INFO
    application_respond(account=citizen, application=task.application, response="BC-2026-1234")
    deliver_events()
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED and task.assignee == ssa_officer


def test_a_task_claimed_by_one_officer_cannot_be_decided_by_another_case_officer(task, ssa_officer, nation):
    from digigov.blocks.identity.actions import officer_create
    from digigov.blocks.registries.queries import agency_get

    colleague = officer_create(
        username="ssa.case2",
        full_name="Second Officer",
        agency=agency_get(code="SSA"),
        roles=["case_officer"],
        password="a-long-password-1",
    )
    actions.task_claim(officer=ssa_officer, task=task)
    with pytest.raises(TaskTaken):
        actions.task_decide(officer=colleague, task=task, outcome="approve")


def test_a_supervisor_may_decide_a_colleagues_task_but_not_twice(task, ssa_officer):
    supervisor = officer_account("ssa.supervisor")
    actions.task_claim(officer=ssa_officer, task=task)
    actions.task_decide(officer=supervisor, task=task, outcome="approve")
    with pytest.raises(TaskClosed):
        actions.task_decide(officer=supervisor, task=task, outcome="reject", reason="Changed my mind")


def test_a_service_owner_cannot_decide_cases(task):
    owner = officer_account("ssa.owner")
    with pytest.raises(NotPermitted):
        actions.task_claim(officer=owner, task=task)
