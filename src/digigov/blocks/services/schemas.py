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
    scheme_key: str = Field("", description="The rules scheme checked when someone applies (empty: none)")
    auto_decide: bool = Field(False, description="Approves at once an application eligible on verified data alone")


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


class EligibilityLineOut(Schema):
    kind: str = Field(description="condition, input, value, parameter or missing")
    text: str
    held: bool | None = Field(None, description="For a condition or threshold: whether it held")


class EligibilityOut(Schema):
    """The scheme check made when the application was submitted, explained from the computation trace."""

    scheme_key: str
    scheme_label: str
    outcome: str = Field(description="eligible, not_eligible or more_information_needed")
    amount: float
    period: str
    as_of: dt.date
    rules_version: str
    lines: list[EligibilityLineOut]
    missing: list[str]
    entered: list[str]
    auto_decide: bool = Field(description="Whether the service approves it without an officer")


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
    eligibility: EligibilityOut | None = None


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
