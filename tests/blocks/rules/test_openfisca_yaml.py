"""Every OpenFisca YAML test of the nation's rules (nation/tests/*.yaml), one pytest case each, named by its
file and the sentence it states. Each is run as OpenFisca's own test runner would: a simulation built from
the test's situation, each expected output compared with openfisca_core.tools.assert_near."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.tools import assert_near

from digigov.blocks.rules.nation import TESTS_DIR, tax_benefit_system


def _cases() -> list[Any]:
    cases = []
    for path in sorted(Path(TESTS_DIR).glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


def _check(simulation, variable: str, expected: Any, period: str, index: int | None = None) -> None:
    if isinstance(expected, dict):
        for at, value in expected.items():
            _check(simulation, variable, value, str(at), index)
        return
    actual = simulation.calculate(variable, period)
    if index is not None:
        actual = actual[index]
    assert_near(actual, expected, absolute_error_margin=0.01, message=f"{variable}@{period}: ")


@pytest.mark.parametrize("case", _cases())
def test_yaml_case(case: dict) -> None:
    system = tax_benefit_system()
    builder = SimulationBuilder()
    builder.set_default_period(str(case["period"]))
    simulation = builder.build_from_dict(system, case["input"])
    for key, expected in case["output"].items():
        if key in system.variables:
            _check(simulation, key, expected, str(case["period"]))
            continue
        population = simulation.get_population(plural=key)  # expectations by entity instance
        for instance_id, by_variable in expected.items():
            for variable, value in by_variable.items():
                _check(simulation, variable, value, str(case["period"]), population.get_index(instance_id))


def test_every_scheme_has_yaml_tests_on_both_sides_of_a_change() -> None:
    from digigov.blocks.rules.schemes import SCHEMES

    tested = {path.stem: yaml.safe_load(path.read_text()) for path in Path(TESTS_DIR).glob("*.yaml")}
    for scheme in SCHEMES:
        assert scheme.key in tested, f"no YAML tests for {scheme.key}"
        assert len(tested[scheme.key]) >= 2
