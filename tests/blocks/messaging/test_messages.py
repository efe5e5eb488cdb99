import email

import pytest

from digigov.blocks.messaging.models import Delivery, Message
from digigov.blocks.messaging.queries import inbox_for_account
from digigov.blocks.registries.queries import person_contact_get


def test_an_acknowledgement_reaches_the_inbox_and_arrives_over_smtp(
    citizen, submitted_application, smtp_server, deliver_events
):
    deliver_events()
    message = inbox_for_account(account=citizen).get(template_key="application-received")
    assert submitted_application.reference in message.subject
    contact = person_contact_get(person_id=citizen.person_id)
    assert contact["full_name"] in message.body
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [contact["email"]]
    received = email.message_from_bytes(envelope.content)
    assert submitted_application.reference in received["Subject"]
    assert received["X-DigiGov-Message-Id"] == str(message.pk)
    statuses = {d.channel: d.status for d in message.deliveries.all()}
    assert statuses == {"inbox": "sent", "email": "sent"}


def test_email_that_cannot_be_delivered_is_retried_and_not_duplicated(
    citizen, submitted_application, settings, smtp_server, deliver_events
):
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: the SMTP connection is refused
    deliver_events()
    delivery = Delivery.objects.get(message__person_id=citizen.person_id, channel="email")
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error
    assert Message.objects.filter(person_id=citizen.person_id).count() == 1

    from digigov.platform.models import Event

    settings.EMAIL_PORT = real_port
    Event.objects.filter(type="message.queued").update(next_attempt_at=None)  # the retry is due
    deliver_events()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("outcome,template", [("approve", "application-approved"), ("reject", "application-rejected")])
def test_the_decision_is_sent_with_the_reason(
    outcome, template, citizen, submitted_application, ssa_officer, deliver_events
):
    from digigov.blocks.workflow import actions as workflow
    from digigov.blocks.workflow.models import Task

    deliver_events()
    task = Task.objects.get(application_id=submitted_application.pk)
    workflow.task_claim(officer=ssa_officer, task=task)
    workflow.task_decide(officer=ssa_officer, task=task, outcome=outcome, reason="Household income is above the limit.")
    deliver_events()
    message = inbox_for_account(account=citizen).get(template_key=template)
    assert submitted_application.reference in message.subject
    assert ("Household income is above the limit." in message.body) == (outcome == "reject")
