"""Facts about a person that the schemes test. Most are inputs fed from the registries (see rules/mapping.py)."""

from datetime import date

import numpy
from openfisca_core.holders import set_input_dispatch_by_period
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import ETERNITY, MONTH, YEAR
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Person
from digigov.blocks.rules.nation.enums import Citizenship, EmploymentStatus

REGISTRATION_ACT = "Registration of Births and Deaths Act 2004 (fictional), s. 12"


def _year_month_day(dates: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype("timedelta64[D]").astype(int) + 1
    return years, months, days


class birth_date(Variable):  # noqa: N801 (OpenFisca names variables by their class)
    value_type = date
    default_value = date(1970, 1, 1)
    entity = Person
    definition_period = ETERNITY
    label = "Date of birth"
    reference = REGISTRATION_ACT


class age(Variable):  # noqa: N801
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in whole years on the first day of the month"
    reference = REGISTRATION_ACT

    def formula(person, period, parameters):  # noqa: N805 (OpenFisca's formula signature)
        # The same rule as the registries' person.age: a year is added on the birthday itself.
        years, months, days = _year_month_day(person("birth_date", period))
        start = period.start
        before_birthday = (start.month < months) | ((start.month == months) & (start.day < days))
        return start.year - years - before_birthday


class age_in_months(Variable):  # noqa: N801
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in whole months on the first day of the month"
    reference = REGISTRATION_ACT

    def formula(person, period, parameters):  # noqa: N805
        years, months, days = _year_month_day(person("birth_date", period))
        start = period.start
        return (start.year - years) * 12 + (start.month - months) - (start.day < days)


class citizenship(Variable):  # noqa: N801
    value_type = Enum
    possible_values = Citizenship
    # A situation that says nothing about residential status is read as a citizen's, the common case for
    # the people who ask; registry-fed runs always set it.
    default_value = Citizenship.citizen
    entity = Person
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Residential status"
    reference = "National Registration Act 1965 (fictional), s. 3"


class is_citizen(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a citizen"
    reference = "National Registration Act 1965 (fictional), s. 3"

    def formula(person, period, parameters):  # noqa: N805
        return person("citizenship", period) == Citizenship.citizen


class is_resident(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is a citizen or permanent resident"
    reference = "National Registration Act 1965 (fictional), s. 3"

    def formula(person, period, parameters):  # noqa: N805
        status = person("citizenship", period)
        return (status == Citizenship.citizen) + (status == Citizenship.permanent_resident)


class employment_status(Variable):  # noqa: N801
    value_type = Enum
    possible_values = EmploymentStatus
    default_value = EmploymentStatus.employed
    entity = Person
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Employment status"
    reference = "Employment Act 1968 (fictional), s. 2"


class monthly_income(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Gross monthly income from work"
    reference = "Income Tax Act 1947 (fictional), s. 10"
    unit = "currency"


class annual_income(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Assessable income for the year"
    reference = "Income Tax Act 1947 (fictional), s. 10"
    unit = "currency"


class has_disability(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = MONTH
    set_input = set_input_dispatch_by_period
    label = "Has a disability assessed as permanent"
    reference = "Disability Assessment Regulations 2019 (fictional), reg. 3"
