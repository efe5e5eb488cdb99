"""Revenue Authority (REV) schemes: the GST voucher and the property tax rebate, both yearly."""

from openfisca_core.periods import YEAR
from openfisca_core.variables import Variable

from digigov.blocks.rules.nation.entities import Household, Person

GST_VOUCHER = "Goods and Services Tax (Voucher) Act 2012 (fictional), s. 4"
PROPERTY_TAX = "Property Tax Act 1960 (fictional), s. 19A"


class gst_voucher(Variable):  # noqa: N801
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "GST voucher cash for the year"
    reference = GST_VOUCHER
    unit = "currency"

    def formula(person, period, parameters):  # noqa: N805
        rule = parameters(period).rev.gst_voucher
        # The Act looks at the age reached during the year, last year's assessed income and the home in January.
        january = period.first_month
        birth_year = person("birth_date", period).astype("datetime64[Y]").astype(int) + 1970
        old_enough = period.start.year - birth_year >= rule.min_age
        low_income = person("annual_income", period.last_year) <= rule.income_ceiling
        amount = rule.amount[person.household("housing_type", january)]
        return person("is_citizen", january) * old_enough * low_income * amount


class gst_voucher_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = YEAR
    label = "Qualifies for the GST voucher this year"
    reference = GST_VOUCHER

    def formula(person, period, parameters):  # noqa: N805
        return person("gst_voucher", period) > 0


class property_tax_rebate(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = YEAR
    label = "Property tax rebate on the household's home for the year"
    reference = PROPERTY_TAX
    unit = "currency"

    def formula(household, period, parameters):  # noqa: N805
        january = period.first_month
        amount = parameters(period).rev.property_tax_rebate.amount[household("housing_type", january)]
        return household("has_citizen_parent", january) * amount


class property_tax_rebate_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Household
    definition_period = YEAR
    label = "Household qualifies for the property tax rebate this year"
    reference = PROPERTY_TAX

    def formula(household, period, parameters):  # noqa: N805
        return household("property_tax_rebate", period) > 0
