"""Investigation reads: a supervisor reads a person's record for an investigation, and the read is kept from
the person until a date (so as not to tip them off), with the reason auditors see meanwhile. The page also
lists the agency's reads still hidden, for oversight."""

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from digigov.blocks.consent.queries import hidden_access_records_for_agency
from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.registries import queries as registries_queries
from digigov.frontdoors.backoffice.decorators import officer_required
from digigov.platform.errors import ValidationFailed

# The longest an investigation may keep a read from the person; beyond it the read shows, whatever happens.
HIDDEN_DAYS_MAX = 730
PAGE_SIZE = 50
# What an investigator may read, in the order the checkboxes show it.
ELEMENTS = {
    "person.full_name": gettext_lazy("Full name"),
    "person.date_of_birth": gettext_lazy("Date of birth"),
    "address.full": gettext_lazy("Home address"),
    "person.email": gettext_lazy("Email address"),
    "person.mobile": gettext_lazy("Mobile number"),
    "person.employment_status": gettext_lazy("Employment status"),
    "person.monthly_income": gettext_lazy("Monthly income"),
    "household.member_count": gettext_lazy("People in the household"),
}


def _parse(post: dict) -> tuple[dict, dict[str, str]]:
    form = {
        "national_id": post.get("national_id", "").strip().upper(),
        "elements": [e for e in post.getlist("elements") if e in ELEMENTS],
        "reason": post.get("reason", "").strip(),
        "legal_basis": post.get("legal_basis", "").strip(),
        "hidden_until": post.get("hidden_until", "").strip(),
    }
    errors: dict[str, str] = {}
    if not form["national_id"]:
        errors["national_id"] = _("Enter the national ID number of the person under investigation.")
    if not form["elements"]:
        errors["elements"] = _("Choose what you need to read.")
    if not form["reason"]:
        errors["reason"] = _("Give the reason for the investigation; auditors see it while the read is hidden.")
    if not form["legal_basis"]:
        errors["legal_basis"] = _("Name the law or regulation the investigation rests on.")
    try:
        until = dt.date.fromisoformat(form["hidden_until"])
    except ValueError:
        errors["hidden_until"] = _("Enter the date the person may see this read, as YYYY-MM-DD.")
    else:
        today = timezone.localdate()
        if until <= today:
            errors["hidden_until"] = _("The date must be in the future.")
        elif until > today + dt.timedelta(days=HIDDEN_DAYS_MAX):
            errors["hidden_until"] = _("A read can be hidden for at most %(days)d days.") % {"days": HIDDEN_DAYS_MAX}
        form["hidden_until_date"] = until
    return form, errors


@require_http_methods(["GET", "POST"])
@officer_required
def investigations(request: HttpRequest) -> HttpResponse:
    officer = request.user
    if "supervisor" not in officer_roles(account=officer):
        return render(request, "backoffice/investigations.html", {"nav_active": "investigations", "allowed": False},
                      status=403)
    form: dict = {"national_id": "", "elements": [], "reason": "", "legal_basis": "", "hidden_until": ""}
    errors: dict[str, str] = {}
    values = None
    if request.method == "POST":
        form, errors = _parse(request.POST)
        person_id = None
        if not errors:
            person_id = registries_queries.person_id_by_national_id(national_id=form["national_id"])
            if person_id is None:
                errors["national_id"] = _("No one in the registries has this national ID number.")
        if not errors:
            access = registries_queries.AccessContext(
                accessor=officer,
                agency=officer.agency,
                purpose=_("Investigation: %(reason)s") % {"reason": form["reason"]},
                service_ref="investigation",
                legal_basis=form["legal_basis"][:200],
                hidden_until=form["hidden_until_date"],
                hidden_reason=form["reason"],
            )
            try:
                read = registries_queries.person_attributes_get(
                    person_id=person_id, elements=form["elements"], access=access
                )
            except ValidationFailed as error:
                errors.update(error.fields)
            else:
                values = [(ELEMENTS[key], read[key].value) for key in form["elements"]]
    page = Paginator(hidden_access_records_for_agency(agency_id=officer.agency_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backoffice/investigations.html",
        {
            "nav_active": "investigations",
            "allowed": True,
            "form": form,
            "errors": errors,
            "elements": list(ELEMENTS.items()),
            "values": values,
            "hidden_days_max": HIDDEN_DAYS_MAX,
            "page": page,
        },
        status=400 if errors else 200,
    )
