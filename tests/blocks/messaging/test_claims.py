"""Two workers handed the same send (the outbox delivers at least once) send it once: each email or SMS is claimed
by one conditional UPDATE before any network I/O, and a claim whose worker died lapses and the send is retried.
The "other worker" here is the claim it would hold; the sends go over real SMTP."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from digigov.blocks.messaging import actions
from digigov.blocks.messaging.backends import email_sender
from digigov.blocks.messaging.backends.sms import sms_gateway
from digigov.blocks.messaging.models import Delivery, Dispatch
from digigov.blocks.registries.queries import agency_get
from digigov.platform.models import Event

pytestmark = pytest.mark.django_db


def lapse_claims(model) -> None:
    """The worker holding the claim died: its lease runs out (moved into the past instead of waited for)."""
    model.objects.update(claimed_until=timezone.now() - dt.timedelta(seconds=1))


@pytest.fixture
def queued_email(citizen):
    message = actions.message_create(
        person_id=citizen.person_id, template_key="application-received", source_event_id=uuid.uuid4(),
        email="person@example.org", context={"name": "A", "reference": "R-1"},
    )
    return message.deliveries.get(channel="email")


@pytest.fixture
def queued_dispatch(govstack_client_factory):
    account, _headers = govstack_client_factory(agency="SSA", apis=("messaging",))
    request, _created = actions.request_create(
        account=account, agency=agency_get(code="SSA"), kind="message", channels=["email"], subject="S", body="B",
        recipients=[actions.Recipient(email="someone@example.org")], personalise=False, access=None,
    )
    return request.dispatches.get()


def test_of_two_claims_on_an_email_only_the_first_wins(queued_email):
    assert actions.delivery_claim(delivery_id=queued_email.pk) is True
    assert actions.delivery_claim(delivery_id=queued_email.pk) is False


def test_of_two_claims_on_a_dispatch_only_the_first_wins(queued_dispatch):
    assert actions.dispatch_claim(dispatch_id=queued_dispatch.pk) is True
    assert actions.dispatch_claim(dispatch_id=queued_dispatch.pk) is False


def test_an_email_another_worker_is_sending_is_not_sent_again(queued_email, smtp_server):
    assert actions.delivery_claim(delivery_id=queued_email.pk)  # the other worker, mid-send
    with pytest.raises(actions.SendClaimed):
        actions.email_delivery_send(delivery_id=queued_email.pk, sender=email_sender())
    assert smtp_server.messages == []


def test_an_email_whose_worker_died_is_sent_once_after_its_claim_lapses(queued_email, smtp_server):
    assert actions.delivery_claim(delivery_id=queued_email.pk)
    lapse_claims(Delivery)
    sent = actions.email_delivery_send(delivery_id=queued_email.pk, sender=email_sender())
    again = actions.email_delivery_send(delivery_id=queued_email.pk, sender=email_sender())
    assert sent.status == again.status == "sent" and sent.claimed_until is None
    assert len(smtp_server.messages) == 1


def test_a_dispatch_another_worker_is_sending_is_not_sent_again(queued_dispatch, smtp_server):
    assert actions.dispatch_claim(dispatch_id=queued_dispatch.pk)
    with pytest.raises(actions.SendClaimed):
        actions.dispatch_send(dispatch_id=queued_dispatch.pk, email_sender=email_sender(), sms_gateway=sms_gateway())
    assert smtp_server.messages == []
    lapse_claims(Dispatch)
    for _worker in range(2):
        actions.dispatch_send(dispatch_id=queued_dispatch.pk, email_sender=email_sender(), sms_gateway=sms_gateway())
    assert len(smtp_server.messages) == 1


def test_the_worker_retries_a_send_whose_claim_lapsed_and_sends_it_once(queued_dispatch, smtp_server,
                                                                         deliver_events):
    assert actions.dispatch_claim(dispatch_id=queued_dispatch.pk)  # a worker that then died
    deliver_events()
    assert smtp_server.messages == []
    queued = Event.objects.get(type="messaging.dispatch_queued")
    assert queued.dispatched_at is None and "SendClaimed" in queued.last_error  # offered again later
    lapse_claims(Dispatch)
    Event.objects.filter(dispatched_at__isnull=True).update(next_attempt_at=None)  # the retry is due
    deliver_events()
    deliver_events()
    assert len(smtp_server.messages) == 1
    assert Dispatch.objects.get(pk=queued_dispatch.pk).status == "sent"


def test_a_failed_attempt_gives_up_its_claim_so_the_retry_can_send(queued_email, settings, smtp_server):
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(OSError):
        actions.email_delivery_send(delivery_id=queued_email.pk, sender=email_sender())
    settings.EMAIL_PORT = real_port
    assert actions.email_delivery_send(delivery_id=queued_email.pk, sender=email_sender()).status == "sent"
    assert len(smtp_server.messages) == 1
