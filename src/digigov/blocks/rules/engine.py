"""Single situations, OpenFisca web-API style: a situation in, the values asked for (null) filled in.

Everything a client can get wrong in a situation is turned into SituationInvalid naming the path of the
bad variable, period or member, so that the API answers 400 with the fields to correct, never 500.
"""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy
from openfisca_core import periods
from openfisca_core.errors import PeriodMismatchError, SituationParsingError, VariableNotFoundError
from openfisca_core.indexed_enums import Enum, EnumArray
from openfisca_core.parameters import ParameterNode, ParameterScale
from openfisca_core.simulations import Simulation, SimulationBuilder

from digigov.blocks.rules.errors import SituationInvalid
from digigov.blocks.rules.nation import tax_benefit_system

# The dictionary builder's cost grows with the square of the situation's size; a public endpoint computing
# one family's situation never needs more than this.
MAX_PERSONS = 200

_VALUE_TYPE_NAMES = {float: "float", int: "int", bool: "bool", str: "str", dt.date: "date", Enum: "enum"}


@dataclass(frozen=True)
class Requested:
    entity_plural: str
    instance_id: str
    variable: str
    period: str

    @property
    def path(self) -> str:
        return f"{self.entity_plural}.{self.instance_id}.{self.variable}.{self.period}"


def _flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    if not isinstance(tree, Mapping):
        return {prefix or "situation": str(tree)}
    flat: dict[str, str] = {}
    for key, value in tree.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _check_shape(situation: Mapping[str, Any]) -> None:
    system = tax_benefit_system()
    plurals = {entity.plural: entity for entity in system.entities}
    fields: dict[str, str] = {}
    for key, instances in situation.items():
        if key not in plurals:
            fields[key] = f"Unknown entity; expected one of {sorted(plurals)}."
        elif not isinstance(instances, Mapping):
            fields[key] = "Expected an object of instances by id."
    persons = situation.get("persons")
    if not persons:
        fields.setdefault("persons", "Declare at least one person.")
    elif isinstance(persons, Mapping) and len(persons) > MAX_PERSONS:
        fields["persons"] = f"At most {MAX_PERSONS} persons in one situation."
    if fields:
        raise SituationInvalid(fields=fields)


def _requested(situation: Mapping[str, Any]) -> tuple[dict[str, Any], list[Requested]]:
    """Split the situation into its inputs and the values asked for (null), checking names and periods."""
    system = tax_benefit_system()
    entities = {entity.plural: entity for entity in system.entities}
    inputs: dict[str, Any] = {}
    requested: list[Requested] = []
    fields: dict[str, str] = {}
    for plural, instances in situation.items():
        entity = entities[plural]
        role_keys = {role.plural or role.key for role in getattr(entity, "roles", [])}
        inputs[plural] = {}
        for instance_id, description in instances.items():
            where = f"{plural}.{instance_id}"
            if not isinstance(description, Mapping):
                fields[where] = "Expected an object of variables (and, for a group, its roles)."
                continue
            kept: dict[str, Any] = {}
            for name, by_period in description.items():
                if name in role_keys:
                    kept[name] = by_period
                    continue
                variable = system.variables.get(name)
                if variable is None:
                    fields[f"{where}.{name}"] = "Unknown variable."
                    continue
                if variable.entity.key != entity.key:
                    fields[f"{where}.{name}"] = f"This variable belongs to {variable.entity.plural}, not {plural}."
                    continue
                if not isinstance(by_period, Mapping):
                    fields[f"{where}.{name}"] = 'Give values by period, like {"2025-01": 1200} or {"2025-01": null}.'
                    continue
                kept_periods = {}
                for period_text, value in by_period.items():
                    try:
                        asked = periods.period(str(period_text))
                    except (ValueError, TypeError, AttributeError):
                        fields[f"{where}.{name}.{period_text}"] = "Not a period: use 2025, 2025-01 or ETERNITY."
                        continue
                    if value is None:
                        problem = _period_problem(variable=variable, asked=asked)
                        if problem:
                            fields[f"{where}.{name}.{period_text}"] = problem
                        else:
                            requested.append(Requested(plural, str(instance_id), name, str(period_text)))
                    elif problem := _value_problem(variable=variable, value=value):
                        fields[f"{where}.{name}.{period_text}"] = problem
                    else:
                        kept_periods[str(period_text)] = value
                if kept_periods:
                    kept[name] = kept_periods
            inputs[plural][str(instance_id)] = kept
    if fields:
        raise SituationInvalid(fields=fields)
    return inputs, requested


def _value_problem(*, variable: Any, value: Any) -> str:
    """What is wrong with an input value's type; OpenFisca itself would coerce some of these silently."""
    kind = variable.value_type
    if kind is bool:
        return "" if isinstance(value, bool) else "Expected true or false."
    if kind in (float, int):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "Expected a number."
        if not math.isfinite(value):
            return "Expected a finite number."
        if kind is int and value != int(value):
            return "Expected a whole number."
        return ""
    # Dates, codes and text: OpenFisca checks the content and names the value; only the JSON type is ours.
    return "" if isinstance(value, str) else "Expected text."


