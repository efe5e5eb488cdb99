"""Proactive offers as officers see them: for each scheme their agency decides, how the latest completed scan's
offers stand (still open, taken up, dismissed), and the people offered, a page at a time, filtered by scheme.

Only the officer's own agency's schemes are listed; asking for another agency's scheme is a 404. Each name
shown is read through the registries and recorded in that person's "who accessed my data".
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from digigov.blocks.rules.queries import offers_counts, offers_page_for_officer, scan_latest_completed
from digigov.blocks.rules.schemes import SCHEMES
from digigov.frontdoors.backoffice.decorators import officer_required
from digigov.platform.errors import NotFound

PAGE_SIZE = 25
# GOV.UK tag colours of an offer's status (rules Offer.Status values).
STATUS_TAGS = {"offered": "govuk-tag--blue", "applied": "govuk-tag--green", "dismissed": "govuk-tag--grey"}


@officer_required
@require_GET
def offers(request: HttpRequest) -> HttpResponse:
    agency_code = request.user.agency.code
    schemes = [scheme for scheme in SCHEMES if scheme.agency == agency_code]
    chosen = request.GET.get("scheme", "")
    if chosen and chosen not in {scheme.key for scheme in schemes}:
        raise Http404()  # another agency's scheme, or none at all: nothing to say about it here
    scan = scan_latest_completed()
    counts, page, lines = [], None, []
    if scan is not None and schemes:
        counts = offers_counts(scan=scan, agency_code=agency_code)
        try:
            page, found = offers_page_for_officer(
                officer=request.user,
                scan=scan,
                scheme_keys=[chosen] if chosen else [scheme.key for scheme in schemes],
                page=request.GET.get("page"),
                page_size=PAGE_SIZE,
            )
        except NotFound:
            raise Http404() from None
        lines = [(line, STATUS_TAGS.get(line.status, "")) for line in found]
    return render(
        request,
        "backoffice/offers.html",
        {
            "scan": scan,
            "schemes": schemes,
            "chosen": chosen,
            "counts": counts,
            "page": page,
            "lines": lines,
            "filter_query": urlencode({"scheme": chosen}) if chosen else "",
            "nav_active": "offers",
        },
    )
