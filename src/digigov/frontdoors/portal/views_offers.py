"""The citizen's offers: schemes a proactive scan found they may now qualify for, to apply for in one step
(the service's own application, pre-filled after consent) or dismiss."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from digigov.blocks.rules import actions as rules_actions
from digigov.blocks.rules import queries as rules_queries
from digigov.blocks.rules.schemes import SCHEMES_BY_KEY
from digigov.frontdoors.portal.views import person_required
from digigov.platform.errors import Conflict, NotFound


def _offer(request: HttpRequest, offer_id: uuid.UUID):
    try:
        return rules_queries.access_offer(account=request.user, offer_id=offer_id)
    except NotFound:
        raise Http404() from None


@person_required
@require_GET
def offers(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "offer": offer,
            "scheme": SCHEMES_BY_KEY[offer.scheme_key].label
            if offer.scheme_key in SCHEMES_BY_KEY
            else offer.scheme_key,
        }
        for offer in rules_queries.offers_for_account(account=request.user)[:200]
    ]
    return render(
        request,
        "portal/offers.html",
        {
            "open": [row for row in rows if row["offer"].status == "offered"],
            "closed": [row for row in rows if row["offer"].status != "offered"],
            "nav_active": "offers",
        },
    )


# A GET, like the service's own "apply" link, so the link in the message starts the application directly.
@person_required
@require_GET
def offer_apply(request: HttpRequest, offer_id: uuid.UUID) -> HttpResponse:
    offer = _offer(request, offer_id)
    try:
        offer = rules_actions.offer_apply(account=request.user, offer=offer)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("portal:offers")
    return redirect("portal:apply", slug=offer.service.slug)


@person_required
@require_POST
def offer_dismiss(request: HttpRequest, offer_id: uuid.UUID) -> HttpResponse:
    offer = _offer(request, offer_id)
    try:
        rules_actions.offer_dismiss(account=request.user, offer=offer)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The offer has been dismissed."))
    return redirect("portal:offers")
