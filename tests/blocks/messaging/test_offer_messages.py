"""A scan's offers reach people in bulk: the scan writes a few `rules.offers_made` events per chunk, and
messaging turns each into one inbox message (and email) per offer, records each person's read, and creates
nothing twice when an event is delivered again."""

import datetime as dt

import pytest

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.messaging.models import Delivery, Message
from digigov.blocks.registries.queries import person_contacts_get
from digigov.blocks.rules.events import OFFERS_PER_EVENT
from digigov.blocks.rules.models import Offer
from digigov.blocks.rules.scan import scan_run
from digigov.blocks.rules.schemes import SCHEMES, SCHEMES_BY_KEY
from digigov.platform.models import Event, EventHandled

AS_OF = dt.date(2026, 6, 15)


@pytest.fixture
def scanned(nation, deliver_events):
    """A first scan, its events delivered by the worker: the offers, by id."""
    scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    deliver_events()
    rows = Offer.objects.values_list("id", "person_id", "scheme_key")
    offers = {str(pk): (person_id, key) for pk, person_id, key in rows}
    assert len(offers) > 50, "the seeded nation gets offers of several schemes"
    return offers


def _counts() -> dict[str, int]:
    return {
        "messages": Message.objects.filter(template_key="offer-made").count(),
        "deliveries": Delivery.objects.filter(message__template_key="offer-made").count(),
        "reads": AccessRecord.objects.filter(service_ref__startswith="offer:").count(),
        "emails queued": Event.objects.filter(type="message.queued").count(),
    }


def test_the_scan_announces_its_offers_in_a_few_events_per_chunk(nation):
    outcome = scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    events = list(Event.objects.filter(type="rules.offers_made"))
    assert len(events) <= outcome.scan.chunks_total * len(SCHEMES)
    announced = [(*pair, e.payload["scheme_key"]) for e in events for pair in e.payload["offers"]]
    offers = Offer.objects.values_list("id", "person_id", "scheme_key")
    assert sorted(announced) == sorted((str(pk), person, key) for pk, person, key in offers)
    for event in events:
        scheme = SCHEMES_BY_KEY[event.payload["scheme_key"]]
        assert (event.payload["scheme_label"], event.payload["agency_code"]) == (scheme.label, scheme.agency)
        assert event.payload["scan_id"] == outcome.scan.pk and 0 < len(event.payload["offers"]) <= OFFERS_PER_EVENT


def test_a_chunks_offers_of_one_scheme_are_split_into_events_of_at_most_the_limit(nation, monkeypatch):
    monkeypatch.setattr("digigov.blocks.rules.actions.OFFERS_PER_EVENT", 3)
    scan_run(as_of=AS_OF, chunk_size=100, progress=False)
    sizes = [len(e.payload["offers"]) for e in Event.objects.filter(type="rules.offers_made")]
    assert max(sizes) == 3 and sum(sizes) == Offer.objects.count()


def test_every_offer_puts_one_message_in_the_persons_inbox_with_its_apply_link_and_emails_it(scanned):
    messages = {
        m.link: m for m in Message.objects.filter(template_key="offer-made").prefetch_related("deliveries")
    }
    assert len(messages) == Message.objects.filter(template_key="offer-made").count() == len(scanned)
    contacts = person_contacts_get(person_ids=[person_id for person_id, _key in scanned.values()])
    for offer_id, (person_id, key) in scanned.items():
        message = messages[f"/offers/{offer_id}/apply/"]
        contact = contacts[person_id]
        assert message.person_id == person_id
        assert message.subject == f"You may qualify for {SCHEMES_BY_KEY[key].label}, apply in one step"
        assert f"Dear {contact['full_name']}," in message.body and f"/offers/{offer_id}/apply/" in message.body
        channels = {d.channel: d for d in message.deliveries.all()}
        assert channels["inbox"].status == "sent"
        if contact["email"]:
            # The worker sent it (the test settings' in-memory email backend).
            assert (channels["email"].address, channels["email"].status) == (contact["email"], "sent")
        else:
            assert "email" not in channels
    assert any(c["email"] for c in contacts.values())


def test_a_redelivered_offers_event_creates_no_second_message_read_or_email(scanned, deliver_events):
    before = _counts()
    assert before["messages"] == before["reads"] == len(scanned)
    EventHandled.objects.filter(subscriber="messaging.offers").delete()
    Event.objects.filter(type="rules.offers_made").update(dispatched_at=None)
    deliver_events()
    assert _counts() == before


def test_each_persons_read_for_the_message_is_recorded_for_the_schemes_agency(scanned):
    records = AccessRecord.objects.filter(service_ref__startswith="offer:").select_related("agency")
    reads = {r.service_ref: r for r in records}
    assert len(reads) == len(scanned)
    for offer_id, (person_id, key) in scanned.items():
        read = reads[f"offer:{offer_id}"]
        scheme = SCHEMES_BY_KEY[key]
        assert read.person_id == person_id and read.agency.code == scheme.agency
        assert read.accessor_id is None and read.accessor_label == f"{read.agency.name} (automated)"
        assert read.elements == ["person.full_name", "person.email"]
        assert read.legal_basis == "Proactive offers of support" and scheme.label in read.purpose
    # One audit entry per event for the reads, and one for its messages, instead of one per person.
    events = Event.objects.filter(type="rules.offers_made")
    for action in ("registries:persons:read", "messaging:messages:create"):
        entries = AuditEntry.objects.filter(action=action)
        assert sorted(e.object_id for e in entries) == sorted(str(e.event_id) for e in events)
        assert sum(e.detail["count"] for e in entries) == len(scanned)


def test_a_batch_created_again_for_the_same_event_adds_nothing(citizen, other_citizen):
    from uuid import uuid4

    from digigov.blocks.messaging.actions import MessageTo, messages_create_many

    event_id = uuid4()
    recipients = [
        MessageTo(person_id=account.person_id, email=email, link="/offers/", context={"name": "N", "scheme": "S"})
        for account, email in ((citizen, "a@example.test"), (other_citizen, ""))
    ]
    assert messages_create_many(template_key="offer-made", source_event_id=event_id, recipients=recipients) == 2
    assert messages_create_many(template_key="offer-made", source_event_id=event_id, recipients=recipients) == 0
    messages = Message.objects.filter(source_event_id=event_id)
    assert sorted(messages.values_list("person_id", flat=True)) == sorted(a.person_id for a in (citizen, other_citizen))
    assert Delivery.objects.filter(message__in=messages).count() == 3  # two inboxes, one email
    emailed = messages.get(person_id=citizen.person_id)
    queued = Event.objects.get(type="message.queued", payload__message_id=str(emailed.pk))
    assert queued.payload["channel"] == "email"
    assert Delivery.objects.get(pk=queued.payload["delivery_id"]).address == "a@example.test"
