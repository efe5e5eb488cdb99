"""Every transaction step becomes a KPI event, keyed by the outbox event id so redelivery counts once."""

import datetime as dt

from digigov.blocks.kpi import actions
from digigov.platform.outbox import subscribe


@subscribe(event_type="application.submitted", name="kpi.submitted")
def on_submitted(event) -> None:
    p = event.payload
    actions.transaction_event_record(
        source_event_id=event.event_id, kind="submitted", occurred_at=dt.datetime.fromisoformat(p["submitted_at"]),
        application_id=p["application_id"], agency_code=p["agency_code"], service_slug=p["service_slug"],
        audience=p["audience"], channel=p["channel"], prefilled=p["prefilled"],
    )


@subscribe(event_type="application.decided", name="kpi.decided")
def on_decided(event) -> None:
    p = event.payload
    submitted_at = dt.datetime.fromisoformat(p["submitted_at"])
    decided_at = dt.datetime.fromisoformat(p["decided_at"])
    actions.transaction_event_record(
        source_event_id=event.event_id, kind="decided", occurred_at=decided_at,
        application_id=p["application_id"], agency_code=p["agency_code"], service_slug=p["service_slug"],
        audience=p["audience"], channel=p["channel"], prefilled=p["prefilled"],
        # Applied online, decided and notified on the platform: no paper and no counter visit on the way.
        digital_end_to_end=p["channel"] == "online",
        outcome=p["outcome"], seconds_to_decision=max(0, int((decided_at - submitted_at).total_seconds())),
    )


@subscribe(event_type="service.rated", name="kpi.rated")
def on_rated(event) -> None:
    p = event.payload
    actions.transaction_event_record(
        source_event_id=event.event_id, kind="rated", occurred_at=dt.datetime.fromisoformat(p["rated_at"]),
        application_id=p["application_id"], agency_code=p["agency_code"], service_slug=p["service_slug"],
        audience=p["audience"], satisfaction=p["score"],
    )
