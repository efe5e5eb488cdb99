"""Events the rules block publishes."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class OffersMade:
    """A scan's chunk found people newly eligible for a scheme; messaging invites each of them to apply. One
    event per chunk and scheme, of at most OFFERS_PER_EVENT offers (a payload of about 100 kB): a first scan of a
    million people makes about a million offers, and an event each would take the worker hours."""

    type: ClassVar[str] = "rules.offers_made"
    scan_id: int
    scheme_key: str
    scheme_label: str
    agency_code: str
    service_slug: str  # empty when no service takes applications for the scheme yet
    offers: list[tuple[str, int]]  # (offer id, person id); [offer id, person id] pairs in the JSON payload


OFFERS_PER_EVENT = 2000


@dataclass(frozen=True)
class SimulationRequested:
    """An officer submitted a reform to cost; the worker computes it (rules.tasks.simulation_execute)."""

    type: ClassVar[str] = "rules.simulation_requested"
    run_id: str
    agency_code: str
