"""Eligibility at application time: one scheme, one person and their household, evaluated on the registries'
verified data as of a date, with OpenFisca's tracer on so the answer can be explained (explain.py).

The household is read and turned into arrays exactly as a population scan does (registries/bulk.py,
population.household_chunk, mapping.FEEDS), so a person gets the same answer from a check as from a scan.
An input the scheme used that no registry holds for this household (a missing income, an unknown home, a
fact only the citizen can state and has not) makes the outcome "more information needed", never a guess.
"""

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy
from django.utils.translation import gettext as _
from openfisca_core.periods import DateUnit

from digigov.blocks.consent.actions import access_record
from digigov.blocks.registries import bulk
from digigov.blocks.registries.queries import AccessContext
from digigov.blocks.rules import explain
from digigov.blocks.rules.mapping import CITIZEN_STATED, FEEDS, elements_needed
from digigov.blocks.rules.nation import PARAMETERS_DIR, VARIABLES_DIR, tax_benefit_system
from digigov.blocks.rules.population import household_chunk, simulation_from_chunk
from digigov.blocks.rules.schemes import SCHEMES_BY_KEY
from digigov.platform.errors import NotFound, ValidationFailed

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
MORE_INFORMATION_NEEDED = "more_information_needed"

# Form answers that stand for inputs no registry holds (mapping.CITIZEN_STATED): variable -> (form field key,
# how the answer becomes the input's value). A service's form asks them; without an answer the check cannot
# tell, so it asks for more information rather than assume.
STATED_ANSWERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "buying_public_flat": ("flat_type", lambda answer: bool(answer)),
    # "Is this the first home you or your spouse have bought?" — a "no" means a housing subsidy before.
    "previous_housing_subsidy": ("first_home", lambda answer: answer == "no"),
    "has_disability": ("has_disability", lambda answer: answer == "yes"),
}

# PERSON_COLUMNS index of the registry value behind each person-level feed, to tell a value not held (None)
# from a value held; population.py converts both to arrays the same way.
_COLUMN = {name: index for index, name in enumerate(bulk.PERSON_COLUMNS)}
_FEED_COLUMN = {
    "person.date_of_birth": "date_of_birth",
    "person.citizenship": "citizenship",
    "person.employment_status": "employment_status",
    "person.monthly_income": "monthly_income",
    "person.annual_income": "monthly_income",
}


@dataclass(frozen=True)
class EligibilityResult:
    """The outcome of one check, stored on the application as `as_dict()` and shown to citizen and officer."""

    scheme_key: str
    scheme_label: str
    outcome: str  # eligible / not_eligible / more_information_needed
    amount: float
    period: str  # the OpenFisca period the scheme was computed for
    as_of: str  # ISO date
    rules_version: str
    lines: list[dict[str, Any]]  # explain.Line as dicts: kind, text, held
    missing: list[str] = field(default_factory=list)  # labels of inputs not held as verified data
    entered: list[str] = field(default_factory=list)  # labels of inputs taken from the citizen's own answers

    @property
    def verified_only(self) -> bool:
        """Decided on verified registry data alone: nothing missing, nothing the citizen stated."""
        return not self.missing and not self.entered

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EligibilityResult":
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def _source_digest() -> str:
    digest = hashlib.sha256()
    for directory, pattern in ((PARAMETERS_DIR, "**/*.yaml"), (VARIABLES_DIR, "**/*.py")):
        for path in sorted(directory.glob(pattern)):
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@functools.cache
def rules_version() -> str:
    """The package version and a digest of the parameter tree and formulas: any change to a number or a formula
    gives a new version, so a decision records exactly which rules made it."""
    try:
        package = version("digigov")
    except PackageNotFoundError:  # running from a source tree that was never installed
        package = "0"
    return f"nation-{package}+{_source_digest()}"


def _period_for(*, variable: str, as_of: dt.date) -> str:
    unit = tax_benefit_system().get_variable(variable, check_existence=True).definition_period
    if unit == DateUnit.MONTH:
        return f"{as_of.year:04d}-{as_of.month:02d}"
    if unit == DateUnit.YEAR:
        return str(as_of.year)
    return "ETERNITY"


