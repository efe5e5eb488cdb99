"""Plain-language explanation of one eligibility check, built from OpenFisca's computation trace: which
conditions held, which values the rules used (and where they came from), which parameters applied and since
when.

Other members' own values are never spelled out to the applicant: the household's totals are (the citizen sees
them on the form already), and a condition held by another member is counted, not named.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.parameters import ParameterNode, ParameterScale
from openfisca_core.simulations import Simulation

from digigov.blocks.rules.nation import tax_benefit_system
from digigov.blocks.rules.schemes import Scheme

# A threshold parameter (by the last part of its name) and the computed value it is compared with, and how:
# the parameters' own descriptions say which way ("Age from which ...", "Highest ... that qualifies").
_THRESHOLDS: dict[str, tuple[str, str]] = {
    "min_age": ("age", ">="),
    "payout_age": ("age", ">="),
    "max_age": ("age", ""),  # some schemes stop before it, others at it: shown side by side, not judged
    "income_per_head_ceiling": ("income_per_head", "<="),
    "income_ceiling": ("annual_income", "<="),
}


@dataclass(frozen=True)
class Line:
    kind: str  # condition / input / value / parameter / missing
    text: str
    held: bool | None = None  # for conditions: did it hold for the applicant (or their household)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def variable_label(name: str) -> str:
    variable = tax_benefit_system().variables.get(name)
    return (variable.label or name) if variable is not None else name


def _nodes(simulation: Simulation) -> Iterator[Any]:
    seen = set()
    for node in simulation.tracer.browse_trace():
        if node.name not in seen:
            seen.add(node.name)
            yield node


def inputs_used(*, simulation: Simulation) -> set[str]:
    """Input variables (no formula) that the traced computation read."""
    variables = tax_benefit_system().variables
    return {node.name for node in _nodes(simulation) if node.name in variables and not variables[node.name].formulas}


def _plain(value: Any) -> Any:
    if isinstance(value, EnumArray):
        return [item.value for item in value.decode()]
    return numpy.asarray(value).tolist()


def _format(value: Any, *, unit: str = "") -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float | int):
        if unit == "currency" or isinstance(value, float):
            return number_format(round(value, 2), decimal_pos=2 if value % 1 else 0, force_grouping=True)
        return number_format(value, force_grouping=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10] if str(value)[:4].isdigit() and len(str(value)) >= 10 else str(value)


def _at(values: list, *, entity: str, person_index: int) -> Any:
    return values[0] if entity == "household" else values[person_index]


def _others_held(values: list, person_index: int) -> int:
    return sum(1 for i, v in enumerate(values) if i != person_index and v)


def _variable_lines(
    *, simulation: Simulation, person_index: int, missing: set[str], entered: set[str]
) -> tuple[list[Line], list[Line], list[Line], dict[str, Any]]:
    variables = tax_benefit_system().variables
    conditions, inputs, computed = [], [], []
    applicant_values: dict[str, Any] = {}
    for node in _nodes(simulation):
        variable = variables.get(node.name)
        if variable is None or node.value is None:
            continue
        entity = variable.entity.key
        values = _plain(node.value)
        value = _at(values, entity=entity, person_index=person_index)
        applicant_values[node.name] = value
        label = variable.label or node.name
        unit = getattr(variable, "unit", "") or ""
        if not variable.formulas:
            if node.name in missing:
                inputs.append(Line("missing", _("%(label)s: not held in your verified records") % {"label": label}))
            elif node.name in entered:
                text = _("%(label)s: %(value)s (from your answers)") % {"label": label, "value": _format(value)}
                inputs.append(Line("input", text))
            elif entity == "person" and len(values) > 1:
                text = _("%(label)s: %(value)s for you (verified record)") % {"label": label, "value": _format(value)}
                inputs.append(Line("input", text))
            else:
                text = _("%(label)s: %(value)s (verified record)") % {"label": label, "value": _format(value)}
                inputs.append(Line("input", text))
        elif variable.value_type is bool:
            others = _others_held(values, person_index) if entity == "person" else 0
            if others and not value:
                text = _("%(label)s: not for you, but for %(count)s other member(s) of your household") % {
                    "label": label,
                    "count": others,
                }
                conditions.append(Line("condition", text, held=True))
            elif entity == "person" and len(values) > 1:
                text = _("%(label)s: %(value)s for you") % {"label": label, "value": _format(bool(value))}
                conditions.append(Line("condition", text, held=bool(value)))
            else:
                conditions.append(Line("condition", f"{label}: {_format(bool(value))}", held=bool(value)))
        else:
            text = _("%(label)s: %(value)s") % {"label": label, "value": _format(value, unit=unit)}
            computed.append(Line("value", text))
    return conditions, inputs, computed, applicant_values


def _parameter(name: str) -> Any:
    node = tax_benefit_system().parameters
    for part in name.split("."):
        node = node.children.get(part) if isinstance(node, ParameterNode) else None
        if node is None:
            return None
    return node


def _in_force_since(parameter: Any, instant: str) -> str:
    starts = [at.instant_str for at in getattr(parameter, "values_list", []) if at.instant_str <= instant]
    return max(starts) if starts else ""


def _parameter_lines(
    *, simulation: Simulation, scheme: Scheme, person_index: int, applicant_values: dict[str, Any]
) -> list[Line]:
    variables = tax_benefit_system().variables
    lines, seen = [], set()
    for node in _nodes(simulation):
        variable = variables.get(node.name)
        entity = variable.entity.key if variable is not None else "person"
        for used in node.parameters:
            if used.name in seen:
                continue
            seen.add(used.name)
            parameter = _parameter(used.name)
            description = (getattr(parameter, "description", None) or used.name) if parameter is not None else used.name
            unit = ((getattr(parameter, "metadata", None) or {}).get("unit", "")) if parameter is not None else ""
            value = used.value
            if isinstance(value, numpy.ndarray):  # a parameter indexed by a variable (a rate by type of home)
                value = _at(value.tolist(), entity=entity, person_index=person_index)
            since = _in_force_since(parameter, str(used.period)) if parameter is not None else ""
            text = _("%(description)s: %(value)s") % {"description": description, "value": _format(value, unit=unit)}
            if since:
                text += " " + _("(in force since %(date)s)") % {"date": since}
            held = None
            compared = _THRESHOLDS.get(used.name.rsplit(".", 1)[-1])
            # Compared only where the applicant's own value is the one the rule reads: a person's threshold in a
            # household scheme (a child's age for childcare) is about another member.
            if (
                compared
                and compared[0] in applicant_values
                and (variables[compared[0]].entity.key == "household" or entity == scheme.entity)
            ):
                own = applicant_values[compared[0]]
                text += "; " + _("yours: %(value)s") % {"value": _format(own)}
                if compared[1] == ">=":
                    held = bool(own >= value)
                elif compared[1] == "<=":
                    held = bool(own <= value)
            lines.append(Line("parameter", text, held=held))
    return lines


def _scale_lines(*, scheme: Scheme, instant: str) -> list[Line]:
    """OpenFisca does not trace a scale's use, so a scheme's scales are listed as they stand on the date."""
    agency = scheme.agency.lower()
    node = _parameter(f"{agency}.{scheme.key}")
    if not isinstance(node, ParameterNode):
        return []
    lines = []
    for name, child in node.children.items():
        if not isinstance(child, ParameterScale):
            continue
        at = tax_benefit_system().parameters(instant)
        scale = getattr(getattr(getattr(at, agency), scheme.key), name)
        steps = "; ".join(
            _("from %(threshold)s: %(amount)s") % {"threshold": _format(float(t)), "amount": _format(float(a))}
            for t, a in zip(scale.thresholds, scale.amounts, strict=True)
        )
        lines.append(Line("parameter", f"{child.description or name}: {steps}"))
    return lines


def lines_from_trace(
    *, simulation: Simulation, scheme: Scheme, person_index: int, missing: set[str], entered: set[str], instant: str
) -> list[Line]:
    """Conditions first, then the values used and worked out, then the parameters that applied."""
    conditions, inputs, computed, applicant_values = _variable_lines(
        simulation=simulation, person_index=person_index, missing=missing, entered=entered
    )
    parameters = _parameter_lines(
        simulation=simulation, scheme=scheme, person_index=person_index, applicant_values=applicant_values
    )
    return [*conditions, *inputs, *computed, *parameters, *_scale_lines(scheme=scheme, instant=instant)]