def _period_problem(*, variable: Any, asked: Any) -> str:
    unit = variable.definition_period
    if unit == periods.DateUnit.ETERNITY:
        return ""
    if asked.unit != unit or asked.size != 1:
        example = "2025-01" if unit == periods.DateUnit.MONTH else "2025"
        return f"{variable.name} is computed per {unit}: ask for one {unit}, like {example}."
    return ""


def _build(inputs: dict[str, Any]) -> Simulation:
    try:
        return SimulationBuilder().build_from_entities(tax_benefit_system(), inputs)
    except SituationParsingError as error:
        raise SituationInvalid(fields=_flatten(error.error)) from None
    except VariableNotFoundError as error:
        raise SituationInvalid(fields={"situation": error.message}) from None
    except PeriodMismatchError as error:
        raise SituationInvalid(fields={error.variable_name: error.message}) from None


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dt.date | numpy.datetime64):
        return str(value)[:10]
    if isinstance(value, numpy.generic):
        return value.item()
    return value


def _values(array: Any) -> list:
    if isinstance(array, EnumArray):
        return array.decode_to_str().tolist()
    if isinstance(array, numpy.ndarray) and array.dtype.kind == "M":
        return [str(v)[:10] for v in array]
    return [_json_value(v) for v in numpy.asarray(array).tolist()]


def _compute(simulation: Simulation, requested: list[Requested], situation: Mapping[str, Any]) -> dict[str, Any]:
    answer = {plural: {iid: dict(desc) for iid, desc in instances.items()} for plural, instances in situation.items()}
    for item in requested:
        population = simulation.get_population(plural=item.entity_plural)
        values = _values(simulation.calculate(item.variable, item.period))
        index = population.get_index(item.instance_id)
        answer[item.entity_plural][item.instance_id][item.variable] = {
            **answer[item.entity_plural][item.instance_id][item.variable],
            item.period: values[index],
        }
    return answer


def situation_calculate(*, situation: Mapping[str, Any]) -> dict[str, Any]:
    """The situation, with every value given as null computed."""
    _check_shape(situation)
    inputs, requested = _requested(situation)
    simulation = _build(inputs)
    return _compute(simulation, requested, situation)


def _plain_trace(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_trace(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_trace(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return _values(value)
    return _json_value(value)


def situation_trace(*, situation: Mapping[str, Any]) -> dict[str, Any]:
    """How each value asked for was computed: its dependencies, the parameters used and their values.

    The shape is OpenFisca's web API trace, so OpenFisca's tools read it as they are.
    """
    _check_shape(situation)
    inputs, requested = _requested(situation)
    simulation = _build(inputs)
    simulation.trace = True
    for item in requested:
        simulation.calculate(item.variable, item.period)
    trace = simulation.tracer.get_serialized_flat_trace()
    for node in trace.values():
        # Timings are the server's business, not the explanation's.
        node.pop("calculation_time", None)
        node.pop("formula_time", None)
    return {
        "requestedCalculations": sorted({f"{item.variable}<{item.period}>" for item in requested}),
        "entitiesDescription": {
            plural: list(simulation.get_population(plural=plural).ids) for plural in inputs if plural in situation
        },
        "trace": _plain_trace(trace),
    }


def variable_list() -> list[dict[str, Any]]:
    system = tax_benefit_system()
    listed = []
    for name, variable in sorted(system.variables.items()):
        value_type = _VALUE_TYPE_NAMES.get(variable.value_type, variable.value_type.__name__)
        listed.append(
            {
                "name": name,
                "label": variable.label or name,
                "entity": variable.entity.key,
                "definition_period": str(variable.definition_period),
                "value_type": value_type,
                "default_value": _json_value(variable.default_value),
                "possible_values": [item.name for item in variable.possible_values] if value_type == "enum" else [],
                "reference": list(variable.reference or []),
                "is_input": not variable.formulas,
                "formula_dates": sorted(variable.formulas.keys()) if variable.formulas else [],
            }
        )
    return listed


def _leaves(node: Any, inherited: dict[str, str]) -> list[tuple[Any, dict[str, str]]]:
    context = {
        "description": node.description or inherited.get("description", ""),
        "reference": (node.metadata or {}).get("reference") or inherited.get("reference", ""),
        "unit": (node.metadata or {}).get("unit") or inherited.get("unit", ""),
    }
    if isinstance(node, ParameterNode):
        found = []
        for child in node.children.values():
            found.extend(_leaves(child, context))
        return found
    if isinstance(node, ParameterScale):
        found = []
        for bracket in node.brackets:
            for key, child in bracket.children.items():
                # A scale states the units of its thresholds and amounts once, as threshold_unit / amount_unit.
                unit = (node.metadata or {}).get(f"{key}_unit") or context["unit"]
                found.extend(_leaves(child, {**context, "unit": unit}))
        return found
    return [(node, context)]


def parameter_list() -> list[dict[str, Any]]:
    """Every parameter with its full dated history, oldest first."""
    listed = []
    for parameter, context in _leaves(tax_benefit_system().parameters, {}):
        history = [
            {
                "start": at.instant_str,
                "value": _json_value(at.value),
                "reference": (at.metadata or {}).get("reference", ""),
            }
            for at in sorted(parameter.values_list, key=lambda at: at.instant_str)
        ]
        listed.append({"name": parameter.name, **context, "history": history})
    return sorted(listed, key=lambda p: p["name"])
