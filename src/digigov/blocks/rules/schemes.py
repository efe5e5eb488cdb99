"""The schemes the nation's rules decide, each with its agency and the variables that answer for it.

Eligibility at application time, proactive scans and policy simulation all start from this list; the YAML
tests of a scheme live in nation/tests/<key>.yaml.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scheme:
    key: str
    agency: str  # agency code, as in registries/catalogue.py AGENCIES
    label: str
    eligible: str  # boolean variable: does the person (or their household) qualify
    amount: str  # amount variable
    entity: str  # "person" or "household": who the scheme pays
    recurrence: str  # "one_off", "monthly" or "yearly": how to total its cost over a year


SCHEMES: tuple[Scheme, ...] = (
    Scheme("baby_bonus", "SSA", "Baby bonus", "baby_bonus_eligible", "baby_bonus", "household", "one_off"),
    Scheme(
        "childcare_subsidy",
        "SSA",
        "Childcare subsidy",
        "childcare_subsidy_eligible",
        "childcare_subsidy",
        "household",
        "monthly",
    ),
    Scheme("senior_support", "SSA", "Senior support", "senior_support_eligible", "senior_support", "person", "monthly"),
    Scheme(
        "school_meal_support",
        "SSA",
        "School meal support",
        "school_meal_support_eligible",
        "school_meal_support",
        "person",
        "monthly",
    ),
    Scheme(
        "disability_assistance",
        "SSA",
        "Disability assistance",
        "disability_assistance_eligible",
        "disability_assistance",
        "person",
        "monthly",
    ),
    Scheme(
        "student_bursary", "SSA", "Student bursary", "student_bursary_eligible", "student_bursary", "person", "yearly"
    ),
    Scheme("housing_grant", "HSG", "Housing grant", "housing_grant_eligible", "housing_grant", "household", "one_off"),
    Scheme(
        "jobseeker_support",
        "MOM",
        "Jobseeker support",
        "jobseeker_support_eligible",
        "jobseeker_support",
        "person",
        "monthly",
    ),
    Scheme(
        "retirement_payout",
        "PEN",
        "Retirement payout",
        "retirement_payout_eligible",
        "retirement_payout",
        "person",
        "monthly",
    ),
    Scheme("gst_voucher", "REV", "GST voucher", "gst_voucher_eligible", "gst_voucher", "person", "yearly"),
    Scheme(
        "property_tax_rebate",
        "REV",
        "Property tax rebate",
        "property_tax_rebate_eligible",
        "property_tax_rebate",
        "household",
        "yearly",
    ),
    Scheme(
        "conservancy_rebate",
        "MUN",
        "Conservancy charges rebate",
        "conservancy_rebate_eligible",
        "conservancy_rebate",
        "household",
        "monthly",
    ),
)

SCHEMES_BY_KEY: dict[str, Scheme] = {scheme.key: scheme for scheme in SCHEMES}
