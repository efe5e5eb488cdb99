"""Facts about a household: its home, and its income, which the means tests divide per head."""

import numpy
from openfisca_core.holders import set_input_dispatch_by_period
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Household
from digigov.blocks.rules.nation.enums import HousingType

MEANS_TEST_REGULATIONS = "Means Testing (Households) Regulations 2018 (fictional), reg. 5"


class housing_type(Variable):  # noqa: N801
    value_type = Enum
    possible_values = HousingType
    default_value = HousingType.public_4room
    entity = Household
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Type of home the household lives in"
    reference = "Housing and Development Act 1960 (fictional), s. 2"


class household_income(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Gross monthly income of all household members"
    reference = MEANS_TEST_REGULATIONS
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        return household.sum(household.members("monthly_income", period))


class household_size(Variable):  # noqa: N801
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Number of people in the household"
    reference = MEANS_TEST_REGULATIONS

    def formula(household, period, parameters):  # noqa: N805
        return household.nb_persons()


class income_per_head(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Household monthly income per person, in whole dollars"
    reference = MEANS_TEST_REGULATIONS
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        # Rounded down to whole dollars, as the registries' household.income_per_head element is, so that a
        # means test reads the same number an officer sees.
        size = numpy.maximum(household("household_size", period), 1)
        return numpy.floor(household("household_income", period) / size)


class has_citizen_parent(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "At least one parent of the household is a citizen"
    reference = MEANS_TEST_REGULATIONS

    def formula(household, period, parameters):  # noqa: N805
        return household.any(household.members("is_citizen", period), role=Household.PARENT)
