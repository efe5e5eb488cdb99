"""Pensions and Retirement Board (PEN) schemes: the monthly retirement payout."""

from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Person

RETIREMENT = "Retirement Savings Act 1955 (fictional), s. 15"


class retirement_payout_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Has reached the payout age and receives retirement payouts"
    reference = RETIREMENT

    def formula(person, period, parameters):  # noqa: N805
        payout_age = parameters(period).pen.retirement_payout.payout_age
        return person("is_resident", period) * (person("age", period) >= payout_age)


class retirement_payout(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Basic retirement payout for the month"
    reference = RETIREMENT
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        amount = parameters(period).pen.retirement_payout.amount
        return person("retirement_payout_eligible", period) * amount
