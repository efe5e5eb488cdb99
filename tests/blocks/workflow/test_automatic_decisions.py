"""Applications the rules find eligible on verified data alone are approved at once, and officers can reverse
that approval on review."""

import json

import pytest

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.services.actions import application_apply
from digigov.blocks.services.models import ApplicationStatus, Service
from digigov.blocks.workflow import actions, queries
from digigov.blocks.workflow.errors import NotAutomatic
from digigov.blocks.workflow.models import Decision, Task, TaskStatus
from digigov.platform.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from digigov.platform.models import Event
from tests.support import entered_answers, officer_account, signed_in_client


@pytest.fixture
def automatic_baby_bonus(baby_bonus):
    Service.objects.filter(pk=baby_bonus.pk).update(auto_decide=True)
    baby_bonus.refresh_from_db()
    return baby_bonus


def apply(account, service, *, consent=True, key="auto-1", answers=None):
    application, _created = application_apply(
        account=account,
        service=service,
        answers=answers or entered_answers(service),
        consent_to_prefill=consent,
        idempotency_key=key,
    )
    return application


@pytest.fixture
def approved(citizen, automatic_baby_bonus, deliver_events):
    application = apply(citizen, automatic_baby_bonus)
    deliver_events()
    application.refresh_from_db()
    return application


def test_an_eligible_application_on_verified_data_is_approved_at_once_with_the_rules_version(approved):
    assert approved.eligibility["outcome"] == "eligible" and approved.eligibility["auto_decide"] is True
    assert approved.status == ApplicationStatus.APPROVED
    task = Task.objects.get(application_id=approved.pk)
    assert task.status == TaskStatus.DONE
    decision = Decision.objects.get(task=task)
    assert decision.automatic and decision.decided_by is None
    assert decision.rules_version == approved.eligibility["rules_version"]
    assert decision.rules_version.startswith("nation-")


def test_the_automatic_approval_is_audited_and_announced_like_an_officers(approved):
    audit = AuditEntry.objects.filter(object_id=str(approved.pk), action="services:application:approved").get()
    assert audit.actor_id is None and audit.detail["automatic"] is True
    decided = Event.objects.filter(type="application.decided", payload__application_id=str(approved.pk)).get()
    assert decided.payload["outcome"] == "approved"
    assert decided.dispatched_at is not None  # messaging and KPIs took it as they take an officer's


def test_refusing_the_prefill_keeps_the_application_for_an_officer(citizen, automatic_baby_bonus, deliver_events):
    from digigov.blocks.services.queries import prefill_request

    answers = entered_answers(automatic_baby_bonus)
    answers.update({f.key: "Typed by me" for f in prefill_request(service=automatic_baby_bonus)})
    answers.update({"child_date_of_birth": "2026-10-17", "household_income": "9800", "email": "me@example.org"})
    application = apply(citizen, automatic_baby_bonus, consent=False, answers=answers)
    deliver_events()
    application.refresh_from_db()
    # The rules still find the family eligible on the registries, but the form was not filled from them.
    assert application.eligibility["outcome"] == "eligible"
    assert application.eligibility["auto_decide"] is False
    assert application.status == ApplicationStatus.SUBMITTED
    assert Task.objects.get(application_id=application.pk).status == TaskStatus.OPEN


def test_an_applicant_who_does_not_qualify_waits_for_an_officer(citizen, deliver_events):
    from digigov.blocks.services.queries import service_get

    senior_support = service_get(slug="senior-support")
    assert senior_support.auto_decide
    application = apply(citizen, senior_support, key="senior-1")
    deliver_events()
    application.refresh_from_db()
    assert application.eligibility["outcome"] == "not_eligible"
    assert application.status == ApplicationStatus.SUBMITTED
    assert not Decision.objects.filter(task__application_id=application.pk).exists()


def test_a_service_that_does_not_allow_it_never_decides_automatically(submitted_application, deliver_events):
    deliver_events()
    submitted_application.refresh_from_db()
    assert submitted_application.eligibility["outcome"] == "eligible"
    assert submitted_application.eligibility["auto_decide"] is False
    assert submitted_application.status == ApplicationStatus.SUBMITTED


