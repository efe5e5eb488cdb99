import pytest

from digigov.blocks.consent.models import AccessRecord, ConsentGrant
from digigov.blocks.services import actions, queries
from digigov.blocks.services.errors import IdempotencyKeyReused, NotYetDecided
from digigov.blocks.services.models import Application, ApplicationStatus
from digigov.platform.errors import NotFound, NotPermitted, ValidationFailed
from digigov.platform.models import Event
from tests.support import entered_answers


def _verified_keys(service) -> set[str]:
    return {f.key for f in queries.prefill_request(service=service)}


def test_consent_prefills_every_requested_element_with_its_source(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    application = actions.application_prefill_decide(account=citizen, application=application, granted=True)
    verified = {k: v for k, v in application.answers.items() if v["source"] == "verified"}
    assert set(verified) == _verified_keys(baby_bonus)
    assert all(v["agency"] and v["verified_at"] for v in verified.values())
    grant = ConsentGrant.objects.get(pk=application.consent_grant_id)
    assert grant.decision == "granted"
    assert set(grant.elements) == {f.data_element.key for f in queries.prefill_request(service=baby_bonus)}


def test_prefill_is_recorded_as_an_access_by_the_service_agency(citizen, baby_bonus):
    before = AccessRecord.objects.filter(person_id=citizen.person_id).count()
    application = actions.application_start(account=citizen, service=baby_bonus)
    application = actions.application_prefill_decide(account=citizen, application=application, granted=True)
    # The pre-fill is one read under the consent; the baby bonus check on the same data is another, on the
    # ground of the application (tests/blocks/rules/test_eligibility.py).
    assert AccessRecord.objects.filter(person_id=citizen.person_id).count() == before + 2
    record = AccessRecord.objects.get(person_id=citizen.person_id, consent_grant_id__isnull=False)
    assert record.agency == baby_bonus.agency
    assert record.consent_grant_id == application.consent_grant_id
    assert "person.full_name" in record.elements


def test_refusing_consent_prefills_nothing_and_typed_answers_are_marked_entered(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    application = actions.application_prefill_decide(account=citizen, application=application, granted=False)
    assert application.answers == {}
    answers = entered_answers(baby_bonus)
    answers.update(
        {f.key: "Typed by me" for f in queries.prefill_request(service=baby_bonus) if f.field_type == "text"}
    )
    # Fields that would have been pre-filled are now the applicant's to answer, in their own types.
    submitted = actions.application_submit(
        account=citizen, application=application, answers=answers, idempotency_key="refuse-1"
    )
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert {a["source"] for a in submitted.answers.values()} == {"entered"}
    assert not submitted.is_prefilled


def test_verified_answers_cannot_be_overwritten_by_the_applicant(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    application = actions.application_prefill_decide(account=citizen, application=application, granted=True)
    name_field = next(
        f.key for f in queries.prefill_request(service=baby_bonus) if f.data_element.key == "person.full_name"
    )
    original = application.answers[name_field]["value"]
    answers = {**entered_answers(baby_bonus), name_field: "Someone Else"}
    submitted = actions.application_submit(
        account=citizen, application=application, answers=answers, idempotency_key="k-over"
    )
    assert submitted.answers[name_field] == application.answers[name_field]
    assert submitted.answers[name_field]["value"] == original


def test_missing_and_malformed_answers_are_reported_per_field(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    actions.application_prefill_decide(account=citizen, application=application, granted=True)
    answers = entered_answers(baby_bonus)
    yesno = next(f for f in queries.service_fields(service=baby_bonus) if f.field_type == "yesno")
    text = next(
        f for f in queries.service_fields(service=baby_bonus) if f.field_type == "text" and not f.data_element_id
    )
    answers[yesno.key] = "perhaps"
    del answers[text.key]
    with pytest.raises(ValidationFailed) as failure:
        actions.application_submit(account=citizen, application=application, answers=answers, idempotency_key="bad-1")
    assert set(failure.value.fields) == {yesno.key, text.key}
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT
    assert not Event.objects.filter(type="application.submitted", payload__application_id=str(application.pk)).exists()


def test_a_draft_keeps_valid_answers_and_reports_invalid_ones(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    text = next(
        f for f in queries.service_fields(service=baby_bonus) if f.field_type == "text" and not f.data_element_id
    )
    yesno = next(f for f in queries.service_fields(service=baby_bonus) if f.field_type == "yesno")
    with pytest.raises(ValidationFailed) as failure:
        actions.application_draft_save(
            account=citizen, application=application, answers={text.key: "Kept", yesno.key: "x"}
        )
    assert set(failure.value.fields) == {yesno.key}
    saved = Application.objects.get(pk=application.pk)
    assert saved.answers[text.key] == {"value": "Kept", "source": "entered"}
    assert actions.application_start(account=citizen, service=baby_bonus).pk == application.pk  # the draft resumes


def test_a_retried_submission_creates_one_application(citizen, baby_bonus):
    answers = entered_answers(baby_bonus)
    first, created = actions.application_apply(
        account=citizen, service=baby_bonus, answers=answers, consent_to_prefill=True, idempotency_key="retry-1"
    )
    again, created_again = actions.application_apply(
        account=citizen, service=baby_bonus, answers=answers, consent_to_prefill=True, idempotency_key="retry-1"
    )
    assert (created, created_again) == (True, False)
    assert again.reference == first.reference
    assert Application.objects.filter(idempotency_key="retry-1").count() == 1
    assert Event.objects.filter(type="application.submitted", payload__application_id=str(first.pk)).count() == 1


def test_a_double_click_on_submit_submits_once(citizen, baby_bonus):
    application = actions.application_start(account=citizen, service=baby_bonus)
    actions.application_prefill_decide(account=citizen, application=application, granted=True)
    answers = entered_answers(baby_bonus)
    one = actions.application_submit(account=citizen, application=application, answers=answers, idempotency_key="dbl-1")
    two = actions.application_submit(account=citizen, application=application, answers=answers, idempotency_key="dbl-1")
    assert one.reference == two.reference
    assert Event.objects.filter(type="application.submitted", payload__application_id=str(application.pk)).count() == 1


def test_an_idempotency_key_cannot_be_reused_by_another_person(
    citizen, other_citizen, baby_bonus, submitted_application
):
    with pytest.raises(IdempotencyKeyReused):
        actions.application_apply(
            account=other_citizen,
            service=baby_bonus,
            answers=entered_answers(baby_bonus),
            consent_to_prefill=False,
            idempotency_key=submitted_application.idempotency_key,
        )


def test_references_are_unique_and_name_the_agency(citizen, baby_bonus):
    refs = {
        actions.application_apply(
            account=citizen,
            service=baby_bonus,
            answers=entered_answers(baby_bonus),
            consent_to_prefill=True,
            idempotency_key=f"ref-{i}",
        )[0].reference
        for i in range(3)
    }
    assert len(refs) == 3
    assert all(r.startswith(f"{baby_bonus.agency.code}-") for r in refs)


def test_another_citizen_cannot_reach_my_application(other_citizen, submitted_application):
    with pytest.raises(NotFound):
        queries.access_application(account=other_citizen, application_id=submitted_application.pk)
    with pytest.raises(NotPermitted):
        actions.application_respond(account=other_citizen, application=submitted_application, response="hi")


def test_rating_waits_for_a_decision(citizen, submitted_application):
    with pytest.raises(NotYetDecided):
        actions.application_rate(account=citizen, application=submitted_application, score=6)


def test_an_officer_cannot_apply(ssa_officer, baby_bonus):
    with pytest.raises(NotPermitted):
        actions.application_start(account=ssa_officer, service=baby_bonus)


def test_search_finds_services_by_words_in_any_order(nation):
    names = [s.slug for s in queries.service_list(query="bonus baby")]
    assert "baby-bonus" in names
    assert list(queries.service_list(query="no-such-service-anywhere")) == []
