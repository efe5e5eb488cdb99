"""The officers' back office, driven through its pages as an officer would use them."""

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digigov.blocks.consent.queries import access_records_for_account
from digigov.blocks.services.models import ApplicationStatus
from digigov.blocks.workflow.models import Decision, Task, TaskStatus

QUEUE = "/backoffice/"


def task_url(task, action: str = "") -> str:
    return f"/backoffice/tasks/{task.pk}/" + (f"{action}/" if action else "")


def claim(client, task):
    return client.post(task_url(task, "claim"))


def decide(client, task, outcome: str, reason: str = "", follow: bool = False):
    return client.post(task_url(task, "decision"), {"outcome": outcome, "reason": reason}, follow=follow)


def test_the_agency_officer_sees_the_new_task_in_the_queue(task, ssa_officer, signed_in):
    response = signed_in(ssa_officer).get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert task.application.reference in page
    assert task_url(task) in page
    assert task.application.service.name in page


def test_an_officer_of_another_agency_neither_sees_nor_reaches_the_task(task, hsg_officer, signed_in):
    client = signed_in(hsg_officer)
    assert task.application.reference not in client.get(QUEUE).content.decode()
    assert client.get(task_url(task)).status_code == 404
    assert claim(client, task).status_code == 404
    task.refresh_from_db()
    assert task.assignee_id is None


def test_a_citizen_never_gets_the_back_office(task, citizen, signed_in):
    client = signed_in(citizen)
    assert client.get(QUEUE).status_code == 404
    assert client.get(task_url(task)).status_code == 404
    assert claim(client, task).status_code == 404


def test_an_officer_without_the_second_factor_this_session_is_sent_to_sign_in(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer, mfa_verified=False)
    response = client.get(task_url(task))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign-in"))
    assert "next=" in response["Location"]
    assert task.application.reference not in response.content.decode()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(nation):
    response = Client().get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign-in"))


def test_an_officer_who_has_not_set_up_an_authenticator_is_sent_to_enrol(nation, signed_in):
    from digigov.blocks.identity.actions import officer_create
    from digigov.blocks.registries.queries import agency_get

    newcomer = officer_create(
        username="ssa.newcomer", full_name="New Officer", agency=agency_get(code="SSA"), roles=["case_officer"],
        password="a-long-password-1",
    )
    response = signed_in(newcomer).get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")


