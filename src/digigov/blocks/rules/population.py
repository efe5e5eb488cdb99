"""Population-wide evaluation: registry columns in, OpenFisca simulations built from arrays, values out.

Simulations are built by declaring the entities with their ids and setting each input as one array,
never through OpenFisca's dictionary builder, whose cost grows with the square of the population.
The population is read and computed in chunks of whole households so memory stays bounded.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import DateUnit, period
from openfisca_core.simulations import Simulation, SimulationBuilder

from digigov.blocks.registries import bulk
from digigov.blocks.rules.mapping import FEEDS, ROLE_INDEX, role_indices
from digigov.blocks.rules.nation import tax_benefit_system

_COLUMN = {name: index for index, name in enumerate(bulk.PERSON_COLUMNS)}
# The registries' columns behind each person-level data element the mapping feeds from.
_PERSON_ELEMENT_COLUMN = {
    "person.date_of_birth": "date_of_birth",
    "person.citizenship": "citizenship",
    "person.employment_status": "employment_status",
    "person.monthly_income": "monthly_income",
}


@dataclass
class PopulationChunk:
    """Whole households and their members, as arrays ready to become one simulation."""

    person_ids: numpy.ndarray
    household_ids: numpy.ndarray
    person_household_ids: numpy.ndarray  # for each person, the id of their household
    person_roles: numpy.ndarray  # for each person, an index into Household.flattened_roles
    person_inputs: dict[str, numpy.ndarray] = field(default_factory=dict)
    household_inputs: dict[str, numpy.ndarray] = field(default_factory=dict)


def _registry_values(*, rows: Sequence[tuple], element: str) -> list:
    if element in _PERSON_ELEMENT_COLUMN:
        column = _COLUMN[_PERSON_ELEMENT_COLUMN[element]]
        return [row[column] for row in rows]
    if element == "person.annual_income":
        # The registries' person.annual_income element is twelve times the monthly income (bindings.py).
        column = _COLUMN["monthly_income"]
        return [(row[column] or 0) * 12 for row in rows]
    raise ValueError(f"No bulk column for data element {element}")


def _chunk(*, rows: list[tuple], households: list[tuple[int, str]]) -> PopulationChunk:
    housing_by_household = dict(households)
    household_column, role_column = _COLUMN["household_id"], _COLUMN["household_role"]
    person_ids = numpy.array([row[_COLUMN["id"]] for row in rows], dtype=numpy.int64)
    # People registered at no household form a household of their own, keyed by their negated id so it can
    # never collide with a registry household id; they are its parent, as a person living alone is.
    person_household_ids = numpy.array(
        [row[household_column] if row[household_column] is not None else -row[0] for row in rows], dtype=numpy.int64
    )
    roles = [row[role_column] if row[household_column] is not None else "head" for row in rows]
    household_ids = numpy.unique(person_household_ids)
    chunk = PopulationChunk(
        person_ids=person_ids,
        household_ids=household_ids,
        person_household_ids=person_household_ids,
        person_roles=role_indices(registry_roles=roles),
    )
    for feed in FEEDS:
        if feed.entity == "person":
            values = _registry_values(rows=rows, element=feed.element)
            chunk.person_inputs[feed.variable] = feed.convert(values)
        elif feed.element == "address.housing_type":
            # Households without a known dwelling type take the variable's default (None → default code).
            chunk.household_inputs[feed.variable] = feed.convert([housing_by_household.get(h) for h in household_ids])
        else:
            raise ValueError(f"No bulk column for data element {feed.element}")
    return chunk


def household_chunk(*, rows: list[tuple], housing_type: str | None) -> PopulationChunk:
    """One household's arrays (rows from bulk.person_household_read), built exactly as a population chunk is,
    so a single eligibility check computes from the same inputs as a scan."""
    household_id = rows[0][_COLUMN["household_id"]] if rows else None
    return _chunk(rows=rows, households=[(household_id, housing_type)] if household_id is not None else [])


def population_arrays(*, as_of: dt.date, chunk_size: int) -> Iterator[PopulationChunk]:
    """The registered population as arrays, `chunk_size` households at a time (then people with no household).

    The registries keep current values only, so `as_of` chooses the periods the values are set for; it does
    not look back in history.
    """
    del as_of  # the registries hold no history yet: today's values are the values as of any date
    after = 0
    while households := bulk.households_read(after_id=after, limit=chunk_size):
        rows = bulk.household_members_read(first_household_id=households[0][0], last_household_id=households[-1][0])
        after = households[-1][0]
        if rows:
            yield _chunk(rows=rows, households=households)
    after = 0
    while rows := bulk.persons_without_household_read(after_id=after, limit=chunk_size):
        after = rows[-1][0]
        yield _chunk(rows=rows, households=[])


def _input_periods(*, how: str, as_of: dt.date) -> list[str]:
    year = str(as_of.year)
    return {"eternity": ["ETERNITY"], "year": [year], "year_and_last_year": [str(as_of.year - 1), year]}[how]


def simulation_from_chunk(*, chunk: PopulationChunk, as_of: dt.date) -> Simulation:
    """A simulation of the chunk's households, built from arrays."""
    system = tax_benefit_system()
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", chunk.person_ids)
    households = builder.declare_entity("household", chunk.household_ids)
    builder.join_with_persons(households, chunk.person_household_ids, chunk.person_roles)
    simulation = builder.build(system)
    how = {feed.variable: feed.periods for feed in FEEDS}
    for variable, values in (*chunk.person_inputs.items(), *chunk.household_inputs.items()):
        # Month variables set for the whole year dispatch the as-of value to each of its months.
        for input_period in _input_periods(how=how[variable], as_of=as_of):
            simulation.set_input(variable, input_period, values)
    return simulation


