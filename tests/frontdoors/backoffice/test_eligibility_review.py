"""Officers see the applicant's eligibility explanation and can reverse an automatic approval."""

import pytest
from django.urls import reverse

from digigov.blocks.services.actions import application_apply
from digigov.blocks.services.models import ApplicationStatus, Service
from digigov.blocks.workflow.models import Decision, Task
from tests.support import entered_answers, officer_account


@pytest.fixture
def automatic_task(citizen, baby_bonus, deliver_events):
    Service.objects.filter(pk=baby_bonus.pk).update(auto_decide=True)
    baby_bonus.refresh_from_db()
    application, _created = application_apply(
        account=citizen,
        service=baby_bonus,
        answers=entered_answers(baby_bonus),
        consent_to_prefill=True,
        idempotency_key="auto-review-1",
    )
    deliver_events()
    return Task.objects.select_related("application").get(application_id=application.pk)


def test_the_task_page_shows_the_same_explanation_the_applicant_saw(task, ssa_officer, signed_in):
    page = signed_in(ssa_officer).get(reverse("backoffice:task", args=[task.pk])).content.decode()
    assert 'id="eligibility-outcome">Eligible' in page
    assert "Cash gift for a first child: 11,000" in page
    assert task.application.eligibility["rules_version"] in page


def test_an_automatic_approval_is_marked_and_a_case_officer_reverses_it(automatic_task, ssa_officer, signed_in):
    client = signed_in(ssa_officer)
    page = client.get(reverse("backoffice:task", args=[automatic_task.pk])).content.decode()
    assert "Automatic" in page and "Reverse the approval" in page
    decision = Decision.objects.get(task=automatic_task)
    url = reverse("backoffice:decision-reverse", args=[decision.pk])
    empty = client.post(url, {"reason": " "})
    assert empty.status_code == 400
    assert "Explain to the applicant why the approval is reversed" in empty.content.decode()
    response = client.post(url, {"reason": "The child is registered abroad."})
    assert response.status_code == 302
    automatic_task.application.refresh_from_db()
    assert automatic_task.application.status == ApplicationStatus.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert "Reverse the approval" not in page and "The child is registered abroad." in page


def test_a_service_owner_sees_no_reverse_button_and_cannot_post_one(automatic_task, signed_in):
    owner = officer_account("ssa.owner")
    client = signed_in(owner)
    page = client.get(reverse("backoffice:task", args=[automatic_task.pk])).content.decode()
    assert "Reverse the approval" not in page
    decision = Decision.objects.get(task=automatic_task)
    client.post(reverse("backoffice:decision-reverse", args=[decision.pk]), {"reason": "No."})
    automatic_task.application.refresh_from_db()
    assert automatic_task.application.status == ApplicationStatus.APPROVED


def test_another_agencys_officer_gets_not_found(automatic_task, hsg_officer, signed_in):
    decision = Decision.objects.get(task=automatic_task)
    response = signed_in(hsg_officer).post(reverse("backoffice:decision-reverse", args=[decision.pk]), {"reason": "x"})
    assert response.status_code == 404


def test_the_queue_has_a_tab_of_automatic_decisions_to_review(automatic_task, ssa_officer, hsg_officer, signed_in):
    page = signed_in(ssa_officer).get(reverse("backoffice:queue") + "?status=automatic").content.decode()
    assert "Decided automatically (1)" in page
    assert automatic_task.application.reference in page
    other = signed_in(hsg_officer).get(reverse("backoffice:queue") + "?status=automatic").content.decode()
    assert "Decided automatically (0)" in other and automatic_task.application.reference not in other
