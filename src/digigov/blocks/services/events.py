from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class TransactionFacts:
    """What every transaction event says about its application; KPIs and messages group by these."""

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
class ApplicationSubmitted(TransactionFacts):
    type: ClassVar[str] = "application.submitted"


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
class ApplicationDecided(TransactionFacts):
    type: ClassVar[str] = "application.decided"
    outcome: str  # approved / rejected
    reason: str
    decided_at: str


@dataclass(frozen=True)
class ApplicationDecisionReversed(TransactionFacts):
    """An officer reversed an automatic approval on review; a new event rather than a second
    application.decided, so a transaction is counted as decided once."""

    type: ClassVar[str] = "application.decision_reversed"
    outcome: str  # rejected
    reason: str
    reversed_at: str


@dataclass(frozen=True)
class ServiceRated:
    type: ClassVar[str] = "service.rated"
    application_id: str
    service_slug: str
    agency_code: str
    audience: str
    score: int
    rated_at: str


@dataclass(frozen=True)
class ApplicationUpdated:
    """An operator (an agency's officer or system) changed answers of a submitted application."""

    type: ClassVar[str] = "application.updated"
    application_id: str
    reference: str
    agency_code: str
    fields: list[str]
