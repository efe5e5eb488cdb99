from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ApplicationSubmitted:
    type: ClassVar[str] = "application.submitted"
    application_id: str
    reference: str
    person_id: int
    service_slug: str
    service_name: str
    agency_code: str
    audience: str
    channel: str
    prefilled: bool
    submitted_at: str


@dataclass(frozen=True)
class ApplicationInfoRequested:
    type: ClassVar[str] = "application.info_requested"
    application_id: str
    reference: str
    person_id: int
    service_name: str
    agency_code: str
    question: str


@dataclass(frozen=True)
class ApplicationInfoProvided:
    type: ClassVar[str] = "application.info_provided"
    application_id: str
    reference: str
    agency_code: str


@dataclass(frozen=True)
class ApplicationDecided:
    type: ClassVar[str] = "application.decided"
    application_id: str
    reference: str
    person_id: int
    service_slug: str
    service_name: str
    agency_code: str
    audience: str
    channel: str
    prefilled: bool
    outcome: str  # approved / rejected
    reason: str
    submitted_at: str
    decided_at: str


@dataclass(frozen=True)
class ServiceRated:
    type: ClassVar[str] = "service.rated"
    application_id: str
    service_slug: str
    agency_code: str
    audience: str
    score: int
    rated_at: str