def _not_held(*, rows: list[tuple], housing_type: str | None) -> set[str]:
    """Input variables some member of the household has no registry value for."""
    missing = set()
    for feed in FEEDS:
        if feed.entity == "person":
            column = _COLUMN[_FEED_COLUMN[feed.element]]
            if any(row[column] in (None, "") for row in rows):
                missing.add(feed.variable)
        elif feed.element == "address.housing_type" and not housing_type:
            missing.add(feed.variable)
    return missing


def _stated_inputs(*, answers: Mapping[str, Any]) -> dict[str, bool]:
    stated = {}
    for variable, (field_key, convert) in STATED_ANSWERS.items():
        answer = answers.get(field_key)
        if isinstance(answer, Mapping):  # an application's stored answer: {"value": ..., "source": ...}
            answer = answer.get("value")
        if answer not in (None, ""):
            stated[variable] = convert(answer)
    return stated


def _record_reads(*, person_ids: list[int], access: AccessContext) -> None:
    # Each member's own data fed the check (incomes for the household's income, children's birth dates for a
    # baby bonus), so each member's "who accessed my data" shows it.
    elements = elements_needed()
    for person_id in person_ids:
        access_record(person_id=person_id, elements=elements, context=access)


def eligibility_check(
    *,
    scheme_key: str,
    person_id: int,
    as_of: dt.date,
    access: AccessContext,
    answers: Mapping[str, Any] | None = None,
) -> EligibilityResult:
    """Evaluate one scheme for a person and their household as of `as_of`, explaining the outcome.

    `answers` are the citizen's own answers in the service's form (either plain values or an application's
    stored answers); they supply only the inputs no registry holds (STATED_ANSWERS), and the result lists them
    in `entered`. The registry read is recorded for every household member under `access`.
    """
    scheme = SCHEMES_BY_KEY.get(scheme_key)
    if scheme is None:
        raise ValidationFailed(fields={"scheme": _("No scheme has this key.")})
    rows, housing_type = bulk.person_household_read(person_id=person_id)
    if not rows:
        raise NotFound()
    chunk = household_chunk(rows=rows, housing_type=housing_type)
    simulation = simulation_from_chunk(chunk=chunk, as_of=as_of)
    stated = _stated_inputs(answers=answers or {})
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    for variable, value in stated.items():
        entity = CITIZEN_STATED.get(variable, "person")
        size = len(chunk.household_ids) if entity == "household" else len(chunk.person_ids)
        simulation.set_input(variable, month, numpy.full(size, value))
    simulation.trace = True
    eligible_period = _period_for(variable=scheme.eligible, as_of=as_of)
    amount_period = _period_for(variable=scheme.amount, as_of=as_of)
    eligible_values = simulation.calculate(scheme.eligible, eligible_period)
    amount_values = simulation.calculate(scheme.amount, amount_period)
    person_index = int(numpy.flatnonzero(chunk.person_ids == person_id)[0])
    index = 0 if scheme.entity == "household" else person_index
    _record_reads(person_ids=[int(p) for p in chunk.person_ids], access=access)

    used = explain.inputs_used(simulation=simulation)
    not_held = _not_held(rows=rows, housing_type=housing_type)
    missing = sorted((used & not_held) | {v for v in used & set(CITIZEN_STATED) if v not in stated})
    entered = sorted(v for v in used & set(stated))
    outcome = MORE_INFORMATION_NEEDED if missing else ELIGIBLE if bool(eligible_values[index]) else NOT_ELIGIBLE
    lines = explain.lines_from_trace(
        simulation=simulation,
        scheme=scheme,
        person_index=person_index,
        missing=set(missing),
        entered=set(entered),
        instant=f"{month}-01",
    )
    return EligibilityResult(
        scheme_key=scheme.key,
        scheme_label=scheme.label,
        outcome=outcome,
        amount=round(float(amount_values[index]), 2) if outcome == ELIGIBLE else 0.0,
        period=amount_period,
        as_of=as_of.isoformat(),
        rules_version=rules_version(),
        lines=[line.as_dict() for line in lines],
        missing=[explain.variable_label(v) for v in missing],
        entered=[explain.variable_label(v) for v in entered],
    )
