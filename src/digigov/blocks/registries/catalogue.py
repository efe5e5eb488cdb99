"""The reference data every DigiGov nation starts with: agencies and the core data elements.

Element keys are the common data standard: every e-form, API and KPI names data by these keys. Each
element is bound (in `bindings.py`) to where its verified value lives in the registries.
"""

AGENCIES = [
    # code, name, short name, mission
    ("REG", "National Registry of Identity and Births", "Registry", "Registers births, deaths, marriages and identity."),
    ("HSG", "Housing Development Board", "Housing", "Builds and manages public housing and housing grants."),
    ("SSA", "Social Support Agency", "Social Support", "Helps families and individuals through hard times."),
    ("REV", "Revenue Authority", "Revenue", "Assesses and collects taxes and pays government transfers."),
    ("PEN", "Pensions and Retirement Board", "Pensions", "Runs retirement savings and payouts."),
    ("BIZ", "Business Registry", "Business Registry", "Registers businesses and keeps their records."),
    ("MUN", "Municipal Services Office", "Municipal Services", "Keeps towns clean, safe and well maintained."),
    ("MOM", "Ministry of Manpower", "Manpower", "Employment, work passes and job-seeker support."),
]

# key, label, data type, format, classification, owner agency code, allowed values
ELEMENTS = [
    ("person.national_id", "National ID number", "string", "^[STFG][0-9]{7}[A-Z]$", "sensitive", "REG", []),
    ("person.full_name", "Full name", "string", "", "restricted", "REG", []),
    ("person.sex", "Sex", "code", "", "restricted", "REG", ["F", "M"]),
    ("person.date_of_birth", "Date of birth", "date", "ISO 8601 date", "restricted", "REG", []),
    ("person.age", "Age in years", "integer", "", "restricted", "REG", []),
    ("person.ethnic_group", "Ethnic group", "code", "", "restricted", "REG",
     ["chinese", "malay", "indian", "eurasian", "other"]),
    ("person.citizenship", "Residential status", "code", "", "restricted", "REG",
     ["citizen", "permanent_resident", "foreigner"]),
    ("person.marital_status", "Marital status", "code", "", "restricted", "REG",
     ["single", "married", "divorced", "widowed"]),
    ("person.spouse_name", "Spouse's full name", "string", "", "restricted", "REG", []),
    ("person.children_count", "Number of children", "integer", "", "restricted", "REG", []),
    ("person.youngest_child_name", "Youngest child's full name", "string", "", "restricted", "REG", []),
    ("person.youngest_child_date_of_birth", "Youngest child's date of birth", "date", "ISO 8601 date",
     "restricted", "REG", []),
    ("person.email", "Email address", "email", "", "confidential", "REG", []),
    ("person.mobile", "Mobile number", "phone", "+65 and 8 digits", "confidential", "REG", []),
    ("person.education", "Highest qualification", "code", "", "restricted", "MOM",
     ["primary", "secondary", "post_secondary", "diploma", "degree"]),
    ("person.employment_status", "Employment status", "code", "", "confidential", "MOM",
     ["employed", "self_employed", "unemployed", "retired", "student", "homemaker", "child"]),
    ("person.occupation", "Occupation", "string", "", "confidential", "MOM", []),
    ("person.monthly_income", "Monthly income", "money", "whole dollars", "sensitive", "REV", []),
    ("person.annual_income", "Assessable annual income", "money", "whole dollars", "sensitive", "REV", []),
    ("person.retirement_savings_age_eligible", "Reached payout eligibility age", "boolean", "", "restricted", "PEN", []),
    ("address.block", "Block or house number", "string", "", "restricted", "HSG", []),
    ("address.street", "Street name", "string", "", "restricted", "HSG", []),
    ("address.unit", "Unit number", "string", "#floor-unit", "restricted", "HSG", []),
    ("address.postal_code", "Postal code", "string", "^[0-9]{6}$", "restricted", "HSG", []),
    ("address.full", "Registered address", "string", "", "restricted", "HSG", []),
    ("address.housing_type", "Housing type", "code", "", "restricted", "HSG",
     ["public_1room", "public_2room", "public_3room", "public_4room", "public_5room", "public_executive",
      "condominium", "landed"]),
    ("household.member_count", "Number of people in the household", "integer", "", "restricted", "HSG", []),
    ("household.monthly_income", "Household monthly income", "money", "whole dollars", "sensitive", "REV", []),
    ("household.income_per_head", "Household monthly income per person", "money", "whole dollars",
     "sensitive", "REV", []),
    ("business.uen", "Unique entity number", "string", "^[0-9]{8,9}[A-Z]$", "open", "BIZ", []),
    ("business.name", "Registered business name", "string", "", "open", "BIZ", []),
    ("business.entity_type", "Entity type", "code", "", "open", "BIZ",
     ["sole_proprietorship", "partnership", "private_limited"]),
    ("business.industry", "Primary activity", "string", "", "open", "BIZ", []),
    ("business.registered_on", "Registration date", "date", "ISO 8601 date", "open", "BIZ", []),
    ("business.address", "Registered business address", "string", "", "open", "BIZ", []),
    ("business.employee_count", "Number of employees", "integer", "", "confidential", "MOM", []),
]
