"""The person's "Apps with access" page: services signed in with DigiGov that they agreed to share details
with, and the way to withdraw that access."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.identity.oidc import queries as oidc_queries
from digigov.blocks.identity.oidc.claims import claims_for_scopes
from digigov.frontdoors.portal.views import person_required
from digigov.platform.errors import NotFound


@person_required
def apps_with_access(request: HttpRequest) -> HttpResponse:
    apps = [
        {"consent": consent, "claims": claims_for_scopes(consent.scopes)}
        for consent in oidc_queries.consents_for_account(account=request.user)
    ]
    return render(request, "portal/identity/apps.html", {"apps": apps, "nav_active": "my-data"})


@person_required
@require_POST
def app_access_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    try:
        consent = oidc_actions.client_consent_revoke(account=request.user, consent_id=consent_id)
    except NotFound:
        raise Http404() from None
    messages.success(request, _("%(name)s can no longer get your details.") % {"name": consent.client.name})
    return redirect("portal:apps-with-access")
