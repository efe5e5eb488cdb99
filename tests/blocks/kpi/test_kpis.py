from digigov.blocks.kpi import queries
from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.services.actions import application_apply, application_rate
from digigov.blocks.workflow import actions as workflow
from digigov.blocks.workflow.models import Task
from tests.support import entered_answers


def _decide(*, application, officer, deliver_events, outcome="approve"):
    deliver_events()
    task = Task.objects.get(application_id=application.pk)
    workflow.task_claim(officer=officer, task=task)
    workflow.task_decide(officer=officer, task=task, outcome=outcome, reason="Not eligible")
    deliver_events()


def test_kpis_move_with_each_step_of_a_transaction(
    citizen, baby_bonus, submitted_application, ssa_officer, deliver_events
):
    before = queries.figures(service_slug="baby-bonus")
    _decide(application=submitted_application, officer=ssa_officer, deliver_events=deliver_events)
    submitted_application.refresh_from_db()
    application_rate(account=citizen, application=submitted_application, score=6)
    deliver_events()
    after = queries.figures(service_slug="baby-bonus")
    assert after.submitted == before.submitted + 1
    assert after.prefilled == before.prefilled + 1
    assert after.decided == before.decided + 1
    assert after.digital_end_to_end == before.digital_end_to_end + 1
    assert (after.ratings, after.satisfied) == (before.ratings + 1, before.satisfied + 1)
    assert after.median_days_to_decision is not None


def test_shares_are_computed_from_events(citizen, baby_bonus, ssa_officer, deliver_events):
    TransactionEvent.objects.all().delete()
    apps = []
    for i, consent in enumerate([True, False, True, True]):
        application, _ = application_apply(
            account=citizen, service=baby_bonus, answers=entered_answers(baby_bonus),
            consent_to_prefill=consent, idempotency_key=f"kpi-{i}",
        )
        apps.append(application)
    for application, score in zip(apps[:2], [5, 2], strict=True):
        _decide(application=application, officer=ssa_officer, deliver_events=deliver_events)
        application.refresh_from_db()
        application_rate(account=citizen, application=application, score=score)
    deliver_events()
    figures = queries.figures()
    assert (figures.submitted, figures.prefilled) == (4, 3)
    assert figures.prefilled_share == 0.75
    assert figures.digital_share == 1.0
    assert figures.satisfied_share == 0.5
    by_agency = queries.figures_by(group="agency_code")
    assert set(by_agency) == {baby_bonus.agency.code}
    assert sum(f.submitted for f in queries.figures_by(group="service_slug").values()) == 4
    assert [label for label, _f in queries.monthly()] != []


def test_a_redelivered_event_is_counted_once(submitted_application, deliver_events):
    from digigov.blocks.kpi.actions import transaction_event_record
    from digigov.platform.models import Event

    deliver_events()
    event = Event.objects.get(type="application.submitted", payload__application_id=str(submitted_application.pk))
    count = TransactionEvent.objects.count()
    transaction_event_record(
        source_event_id=event.event_id, kind="submitted", occurred_at=event.created_at,
        application_id=submitted_application.pk, agency_code="SSA", service_slug="baby-bonus",
    )
    assert TransactionEvent.objects.count() == count

