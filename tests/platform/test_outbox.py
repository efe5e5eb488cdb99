"""At-least-once delivery without duplicate effects."""

from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.messaging.models import Message
from digigov.blocks.workflow.models import Task
from digigov.platform import outbox
from digigov.platform.models import Event, EventHandled


def _effects(application) -> tuple[int, int, int]:
    return (
        Task.objects.filter(application_id=application.pk).count(),
        Message.objects.filter(person_id=application.applicant_id).count(),
        TransactionEvent.objects.filter(application_id=application.pk).count(),
    )


def test_every_subscriber_takes_effect_once(submitted_application, deliver_events):
    deliver_events()
    assert _effects(submitted_application) == (1, 1, 1)
    event = Event.objects.get(type="application.submitted", payload__application_id=str(submitted_application.pk))
    assert event.dispatched_at is not None


def test_redelivery_after_a_crash_does_not_duplicate_effects(submitted_application, deliver_events):
    deliver_events()
    # A worker that crashed after the subscribers committed but before marking the event dispatched:
    Event.objects.filter(type="application.submitted").update(dispatched_at=None)
    deliver_events()
    assert _effects(submitted_application) == (1, 1, 1)


def test_a_subscriber_that_lost_its_handled_marker_is_still_idempotent(submitted_application, deliver_events):
    deliver_events()
    event = Event.objects.get(type="application.submitted", payload__application_id=str(submitted_application.pk))
    EventHandled.objects.filter(event=event).delete()
    Event.objects.filter(pk=event.pk).update(dispatched_at=None)
    deliver_events()
    assert _effects(submitted_application) == (1, 1, 1)


def test_a_failing_subscriber_is_retried_without_blocking_others(submitted_application, deliver_events):
    calls = []

    @outbox.subscribe(event_type="application.submitted", name="test.flaky")
    def flaky(event):
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("temporary failure")

    try:
        deliver_events()
        event = Event.objects.get(type="application.submitted", payload__application_id=str(submitted_application.pk))
        assert event.dispatched_at is None and event.attempts == 1 and "temporary failure" in event.last_error
        assert _effects(submitted_application) == (1, 1, 1)  # the other subscribers' effects are in
        Event.objects.filter(pk=event.pk).update(next_attempt_at=None)
        deliver_events()
        event.refresh_from_db()
        assert event.dispatched_at is not None
        assert len(calls) == 2
        assert _effects(submitted_application) == (1, 1, 1)
    finally:
        outbox._subscribers["application.submitted"] = [
            s for s in outbox._subscribers["application.submitted"] if s.name != "test.flaky"
        ]