def _period_for(*, variable: str, as_of: dt.date) -> str:
    unit = tax_benefit_system().get_variable(variable, check_existence=True).definition_period
    if unit == DateUnit.MONTH:
        return f"{as_of.year:04d}-{as_of.month:02d}"
    if unit == DateUnit.YEAR:
        return str(as_of.year)
    return str(period("ETERNITY"))


def _plain(values: numpy.ndarray) -> numpy.ndarray:
    return values.decode_to_str() if isinstance(values, EnumArray) else numpy.asarray(values)


@dataclass
class PopulationValues:
    """Per-person results; household variables are given to every member (use household_id to count once)."""

    person_id: numpy.ndarray
    household_id: numpy.ndarray
    role: numpy.ndarray  # the rules' role of each person in their household
    values: dict[str, numpy.ndarray]


def evaluate_population(*, as_of: dt.date, variables: Sequence[str], chunk_size: int) -> PopulationValues:
    """Compute `variables` for everyone registered, for the month (or year) containing `as_of`."""
    system = tax_benefit_system()
    periods = {name: _period_for(variable=name, as_of=as_of) for name in variables}
    role_keys = numpy.array(sorted(ROLE_INDEX, key=ROLE_INDEX.__getitem__))
    person_ids, household_ids, roles = [], [], []
    values: dict[str, list[numpy.ndarray]] = {name: [] for name in variables}
    for chunk in population_arrays(as_of=as_of, chunk_size=chunk_size):
        simulation = simulation_from_chunk(chunk=chunk, as_of=as_of)
        household_population = simulation.populations["household"]
        for name in variables:
            result = _plain(simulation.calculate(name, periods[name]))
            if system.get_variable(name).entity.key == "household":
                result = household_population.project(result)
            values[name].append(result)
        person_ids.append(chunk.person_ids)
        household_ids.append(chunk.person_household_ids)
        roles.append(role_keys[chunk.person_roles])
    if not person_ids:
        empty = numpy.array([], dtype=numpy.int64)
        return PopulationValues(empty, empty, numpy.array([], dtype=str), {n: numpy.array([]) for n in variables})
    return PopulationValues(
        person_id=numpy.concatenate(person_ids),
        household_id=numpy.concatenate(household_ids),
        role=numpy.concatenate(roles),
        values={name: numpy.concatenate(parts) for name, parts in values.items()},
    )
