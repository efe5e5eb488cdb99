"""The nation's tax-benefit system: its entities, variables (nation/variables) and dated parameters
(nation/parameters), on the OpenFisca engine.

This package imports nothing from Django so that OpenFisca's own tools can load it as a country package:
`openfisca test --country-package digigov.blocks.rules.nation src/digigov/blocks/rules/nation/tests`.
"""

import functools
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from digigov.blocks.rules.nation.entities import entities

HERE = Path(__file__).parent
VARIABLES_DIR = HERE / "variables"
PARAMETERS_DIR = HERE / "parameters"
TESTS_DIR = HERE / "tests"


class CountryTaxBenefitSystem(TaxBenefitSystem):
    """The nation's rules. OpenFisca's tools find the system of a country package by this class name."""

    def __init__(self) -> None:
        super().__init__(entities)
        self.add_variables_from_directory(str(VARIABLES_DIR))
        self.load_parameters(str(PARAMETERS_DIR))


@functools.cache
def tax_benefit_system() -> CountryTaxBenefitSystem:
    """The one shared, read-only instance: loading variables and YAML takes a noticeable fraction of a second,
    so every caller (API, population runs, tests) reuses it. Simulations never modify it."""
    return CountryTaxBenefitSystem()
