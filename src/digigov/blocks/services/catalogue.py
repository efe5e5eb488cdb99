"""The nation's service catalogue: life events, the services grouped under them, and each service's e-form.

A field that names a data element (`element`) is pre-filled with the verified value from the registries after
the applicant consents; the others are answered by the applicant. Each service's `purpose` is shown on the
consent screen, so it says in plain words why the data is needed.

`catalogue_load()` writes it all, keyed by slug and field key, so running it again updates rather than
duplicates.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from digigov.blocks.registries.queries import agency_get, elements_get
from digigov.blocks.services.models import FieldType, FormField, LifeEvent, Service

LIFE_EVENTS = [
    # slug, name, summary (in the order the home page shows them)
    ("having-a-baby", "Having a baby",
     "Register your baby's birth and get the support your family is entitled to, from the Baby Bonus to "
     "childcare subsidies and parental leave."),
    ("starting-a-business", "Starting a business",
     "Register your business, then sort out tax registration and the licences you need to start trading."),
    ("moving-house", "Moving house",
     "Tell us your new address once, apply for a housing grant and report anything that needs fixing in "
     "your new neighbourhood."),
    ("retiring", "Retiring",
     "Start your retirement payouts and find the support available to seniors, including help with property tax."),
    ("losing-a-job", "Losing a job",
     "Get help finding a new job, and financial support for you and your family while you look."),
]

_DECLARATION = "I declare that the information I have given is true and complete"
_DECLARATION_HINT = "Giving false information is an offence and may mean you have to repay any money paid."
_BANK_HINT = "The account the payment will go into. It must be in your name."


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    field_type: str
    element: str | None = None
    required: bool = True
    hint: str = ""
    choices: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceEntry:
    slug: str
    name: str
    summary: str
    agency: str
    sla_days: int
    purpose: str
    life_events: list[str]
    fields: list[Field]
    fee_cents: int = 0
    audience: str = "citizen"
    offers_e_payment: bool = True
    offers_e_signature: bool = True
    scheme_key: str = ""  # rules/schemes.py key checked at application time
    auto_decide: bool = False  # approve at once when eligible on verified data alone
    # Agencies whose calling systems may apply for a person, besides the service's own (docs/govstack.md).
    accepts_submissions_from: tuple[str, ...] = ()


def _verified(key: str, label: str, element: str, field_type: str = FieldType.TEXT, **kwargs: Any) -> Field:
    return Field(key=key, label=label, field_type=field_type, element=element, **kwargs)


def _declaration() -> Field:
    return Field(key="declaration", label=_DECLARATION, field_type=FieldType.YESNO, hint=_DECLARATION_HINT)


def _bank_account() -> Field:
    return Field(key="bank_account_number", label="Bank account number", field_type=FieldType.TEXT, hint=_BANK_HINT)


_FULL_NAME = _verified("full_name", "Full name", "person.full_name")
_NATIONAL_ID = _verified("national_id", "National ID number", "person.national_id")
_ADDRESS = _verified("address", "Registered address", "address.full")
_EMAIL = _verified("email", "Email address", "person.email", FieldType.EMAIL)
_MOBILE = _verified("mobile", "Mobile number", "person.mobile", FieldType.PHONE)

SERVICES = [
    # -- Having a baby ------------------------------------------------------------------------------------
    ServiceEntry(
        slug="register-a-birth", name="Register a birth", agency="REG", sla_days=3,
        summary="Register your baby's birth within 42 days and get the birth certificate online.",
        purpose="The Registry needs the parents' identity and address to register the birth and issue the "
                "birth certificate.",
        life_events=["having-a-baby"],
        fields=[
            _FULL_NAME, _NATIONAL_ID, _ADDRESS,
            _verified("spouse_name", "Other parent's full name", "person.spouse_name", required=False),
            Field("child_name", "Child's full name", FieldType.TEXT,
                  hint="As it will appear on the birth certificate."),
            Field("child_date_of_birth", "Child's date of birth", FieldType.DATE),
            Field("child_sex", "Child's sex", FieldType.CHOICE, choices=[["F", "Female"], ["M", "Male"]]),
            Field("place_of_birth", "Place of birth", FieldType.CHOICE, choices=[
                ["public_hospital", "Public hospital"], ["private_hospital", "Private hospital"],
                ["home", "At home"], ["other", "Somewhere else"],
            ]),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="baby-bonus", name="Baby Bonus", agency="SSA", sla_days=14,
        scheme_key="baby_bonus",
        # Tell us once: the birth registry's system applies for the parents when the birth is registered.
        accepts_submissions_from=("REG",),
        summary="A cash gift for your newborn and a matched savings account to help with the costs of raising "
                "your child.",
        purpose="The Social Support Agency needs to know who you and your youngest child are, where you live "
                "and your household income to work out the Baby Bonus your family gets, and how to contact you.",
        life_events=["having-a-baby"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("child_name", "Child's full name", "person.youngest_child_name"),
            _verified("child_date_of_birth", "Child's date of birth", "person.youngest_child_date_of_birth",
                      FieldType.DATE),
            _ADDRESS, _EMAIL,
            _verified("household_income", "Household monthly income", "household.monthly_income", FieldType.MONEY,
                      hint="The total monthly income of everyone in your household, before tax."),
            _bank_account(),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="childcare-subsidy", name="Childcare subsidy", agency="SSA", sla_days=10,
        scheme_key="childcare_subsidy",
        summary="Help with the monthly fees of a licensed childcare centre or infant care, more for families "
                "with lower incomes.",
        purpose="The Social Support Agency uses your child's details, your household's size and income and your "
                "work status to decide the subsidy rate.",
        life_events=["having-a-baby"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("child_name", "Child's full name", "person.youngest_child_name"),
            _verified("household_members", "Number of people in your household", "household.member_count",
                      FieldType.INTEGER),
            _verified("household_income", "Household monthly income", "household.monthly_income", FieldType.MONEY),
            _verified("employment_status", "Your employment status", "person.employment_status", FieldType.CHOICE,
                      choices=[["employed", "Employed"], ["self_employed", "Self-employed"],
                               ["unemployed", "Looking for work"], ["student", "Studying"],
                               ["homemaker", "Looking after the home"], ["retired", "Retired"]]),
            Field("centre_name", "Name of the childcare centre", FieldType.TEXT),
            Field("start_date", "Date your child starts", FieldType.DATE),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="parental-leave-reimbursement", name="Paid parental leave reimbursement", agency="MOM", sla_days=14,
        audience="business",
        summary="Employers: claim back the salary you paid an employee during government-paid maternity, "
                "paternity or shared parental leave.",
        purpose="The Ministry of Manpower needs your business's registration details to pay the reimbursement "
                "to the right employer.",
        life_events=["having-a-baby"],
        fields=[
            _verified("uen", "Unique entity number", "business.uen"),
            _verified("business_name", "Business name", "business.name"),
            Field("employee_name", "Employee's full name", FieldType.TEXT),
            Field("employee_national_id", "Employee's national ID number", FieldType.TEXT),
            Field("leave_type", "Type of leave", FieldType.CHOICE, choices=[
                ["maternity", "Maternity leave"], ["paternity", "Paternity leave"],
                ["shared", "Shared parental leave"],
            ]),
            Field("leave_start", "First day of leave", FieldType.DATE),
            Field("leave_weeks", "Number of weeks of leave", FieldType.INTEGER),
            Field("salary_paid", "Gross salary paid for the leave", FieldType.MONEY),
            _declaration(),
        ],
    ),
    # -- Starting a business ------------------------------------------------------------------------------
    ServiceEntry(
        slug="register-a-business", name="Register a business", agency="BIZ", sla_days=1, fee_cents=11_500,
        audience="business",
        summary="Register a sole proprietorship, partnership or private limited company and get its unique "
                "entity number.",
        purpose="The Business Registry needs the owner's identity and address to register the business and "
                "publish who is responsible for it.",
        life_events=["starting-a-business"],
        fields=[
            _FULL_NAME, _NATIONAL_ID, _ADDRESS, _EMAIL,
            Field("business_name", "Proposed business name", FieldType.TEXT),
            Field("entity_type", "Type of business", FieldType.CHOICE, choices=[
                ["sole_proprietorship", "Sole proprietorship"], ["partnership", "Partnership"],
                ["private_limited", "Private limited company"],
            ]),
            Field("activity", "Main business activity", FieldType.TEXT, hint="For example: café, tuition, plumbing."),
            Field("business_address", "Registered business address", FieldType.TEXTAREA,
                  hint="Leave blank to use your home address.", required=False),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="gst-registration", name="Register for goods and services tax (GST)", agency="REV", sla_days=10,
        audience="business",
        summary="Register your business for GST when its yearly turnover passes the threshold, or voluntarily.",
        purpose="The Revenue Authority needs your business's registration details to set up its GST account.",
        life_events=["starting-a-business"],
        fields=[
            _verified("uen", "Unique entity number", "business.uen"),
            _verified("business_name", "Business name", "business.name"),
            _verified("entity_type", "Type of business", "business.entity_type", FieldType.CHOICE, choices=[
                ["sole_proprietorship", "Sole proprietorship"], ["partnership", "Partnership"],
                ["private_limited", "Private limited company"],
            ]),
            _verified("registered_on", "Date the business was registered", "business.registered_on", FieldType.DATE),
            Field("expected_turnover", "Expected turnover in the next 12 months", FieldType.MONEY),
            Field("registration_reason", "Why are you registering?", FieldType.CHOICE, choices=[
                ["compulsory", "Turnover is over the threshold"], ["voluntary", "Registering voluntarily"],
            ]),
            Field("bank_account_number", "Business bank account number", FieldType.TEXT,
                  hint="For GST refunds. It must be in the business's name."),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="food-shop-licence", name="Apply for a food shop licence", agency="MUN", sla_days=21, fee_cents=26_000,
        audience="business", offers_e_payment=False,
        summary="A licence to run a restaurant, café, food court stall or other food shop.",
        purpose="The Municipal Services Office needs your business's details and address to inspect the premises "
                "and issue the licence.",
        life_events=["starting-a-business"],
        fields=[
            _verified("uen", "Unique entity number", "business.uen"),
            _verified("business_name", "Business name", "business.name"),
            _verified("business_address", "Registered business address", "business.address"),
            _MOBILE,
            Field("premises_address", "Address of the food shop", FieldType.TEXTAREA),
            Field("seating_capacity", "Number of seats", FieldType.INTEGER),
            Field("food_hygiene_certified", "Has the licensee passed a food hygiene course?", FieldType.YESNO),
            _declaration(),
        ],
    ),
    # -- Moving house -------------------------------------------------------------------------------------
    ServiceEntry(
        slug="change-of-address", name="Change your address", agency="REG", sla_days=2,
        summary="Tell us once: update your address with the Registry and every agency that needs it.",
        purpose="The Registry needs your identity and current address to update your records, and to pass "
                "your new address to the agencies you choose.",
        life_events=["moving-house"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("current_address", "Current registered address", "address.full"),
            Field("new_address", "New address", FieldType.TEXTAREA,
                  hint="Block or house number, street, unit and postal code."),
            Field("move_date", "Date you moved", FieldType.DATE),
            Field("people_moving", "How many people in your household are moving with you?", FieldType.INTEGER),
            Field("tell_other_agencies", "Tell the other agencies that hold your address?", FieldType.YESNO),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="housing-grant", name="Housing grant for a new flat", agency="HSG", sla_days=21,
        scheme_key="housing_grant",
        summary="A grant towards buying your first public flat, more for lower-income households.",
        purpose="The Housing Development Board needs your residential status, marital status and household "
                "income to check which grants you qualify for and how much.",
        life_events=["moving-house"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("citizenship", "Residential status", "person.citizenship", FieldType.CHOICE, choices=[
                ["citizen", "Citizen"], ["permanent_resident", "Permanent resident"], ["foreigner", "Foreigner"],
            ]),
            _verified("marital_status", "Marital status", "person.marital_status", FieldType.CHOICE, choices=[
                ["single", "Single"], ["married", "Married"], ["divorced", "Divorced"], ["widowed", "Widowed"],
            ]),
            _verified("spouse_name", "Spouse's full name", "person.spouse_name", required=False),
            _verified("household_income", "Household monthly income", "household.monthly_income", FieldType.MONEY),
            Field("flat_type", "Type of flat you are buying", FieldType.CHOICE, choices=[
                ["2room", "2-room flexi"], ["3room", "3-room"], ["4room", "4-room"], ["5room", "5-room"],
                ["executive", "Executive"],
            ]),
            Field("first_home", "Is this the first home you or your spouse have bought?", FieldType.YESNO),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="report-a-municipal-issue", name="Report a municipal issue", agency="MUN", sla_days=3,
        summary="Tell us about litter, a broken lift, a faulty street light or anything else in your "
                "neighbourhood that needs fixing.",
        purpose="The Municipal Services Office uses your name and mobile number to update you on the fix and to "
                "ask for more details if needed.",
        life_events=["moving-house"],
        fields=[
            _FULL_NAME, _MOBILE,
            Field("issue_type", "What is the issue?", FieldType.CHOICE, choices=[
                ["cleanliness", "Litter or cleanliness"], ["lift", "Broken lift"], ["lighting", "Faulty lighting"],
                ["pests", "Pests"], ["noise", "Noise"], ["other", "Something else"],
            ]),
            Field("location", "Where is it?", FieldType.TEXT, hint="A block and street, or a landmark."),
            Field("description", "Describe the issue", FieldType.TEXTAREA),
            Field("contact_me", "Can we contact you about it?", FieldType.YESNO),
        ],
    ),
    # -- Retiring -----------------------------------------------------------------------------------------
    ServiceEntry(
        slug="retirement-payout", name="Start your retirement payouts", agency="PEN", sla_days=7,
        scheme_key="retirement_payout", auto_decide=True,
        summary="Choose when your monthly retirement payouts start and which plan they follow.",
        purpose="The Pensions and Retirement Board needs your identity, date of birth and whether you have "
                "reached the payout age to start your payouts.",
        life_events=["retiring"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("date_of_birth", "Date of birth", "person.date_of_birth", FieldType.DATE),
            _verified("payout_age_reached", "Reached the payout eligibility age",
                      "person.retirement_savings_age_eligible", FieldType.YESNO),
            Field("payout_start", "When should your payouts start?", FieldType.DATE),
            Field("payout_plan", "Payout plan", FieldType.CHOICE, choices=[
                ["standard", "Standard: the same amount every month"],
                ["escalating", "Escalating: starts lower and rises 2% a year"],
                ["basic", "Basic: lower payouts, more left for your family"],
            ]),
            _bank_account(),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="senior-support", name="Senior support payment", agency="SSA", sla_days=14,
        scheme_key="senior_support", auto_decide=True,
        summary="A quarterly cash payment for seniors who had low incomes during their working life and have "
                "little family support.",
        purpose="The Social Support Agency needs your age, housing type and household income to check that you "
                "qualify.",
        life_events=["retiring"],
        fields=[
            _FULL_NAME, _NATIONAL_ID,
            _verified("age", "Age", "person.age", FieldType.INTEGER),
            _verified("housing_type", "Housing type", "address.housing_type", FieldType.CHOICE, choices=[
                ["public_1room", "Public flat, 1 room"], ["public_2room", "Public flat, 2 rooms"],
                ["public_3room", "Public flat, 3 rooms"], ["public_4room", "Public flat, 4 rooms"],
                ["public_5room", "Public flat, 5 rooms"], ["public_executive", "Public flat, executive"],
                ["condominium", "Condominium or private flat"], ["landed", "Landed property"],
            ]),
            _verified("income_per_head", "Household monthly income per person", "household.income_per_head",
                      FieldType.MONEY),
            Field("living_arrangement", "Who do you live with?", FieldType.CHOICE, choices=[
                ["alone", "I live alone"], ["spouse", "With my spouse"], ["family", "With my children or family"],
                ["other", "Other"],
            ]),
            _bank_account(),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="property-tax-relief", name="Property tax relief for seniors", agency="REV", sla_days=30,
        scheme_key="property_tax_rebate",
        summary="Pay less property tax on the home you live in if you are retired and your income is low.",
        purpose="The Revenue Authority needs your address, housing type and household income to assess the "
                "relief.",
        life_events=["retiring"],
        fields=[
            _FULL_NAME, _NATIONAL_ID, _ADDRESS,
            _verified("housing_type", "Housing type", "address.housing_type", FieldType.CHOICE, choices=[
                ["public_1room", "Public flat, 1 room"], ["public_2room", "Public flat, 2 rooms"],
                ["public_3room", "Public flat, 3 rooms"], ["public_4room", "Public flat, 4 rooms"],
                ["public_5room", "Public flat, 5 rooms"], ["public_executive", "Public flat, executive"],
                ["condominium", "Condominium or private flat"], ["landed", "Landed property"],
            ]),
            _verified("income_per_head", "Household monthly income per person", "household.income_per_head",
                      FieldType.MONEY),
            Field("owner_occupied", "Do you live in this property?", FieldType.YESNO),
            Field("reason", "Anything else we should know?", FieldType.TEXTAREA, required=False),
            _declaration(),
        ],
    ),
    # -- Losing a job -------------------------------------------------------------------------------------
    ServiceEntry(
        slug="job-seeker-support", name="Job-seeker support", agency="MOM", sla_days=7,
        scheme_key="jobseeker_support",
        summary="Career coaching, job matching and up to six months of financial support while you look for "
                "work.",
        purpose="The Ministry of Manpower needs your contact details and qualifications to match you with jobs "
                "and a career coach.",
        life_events=["losing-a-job"],
        fields=[
            _FULL_NAME, _NATIONAL_ID, _EMAIL, _MOBILE,
            _verified("education", "Highest qualification", "person.education", FieldType.CHOICE, choices=[
                ["primary", "Primary"], ["secondary", "Secondary"], ["post_secondary", "Post-secondary"],
                ["diploma", "Diploma"], ["degree", "Degree"],
            ]),
            Field("last_employer", "Your last employer", FieldType.TEXT),
            Field("last_day", "Your last day of work", FieldType.DATE),
            Field("reason_for_leaving", "Why did the job end?", FieldType.CHOICE, choices=[
                ["retrenched", "I was retrenched"], ["contract_ended", "My contract ended"],
                ["resigned", "I resigned"], ["dismissed", "I was dismissed"],
            ]),
            _declaration(),
        ],
    ),
    ServiceEntry(
        slug="hardship-assistance", name="Financial hardship assistance", agency="SSA", sla_days=5,
        offers_e_signature=False,
        summary="Short-term help with daily expenses, rent and bills for families going through a hard time.",
        purpose="The Social Support Agency needs your address and your household's size and income to decide "
                "what help your family can get.",
        life_events=["losing-a-job"],
        fields=[
            _FULL_NAME, _NATIONAL_ID, _ADDRESS,
            _verified("household_members", "Number of people in your household", "household.member_count",
                      FieldType.INTEGER),
            _verified("household_income", "Household monthly income", "household.monthly_income", FieldType.MONEY),
            Field("assistance_needed", "What do you need help with most?", FieldType.CHOICE, choices=[
                ["daily_expenses", "Daily expenses"], ["rent", "Rent or mortgage"], ["bills", "Utility bills"],
                ["medical", "Medical bills"],
            ]),
            Field("hardship_reason", "Tell us what has happened", FieldType.TEXTAREA),
            _bank_account(),
            _declaration(),
        ],
    ),
]


@transaction.atomic
def catalogue_load() -> None:
    """Create or update every life event, service and form field of the catalogue."""
    events = {}
    for order, (slug, name, summary) in enumerate(LIFE_EVENTS, start=1):
        events[slug], _created = LifeEvent.objects.update_or_create(
            slug=slug, defaults={"name": name, "summary": summary, "order": order}
        )
    keys = {f.element for entry in SERVICES for f in entry.fields if f.element}
    elements = elements_get(keys=sorted(keys))
    if missing := keys - set(elements):
        raise ValueError(f"The catalogue names data elements that are not loaded: {sorted(missing)}")
    agencies = {}
    for entry in SERVICES:
        if entry.agency not in agencies:
            agencies[entry.agency] = agency_get(code=entry.agency)
        service, _created = Service.objects.update_or_create(slug=entry.slug, defaults={
            "name": entry.name, "summary": entry.summary, "agency": agencies[entry.agency],
            "fee_cents": entry.fee_cents, "sla_days": entry.sla_days, "audience": entry.audience,
            "purpose": entry.purpose, "offers_e_payment": entry.offers_e_payment,
            "offers_e_signature": entry.offers_e_signature, "scheme_key": entry.scheme_key,
            "auto_decide": entry.auto_decide, "accepts_submissions_from": list(entry.accepts_submissions_from),
        })
        service.life_events.set([events[slug] for slug in entry.life_events])
        for order, form_field in enumerate(entry.fields, start=1):
            FormField.objects.update_or_create(service=service, key=form_field.key, defaults={
                "label": form_field.label, "hint": form_field.hint, "field_type": form_field.field_type,
                "data_element": elements[form_field.element] if form_field.element else None,
                "required": form_field.required, "choices": form_field.choices, "order": order,
            })
