"""Housing Development Board (HSG) schemes: the housing grant for first-time buyers of a public flat."""

from openfisca_core.holders import set_input_dispatch_by_period
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Household

HOUSING_GRANT = "Housing and Development (Grants) Act 2015 (fictional), s. 5"


class buying_public_flat(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Household is buying a public flat this month"
    reference = HOUSING_GRANT


class previous_housing_subsidy(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "A parent of the household has received a housing subsidy before"
    reference = "Housing and Development (Grants) Act 2015 (fictional), s. 5(3)"


class housing_grant(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Housing grant for a first-time purchase of a public flat (one-off)"
    reference = HOUSING_GRANT
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        scale = parameters(period).hsg.housing_grant.amount
        first_timer = ~household("previous_housing_subsidy", period)
        qualifies = household("buying_public_flat", period) * first_timer * household("has_citizen_parent", period)
        return qualifies * scale.calc(household("household_income", period))


class housing_grant_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household qualifies for the housing grant"
    reference = HOUSING_GRANT

    def formula(household, period, parameters):  # noqa: N805
        return household("housing_grant", period) > 0
