"""Municipal Services Office (MUN) schemes: the conservancy charges rebate."""

from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Household

CONSERVANCY = "Town Councils Act 1988 (fictional), s. 32"


class conservancy_rebate(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Rebate on the household's service and conservancy charges for the month"
    reference = CONSERVANCY
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        amount = parameters(period).mun.conservancy_rebate.amount[household("housing_type", period)]
        return household("has_citizen_parent", period) * amount


class conservancy_rebate_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household qualifies for the conservancy charges rebate"
    reference = CONSERVANCY

    def formula(household, period, parameters):  # noqa: N805
        return household("conservancy_rebate", period) > 0