def test_a_case_officer_reverses_an_automatic_approval_with_a_reason(approved, ssa_officer):
    decision = Decision.objects.get(task__application_id=approved.pk)
    reversal = actions.decision_reverse(officer=ssa_officer, decision=decision, reason="The child lives abroad.")
    approved.refresh_from_db()
    assert approved.status == ApplicationStatus.REJECTED
    assert approved.decision_reason == "The child lives abroad."
    assert reversal.reverses == decision and reversal.decided_by == ssa_officer
    assert reversal.outcome == Decision.Outcome.REVERSE
    assert AuditEntry.objects.filter(action="workflow:decision:reverse", actor_id=ssa_officer.pk).exists()
    event = Event.objects.get(type="application.decision_reversed", payload__application_id=str(approved.pk))
    assert event.payload["reason"] == "The child lives abroad." and event.payload["outcome"] == "rejected"


def test_a_reversal_needs_a_reason_and_happens_once(approved, ssa_officer):
    decision = Decision.objects.get(task__application_id=approved.pk)
    with pytest.raises(ValidationFailed):
        actions.decision_reverse(officer=ssa_officer, decision=decision, reason="  ")
    approved.refresh_from_db()
    assert approved.status == ApplicationStatus.APPROVED
    actions.decision_reverse(officer=ssa_officer, decision=decision, reason="Wrong child.")
    with pytest.raises(Conflict):
        actions.decision_reverse(officer=officer_account("ssa.supervisor"), decision=decision, reason="Again.")


def test_a_supervisor_may_reverse_but_a_service_owner_may_not(approved):
    decision = Decision.objects.get(task__application_id=approved.pk)
    with pytest.raises(NotPermitted):
        actions.decision_reverse(officer=officer_account("ssa.owner"), decision=decision, reason="No.")
    actions.decision_reverse(officer=officer_account("ssa.supervisor"), decision=decision, reason="Checked: wrong.")


def test_another_agency_neither_finds_nor_reverses_the_decision(approved, hsg_officer):
    decision = Decision.objects.get(task__application_id=approved.pk)
    with pytest.raises(NotFound):
        queries.access_decision(officer=hsg_officer, decision_id=decision.pk)
    with pytest.raises(NotPermitted):
        actions.decision_reverse(officer=hsg_officer, decision=decision, reason="Not ours.")
    assert decision not in queries.automatic_decision_list(officer=hsg_officer)


def test_an_officers_own_decision_is_not_reversed_this_way(submitted_application, deliver_events, ssa_officer):
    deliver_events()
    task = Task.objects.get(application_id=submitted_application.pk)
    actions.task_claim(officer=ssa_officer, task=task)
    decision = actions.task_decide(officer=ssa_officer, task=task, outcome="approve")
    with pytest.raises(NotAutomatic):
        actions.decision_reverse(officer=ssa_officer, decision=decision, reason="Changed my mind.")


def test_over_the_api_the_application_carries_its_check_and_an_officer_reverses_it(approved, citizen, ssa_officer):
    body = signed_in_client(citizen).get(f"/api/applications/{approved.pk}").json()
    assert body["status"] == "approved"
    assert body["eligibility"]["outcome"] == "eligible" and body["eligibility"]["amount"] == 11000
    assert any("Cash gift for a first child" in line["text"] for line in body["eligibility"]["lines"])
    officer = signed_in_client(ssa_officer)
    task = Task.objects.get(application_id=approved.pk)
    [decision] = officer.get(f"/api/tasks/{task.pk}/decisions").json()
    assert decision["automatic"] is True and decision["decided_by"] is None
    assert decision["rules_version"] == body["eligibility"]["rules_version"]
    url = f"/api/decisions/{decision['id']}/reversal"
    empty = officer.post(url, json.dumps({"reason": ""}), content_type="application/json")
    assert empty.status_code == 400 and "reason" in empty.json()["error"]["fields"]
    reversal = officer.post(url, json.dumps({"reason": "Wrong child."}), content_type="application/json")
    assert reversal.status_code == 201 and reversal.json()["outcome"] == "reverse"
    assert signed_in_client(citizen).get(f"/api/applications/{approved.pk}").json()["status"] == "rejected"


def test_over_the_api_another_agency_gets_404_for_the_decision(approved, hsg_officer):
    decision = Decision.objects.get(task__application_id=approved.pk)
    response = signed_in_client(hsg_officer).post(
        f"/api/decisions/{decision.pk}/reversal", json.dumps({"reason": "x"}), content_type="application/json"
    )
    assert response.status_code == 404
