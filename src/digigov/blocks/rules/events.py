"""Events the rules block publishes."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class OfferMade:
    """A scan found a person newly eligible for a scheme; messaging invites them to apply."""

    type: ClassVar[str] = "rules.offer_made"
    offer_id: str
    person_id: int
    scheme_key: str
    scheme_label: str
    agency_code: str
    service_slug: str  # empty when no service takes applications for the scheme yet


@dataclass(frozen=True)
class SimulationRequested:
    """An officer submitted a reform to cost; the worker computes it (rules.tasks.simulation_execute)."""

    type: ClassVar[str] = "rules.simulation_requested"
    run_id: str
    agency_code: str
