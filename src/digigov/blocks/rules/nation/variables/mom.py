"""Ministry of Manpower (MOM) schemes: jobseeker support, in force from 1 April 2025."""

from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Person
from digigov.blocks.rules.nation.enums import EmploymentStatus

JOBSEEKER = "Jobseeker Support Act 2025 (fictional), s. 3"


class jobseeker_support_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Qualifies for jobseeker support"
    reference = JOBSEEKER

    # No formula before the Act came into force: nobody qualifies for a month before April 2025.
    def formula_2025_04_01(person, period, parameters):  # noqa: N805
        rule = parameters(period).mom.jobseeker_support
        age = person("age", period)
        return (
            person("is_citizen", period)
            * (person("employment_status", period) == EmploymentStatus.unemployed)
            * (age >= rule.min_age)
            * (age <= rule.max_age)
            * (person.household("income_per_head", period) <= rule.income_per_head_ceiling)
        )


class jobseeker_support(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Jobseeker support for the month"
    reference = JOBSEEKER
    unit = "currency"

    def formula_2025_04_01(person, period, parameters):  # noqa: N805
        amount = parameters(period).mom.jobseeker_support.amount
        return person("jobseeker_support_eligible", period) * amount
