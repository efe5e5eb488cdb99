"""Policy reforms: a YAML file that gives parameters new values from a date, checked and applied as an OpenFisca
Reform of the nation's tax-benefit system.

    name: Bigger baby bonus
    description: Raise the first-child cash gift from 2027.
    changes:
      - parameter: ssa.baby_bonus.amount.first
        from: 2027-01-01
        value: 12000

A change replaces the parameter's value from its date onwards (later dated values included), as a new dated
entry in the parameter YAML would. Parameters are named as GET /api/rules/parameters names them.
"""

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from openfisca_core.parameters import Parameter, ParameterNode, ParameterScale
from openfisca_core.periods import instant
from openfisca_core.reforms import Reform
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from digigov.blocks.rules.nation import tax_benefit_system
from digigov.platform.errors import ValidationFailed

EXAMPLES_DIR = Path(__file__).parent / "reforms"
MAX_TEXT_CHARS = 64_000  # a reform is a handful of lines; refuse anything that could only be a mistake or abuse
MAX_CHANGES = 200


class _DatesAsText(yaml.SafeLoader):
    """YAML with dates left as text, so that an impossible date (2027-13-01) is reported on its field
    instead of failing the whole file."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@dataclass(frozen=True)
class ParameterChange:
    parameter: str
    start: dt.date
    value: float | bool


@dataclass(frozen=True)
class PolicyReform:
    name: str
    description: str
    changes: tuple[ParameterChange, ...]
    text: str  # the YAML as given, kept with the results

    @property
    def last_start(self) -> dt.date:
        """The date from which every change is in force."""
        return max(change.start for change in self.changes)


def _leaf_parameters(node: Any) -> dict[str, Parameter]:
    if isinstance(node, ParameterNode):
        found: dict[str, Parameter] = {}
        for child in node.children.values():
            found.update(_leaf_parameters(child))
        return found
    if isinstance(node, ParameterScale):
        found = {}
        for bracket in node.brackets:
            for child in bracket.children.values():
                found.update(_leaf_parameters(child))
        return found
    return {node.name: node}


def _value(*, raw: Any, current: Any, path: str) -> tuple[float | bool | None, str | None]:
    if isinstance(current, bool):
        if isinstance(raw, bool):
            return raw, None
        return None, _("Give true or false for %(path)s") % {"path": path}
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None, _("Give a number for %(path)s") % {"path": path}
    if raw < 0:
        # Every number in the nation's rules is an amount, threshold, age or duration.
        return None, _("Give a number of zero or more for %(path)s") % {"path": path}
    return raw, None


def _change(*, index: int, item: Any, known: dict[str, Parameter], errors: dict[str, str]) -> ParameterChange | None:
    where = f"changes[{index}]"
    if not isinstance(item, dict):
        errors[where] = _("Each change needs a parameter, a from date and a value")
        return None
    name, start, raw = item.get("parameter"), item.get("from"), item.get("value")
    parameter = known.get(name) if isinstance(name, str) else None
    if parameter is None:
        errors[f"{where}.parameter"] = (
            _("There is no parameter called %(name)s") % {"name": name}
            if isinstance(name, str) and name
            else _("Name the parameter to change")
        )
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            start = None
    if not isinstance(start, dt.date):
        errors[f"{where}.from"] = _("Give the date the change takes effect as YYYY-MM-DD")
        start = None
    if "value" not in item:
        errors[f"{where}.value"] = _("Give the new value")
        return None
    if parameter is None or start is None:
        return None
    current = parameter.values_list[0].value if parameter.values_list else 0
    value, problem = _value(raw=raw, current=current, path=name)
    if problem:
        errors[f"{where}.value"] = problem
        return None
    return ParameterChange(parameter=name, start=start, value=value)


def reform_parse(*, text: str) -> PolicyReform:
    """Check a reform's YAML; every problem is reported at once, each under the field it concerns."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationFailed(fields={"reform": _("A reform file must be under 64,000 characters")})
    try:
        document = yaml.load(text, Loader=_DatesAsText)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ValidationFailed(fields={"reform": _("This is not valid YAML") + line}) from None
    if not isinstance(document, dict):
        raise ValidationFailed(fields={"reform": _("A reform needs a name and a list of changes")})
    errors: dict[str, str] = {}
    name, description, items = document.get("name"), document.get("description", ""), document.get("changes")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = _("Give the reform a name")
    if not isinstance(description, str):
        errors["description"] = _("The description must be text")
    if not isinstance(items, list) or not items:
        errors["changes"] = _("List at least one change")
        items = []
    elif len(items) > MAX_CHANGES:
        errors["changes"] = _("A reform can change at most %(n)s parameters") % {"n": MAX_CHANGES}
        items = []
    known = _leaf_parameters(tax_benefit_system().parameters)
    changes = [_change(index=i, item=item, known=known, errors=errors) for i, item in enumerate(items)]
    seen: set[tuple[str, dt.date]] = set()
    for index, change in enumerate(changes):
        if change is not None:
            if (change.parameter, change.start) in seen:
                errors[f"changes[{index}].parameter"] = _("%(name)s is already changed from this date") % {
                    "name": change.parameter
                }
            seen.add((change.parameter, change.start))
    if errors:
        raise ValidationFailed(fields=errors)
    return PolicyReform(name=name.strip(), description=(description or "").strip(), changes=tuple(changes), text=text)


def reform_system(*, reform: PolicyReform) -> TaxBenefitSystem:
    """The nation's rules with the reform's values in force from their dates."""
    # Earliest first, so a later change overrides an earlier one from its own date on.
    ordered = sorted(reform.changes, key=lambda change: change.start)

    def modify(parameters: ParameterNode) -> ParameterNode:
        leaves = _leaf_parameters(parameters)
        for change in ordered:
            leaves[change.parameter].update(start=instant(change.start.isoformat()), value=change.value)
        return parameters

    class PolicyChange(Reform):
        name = reform.name

        def apply(self) -> None:
            self.modify_parameters(modifier_function=modify)

    return PolicyChange(tax_benefit_system())


def example_reforms() -> dict[str, str]:
    """The example reforms shipped with the platform: file stem -> YAML text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(EXAMPLES_DIR.glob("*.yaml"))}