def test_claiming_then_approving_approves_the_application_and_records_who_and_when(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    assert claim(client, task).status_code == 302
    task.refresh_from_db()
    assert task.assignee == ssa_officer and task.status == TaskStatus.CLAIMED

    response = decide(client, task, "approve", follow=True)

    assert response.status_code == 200
    assert "govuk-notification-banner--success" in response.content.decode()
    task.refresh_from_db()
    task.application.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.application.status == ApplicationStatus.APPROVED
    decision = Decision.objects.get(task=task)
    assert decision.outcome == "approve"
    assert decision.decided_by == ssa_officer
    assert decision.decided_at is not None


def test_a_rejection_without_a_reason_shows_the_error_beside_the_field_and_changes_nothing(
    task, ssa_officer, signed_in
):
    client = signed_in(ssa_officer)
    claim(client, task)

    response = decide(client, task, "reject", reason="   ")

    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert 'href="#reason"' in page
    assert 'id="reason-error"' in page
    assert "govuk-textarea--error" in page
    task.refresh_from_db()
    task.application.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED
    assert task.application.status == ApplicationStatus.IN_REVIEW
    assert not Decision.objects.filter(task=task).exists()


def test_asking_for_more_information_parks_the_task_and_the_applicant_sees_more_info_needed(
    task, ssa_officer, signed_in
):
    client = signed_in(ssa_officer)
    claim(client, task)

    response = decide(client, task, "request_info", reason="What is the birth certificate number?", follow=True)

    assert response.status_code == 200
    assert "What is the birth certificate number?" in response.content.decode()
    task.refresh_from_db()
    task.application.refresh_from_db()
    assert task.status == TaskStatus.WAITING
    assert task.application.status == ApplicationStatus.MORE_INFO
    assert task.application.info_request == "What is the birth certificate number?"


def test_asking_for_more_information_without_a_question_shows_the_error_beside_the_field(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    claim(client, task)

    response = decide(client, task, "request_info", reason="")

    assert response.status_code == 400
    assert 'id="reason-error"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED


def test_a_decision_without_an_outcome_asks_for_one(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    claim(client, task)

    response = client.post(task_url(task, "decision"), {"reason": "Looks fine"})

    assert response.status_code == 400
    assert 'id="outcome-error"' in response.content.decode()
    assert not Decision.objects.filter(task=task).exists()


def test_viewing_a_task_records_one_access_for_the_applicant_with_the_officers_agency(
    task, ssa_officer, citizen, signed_in
):
    before = access_records_for_account(account=citizen).count()

    response = signed_in(ssa_officer).get(task_url(task))

    assert response.status_code == 200
    records = access_records_for_account(account=citizen)
    assert records.count() == before + 1
    latest = records.first()
    assert latest.agency_id == ssa_officer.agency_id
    assert latest.accessor_id == ssa_officer.pk
    assert task.application.reference in latest.purpose


def test_the_queue_does_not_read_the_applicants_data(task, ssa_officer, citizen, signed_in):
    before = access_records_for_account(account=citizen).count()
    signed_in(ssa_officer).get(QUEUE)
    assert access_records_for_account(account=citizen).count() == before


def test_the_task_page_tells_verified_answers_from_those_the_applicant_typed(task, ssa_officer, signed_in):
    page = signed_in(ssa_officer).get(task_url(task)).content.decode()
    assert "Entered by applicant" in page
    assert "Verified by" in page


def test_deciding_a_task_nobody_claimed_shows_a_banner_not_an_error_page(task, ssa_officer, signed_in):
    response = decide(signed_in(ssa_officer), task, "approve", follow=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_claiming_a_task_already_done_shows_a_banner(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    claim(client, task)
    decide(client, task, "approve")

    response = client.post(task_url(task, "claim"), follow=True)

    assert response.status_code == 200
    assert "This task is already done." in response.content.decode()


def test_a_case_officer_cannot_decide_a_task_a_colleague_holds(task, ssa_officer, signed_in):
    from digigov.blocks.identity.actions import officer_create
    from digigov.blocks.registries.queries import agency_get

    colleague = officer_create(
        username="ssa.colleague", full_name="Colleague Officer", agency=agency_get(code="SSA"),
        roles=["case_officer"], password="a-long-password-1",
    )
    colleague.totp_confirmed_at = timezone.now()
    colleague.save(update_fields=["totp_confirmed_at"])
    claim(signed_in(ssa_officer), task)

    response = decide(signed_in(colleague), task, "approve", follow=True)

    assert "Another officer is already working on this task." in response.content.decode()
    task.application.refresh_from_db()
    assert task.application.status == ApplicationStatus.IN_REVIEW


def test_an_overdue_task_is_marked_in_red(task, ssa_officer, signed_in):
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    page = signed_in(ssa_officer).get(QUEUE).content.decode()
    assert "govuk-tag--red" in page


def test_the_mine_filter_shows_only_the_officers_own_tasks(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    assert task_url(task) not in client.get(QUEUE, {"status": "mine"}).content.decode()
    claim(client, task)
    assert task_url(task) in client.get(QUEUE, {"status": "mine"}).content.decode()


def test_a_decided_task_leaves_the_open_queue_for_done(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    claim(client, task)
    decide(client, task, "approve")
    assert task_url(task) not in client.get(QUEUE).content.decode()
    assert task_url(task) in client.get(QUEUE, {"status": "done"}).content.decode()


def test_actions_need_the_pages_csrf_token(task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    client.handler.enforce_csrf_checks = True
    assert claim(client, task).status_code == 403
    task.refresh_from_db()
    assert task.assignee_id is None


def test_the_navigation_links_to_the_agencys_kpis(task, ssa_officer, signed_in):
    page = signed_in(ssa_officer).get(QUEUE).content.decode()
    assert f"/kpi/?agency={ssa_officer.agency.code}" in page
