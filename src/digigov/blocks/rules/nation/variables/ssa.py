"""Social Support Agency (SSA) schemes: baby bonus, childcare subsidy, senior support, school meals,
disability assistance and student bursary. Numbers live in parameters/ssa/*.yaml, dated."""

import numpy
from openfisca_core.periods import MONTH, YEAR
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Household, Person
from digigov.blocks.rules.nation.enums import EmploymentStatus

BABY_BONUS = "Child Development Co-Savings Act 2001 (fictional), Part 2"
CHILDCARE = "Early Childhood Development Centres Act 2017 (fictional), s. 40"
SENIOR_SUPPORT = "Silver Support Scheme Act 2016 (fictional), s. 4"
SCHOOL_MEALS = "Education (Student Support) Regulations 2012 (fictional), Part 3"
DISABILITY = "Disability Support Act 2019 (fictional), s. 8"
BURSARY = "Education Endowment and Bursary Act 2010 (fictional), s. 6"


class baby_bonus_newborn(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a citizen child of the household born within the baby bonus claim window"
    reference = BABY_BONUS

    def formula(person, period, parameters):  # noqa: N805
        window = parameters(period).ssa.baby_bonus.claim_window_months
        months = person("age_in_months", period)
        return person.has_role(Household.CHILD) * person("is_citizen", period) * (months >= 0) * (months < window)


class baby_bonus_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household can claim the baby bonus cash gift"
    reference = BABY_BONUS

    def formula(household, period, parameters):  # noqa: N805
        return household.any(household.members("baby_bonus_newborn", period), role=Household.CHILD)


class baby_bonus(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Baby bonus cash gift the household can claim (one-off, per newborn)"
    reference = BABY_BONUS
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        amount = parameters(period).ssa.baby_bonus.amount
        # The newborn is the youngest child, so its birth order is the number of children in the household.
        order = household.nb_persons(role=Household.CHILD)
        per_child = numpy.select([order <= 1, order == 2], [amount.first, amount.second], amount.third_and_later)
        newborns = household.sum(household.members("baby_bonus_newborn", period), role=Household.CHILD)
        return newborns * per_child


class childcare_child(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a citizen child of the household of childcare age"
    reference = CHILDCARE

    def formula(person, period, parameters):  # noqa: N805
        rule = parameters(period).ssa.childcare_subsidy
        old_enough = person("age_in_months", period) >= rule.min_age_months
        young_enough = person("age", period) < rule.max_age
        return person.has_role(Household.CHILD) * person("is_citizen", period) * old_enough * young_enough


class childcare_subsidy_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household qualifies for the childcare subsidy"
    reference = CHILDCARE

    def formula(household, period, parameters):  # noqa: N805
        return household.any(household.members("childcare_child", period), role=Household.CHILD)


class childcare_subsidy(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Childcare subsidy for the month, all qualifying children"
    reference = CHILDCARE
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        rule = parameters(period).ssa.childcare_subsidy
        children = household.sum(household.members("childcare_child", period), role=Household.CHILD)
        per_child = rule.basic + rule.additional.calc(household("income_per_head", period))
        return children * per_child


class senior_support_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Qualifies for senior support"
    reference = SENIOR_SUPPORT

    def formula(person, period, parameters):  # noqa: N805
        rule = parameters(period).ssa.senior_support
        home_qualifies = rule.amount[person.household("housing_type", period)] > 0
        return (
            person("is_citizen", period)
            * (person("age", period) >= rule.min_age)
            * (person.household("income_per_head", period) <= rule.income_per_head_ceiling)
            * home_qualifies
        )


class senior_support(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Senior support for the month"
    reference = SENIOR_SUPPORT
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        amount = parameters(period).ssa.senior_support.amount[person.household("housing_type", period)]
        return person("senior_support_eligible", period) * amount


class school_meal_support_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Qualifies for school meal support"
    reference = SCHOOL_MEALS

    def formula(person, period, parameters):  # noqa: N805
        rule = parameters(period).ssa.school_meal_support
        age = person("age", period)
        status = person("employment_status", period)
        at_school = (status == EmploymentStatus.child) + (status == EmploymentStatus.student)
        return (
            person("is_citizen", period)
            * at_school
            * (age >= rule.min_age)
            * (age <= rule.max_age)
            * (person.household("income_per_head", period) <= rule.income_per_head_ceiling)
        )


class school_meal_support(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "School meal support for the month"
    reference = SCHOOL_MEALS
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        amount = parameters(period).ssa.school_meal_support.amount
        return person("school_meal_support_eligible", period) * amount


class disability_assistance_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Qualifies for disability assistance"
    reference = DISABILITY

    def formula(person, period, parameters):  # noqa: N805
        ceiling = parameters(period).ssa.disability_assistance.income_per_head_ceiling
        return (
            person("has_disability", period)
            * person("is_citizen", period)
            * (person.household("income_per_head", period) <= ceiling)
        )


class disability_assistance(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Disability assistance for the month"
    reference = DISABILITY
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        amount = parameters(period).ssa.disability_assistance.amount
        return person("disability_assistance_eligible", period) * amount


class student_bursary(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Student bursary for the year"
    reference = BURSARY
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        # Assessed once a year on the student's situation in January, when bursary applications open.
        january = period.first_month
        rule = parameters(period).ssa.student_bursary
        age = person("age", january)
        qualifies = (
            person("is_citizen", january)
            * (person("employment_status", january) == EmploymentStatus.student)
            * (age >= rule.min_age)
            * (age <= rule.max_age)
        )
        return qualifies * rule.amount.calc(person.household("income_per_head", january))


class student_bursary_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = YEAR
    label = "Qualifies for a student bursary this year"
    reference = BURSARY

    def formula(person, period, parameters):  # noqa: N805
        return person("student_bursary", period) > 0
