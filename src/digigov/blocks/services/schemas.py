import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema


class AgencyOut(Schema):
    code: str
    name: str


class LifeEventOut(Schema):
    slug: str
    name: str
    summary: str
    services: list[str] = Field(description="Slugs of the services grouped under this life event")


class FormFieldOut(Schema):
    key: str
    label: str
    hint: str
    field_type: str
    required: bool
    choices: list[list[str]]
    data_element: str | None = Field(None, description="Key of the data element that pre-fills this field")


class ServiceOut(Schema):
    slug: str
    name: str
    summary: str
    agency: AgencyOut
    fee_cents: int
    sla_days: int
    audience: str
    offers_e_payment: bool
    offers_e_signature: bool


class ServiceDetailOut(ServiceOut):
    purpose: str
    fields: list[FormFieldOut]


class ApplyIn(Schema):
    answers: dict[str, Any] = Field(default_factory=dict, description="Answers to the fields that are not pre-filled")
    consent_to_prefill: bool = Field(description="The applicant agrees to fill the form with verified data")


class AnswerOut(Schema):
    value: Any
    source: str
    agency: str | None = None
    verified_at: str | None = None


class StepOut(Schema):
    status: str
    at: dt.datetime
    actor: str
    note: str


class ApplicationOut(Schema):
    id: uuid.UUID
    reference: str | None
    service: str
    agency: str
    status: str
    answers: dict[str, AnswerOut]
    prefilled: bool
    info_request: str
    decision_reason: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    timeline: list[StepOut]


class ApplicationReceiptOut(Schema):
    """What a submission returns: enough to show the reference and to fetch the whole application."""

    id: uuid.UUID
    reference: str | None
    service: str
    status: str
    prefilled: bool
    submitted_at: dt.datetime | None
    url: str = Field(description="Where the whole application can be read")


class ResponseIn(Schema):
    response: str = Field(max_length=4000)


class RatingIn(Schema):
    score: int = Field(ge=1, le=6, description="1 very dissatisfied … 6 extremely satisfied")
    comment: str = Field("", max_length=2000)


class RatingOut(Schema):
    score: int
    comment: str
    rated_at: dt.datetime
