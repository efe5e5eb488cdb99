"""The citizen sees whether they qualify, and why, on the form, on submission and on the application page."""

import re

from django.urls import reverse

from digigov.blocks.services.models import Service
from tests.support import signed_in_client


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _section(page: str) -> str:
    return re.search(r'<section[^>]*id="eligibility".*?</section>', page, re.S).group(0)


def _start_with_consent(client, slug: str) -> str:
    response = client.get(reverse("portal:apply", args=[slug]))
    application_id = re.search(r"/applications/([0-9a-f-]{36})/", response["Location"]).group(1)
    client.post(reverse("portal:consent", args=[application_id]), {"decision": "granted"})
    return application_id


def _submit(client, application_id: str, answers: dict):
    return client.post(
        reverse("portal:form", args=[application_id]), {**answers, "action": "submit", "idempotency_key": "k-elig"}
    )


def test_the_form_shows_a_first_check_with_its_explanation(citizen):
    client = signed_in_client(citizen)
    application_id = _start_with_consent(client, "baby-bonus")
    section = _section(_page(client.get(reverse("portal:form", args=[application_id]))))
    assert "Eligible" in section and "11,000.00" in section
    assert "Cash gift for a first child: 11,000" in section
    assert "first check" in section
    assert "Met:" in section  # the tick is spelled out for screen readers


def test_a_fact_only_the_citizen_knows_shows_more_information_needed_then_their_answer_is_used(citizen):
    client = signed_in_client(citizen)
    application_id = _start_with_consent(client, "housing-grant")
    section = _section(_page(client.get(reverse("portal:form", args=[application_id]))))
    assert "More information needed" in section
    assert "Household is buying a public flat this month" in section
    response = _submit(client, application_id, {"flat_type": "4room", "first_home": "yes", "declaration": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    section = _section(_page(client.get(response["Location"])))
    assert 'id="eligibility-outcome">Eligible' in section
    assert "This check also used your own answers" in section


def test_an_automatically_approved_application_says_so_on_submission_and_on_its_page(
    citizen, baby_bonus, deliver_events
):
    Service.objects.filter(pk=baby_bonus.pk).update(auto_decide=True)
    client = signed_in_client(citizen)
    application_id = _start_with_consent(client, "baby-bonus")
    response = _submit(client, application_id, {"bank_account_number": "123-456-789", "declaration": "yes"})
    assert response.status_code == 302
    deliver_events()  # the worker (or, in the demo, delivery on commit) takes application.submitted
    submitted = _page(client.get(response["Location"]))
    assert 'id="approved-at-once"' in submitted
    assert "approves your application automatically" in _section(submitted)
    detail = _page(client.get(reverse("portal:application", args=[application_id])))
    assert 'id="status">Approved' in detail
    assert "rules version nation-" in _section(detail)
