"""Messaging reacts to application events with a message to the applicant (inbox + email), sends calling
systems' dispatches when due, and reports their delivery status to the caller's callback address."""

from django.conf import settings
from django.utils.translation import gettext as _

from digigov.blocks.consent.actions import access_record, access_records_many
from digigov.blocks.messaging import actions
from digigov.blocks.messaging.backends import email_sender
from digigov.blocks.messaging.backends.sms import sms_gateway
from digigov.blocks.messaging.models import Message
from digigov.blocks.registries.queries import AccessContext, agency_get, person_contact_get, person_contacts_get
from digigov.platform.outbox import subscribe


def _notify(*, event, template_key: str, extra: dict | None = None) -> None:
    payload = event.payload
    agency = agency_get(code=payload["agency_code"])
    contact = person_contact_get(person_id=payload["person_id"])
    # Looking up where to send the message is itself a read of the person's data, so it is recorded.
    access_record(
        person_id=payload["person_id"], elements=["person.full_name", "person.email"],
        context=AccessContext(
            accessor=None, agency=agency,
            purpose=_("Send you updates about application %(reference)s") % {"reference": payload["reference"]},
            service_ref=f"application:{payload['reference']}", legal_basis=_("Your application"),
        ),
    )
    # The inbox links within the site; the email needs the full address.
    path = f"/applications/{payload['application_id']}/"
    actions.message_create(
        person_id=payload["person_id"], template_key=template_key, source_event_id=event.event_id,
        email=contact["email"], link=path,
        context={
            "name": contact["full_name"], "reference": payload["reference"], "service": payload["service_name"],
            "agency": agency.name, "link": f"{settings.DIGIGOV_SITE_URL}{path}", **(extra or {}),
        },
    )


@subscribe(event_type="application.submitted", name="messaging.acknowledge")
def on_submitted(event) -> None:
    _notify(event=event, template_key="application-received")


@subscribe(event_type="application.info_requested", name="messaging.ask_for_information")
def on_info_requested(event) -> None:
    _notify(event=event, template_key="more-info-needed", extra={"question": event.payload["question"]})


@subscribe(event_type="application.decided", name="messaging.decision")
def on_decided(event) -> None:
    key = "application-approved" if event.payload["outcome"] == "approved" else "application-rejected"
    _notify(event=event, template_key=key, extra={"reason": event.payload["reason"]})


@subscribe(event_type="application.decision_reversed", name="messaging.decision_reversed")
def on_decision_reversed(event) -> None:
    _notify(event=event, template_key="application-rejected", extra={"reason": event.payload["reason"]})


@subscribe(event_type="rules.offers_made", name="messaging.offers")
def on_offers_made(event) -> None:
    """A proactive scan found people newly eligible for a scheme: invite each to apply, with a link that starts
    the application (pre-filled after their consent). All the event's offers (up to 2,000) at once, in bulk: a
    first scan makes a million."""
    payload = event.payload
    template_key = "offer-made"
    # A redelivered event (its EventHandled row lost) skips the people already messaged, and does not read
    # their data again.
    done = set(
        Message.objects.filter(source_event_id=event.event_id, template_key=template_key).values_list(
            "person_id", flat=True
        )
    )
    offers = [(offer_id, person_id) for offer_id, person_id in payload["offers"] if person_id not in done]
    if not offers:
        return
    agency = agency_get(code=payload["agency_code"])
    contacts = person_contacts_get(person_ids=[person_id for _offer_id, person_id in offers])
    # Looking up where to send the messages is itself a read of each person's data, so it is recorded.
    access_records_many(
        reads=[(person_id, f"offer:{offer_id}") for offer_id, person_id in offers],
        elements=["person.full_name", "person.email"],
        context=AccessContext(
            accessor=None, agency=agency,
            purpose=_("Tell you about %(scheme)s, which you may qualify for") % {"scheme": payload["scheme_label"]},
            legal_basis=_("Proactive offers of support"),
        ),
        source_event_id=event.event_id,
    )
    recipients = []
    for offer_id, person_id in offers:
        contact = contacts[person_id]
        path = f"/offers/{offer_id}/apply/"
        recipients.append(actions.MessageTo(
            person_id=person_id, email=contact["email"], link=path,
            context={
                "name": contact["full_name"], "scheme": payload["scheme_label"], "agency": agency.name,
                "link": f"{settings.DIGIGOV_SITE_URL}{path}",
            },
        ))
    actions.messages_create_many(template_key=template_key, source_event_id=event.event_id, recipients=recipients)


@subscribe(event_type="message.queued", name="messaging.email_send", transactional=False)
def on_message_queued(event) -> None:
    if event.payload["channel"] == "email":
        actions.email_delivery_send(delivery_id=event.payload["delivery_id"], sender=email_sender())


@subscribe(event_type="messaging.dispatch_queued", name="messaging.dispatch_send", transactional=False)
def on_dispatch_queued(event) -> None:
    actions.dispatch_send(
        dispatch_id=event.payload["dispatch_id"], email_sender=email_sender(), sms_gateway=sms_gateway()
    )


@subscribe(event_type="messaging.dispatch_status_changed", name="messaging.callback_post", transactional=False)
def on_dispatch_status_changed(event) -> None:
    actions.callback_post(
        event_id=str(event.event_id), dispatch_id=event.payload["dispatch_id"], status=event.payload["status"],
        occurred_at=event.created_at,
    )
