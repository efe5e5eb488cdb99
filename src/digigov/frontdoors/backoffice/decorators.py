"""Who may enter the back office: officers, signed in through DigiGov's provider with two factors or a passkey."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from digigov.blocks.identity.oidc import first_party
from digigov.blocks.identity.oidc.claims import ACR_TWO_FACTOR, acr_satisfies
from digigov.blocks.identity.oidc.views import session_assurance


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in officers of an agency whose back-office session came from an ID token with `acr` two-factor or
    passkey (MFA is mandatory for officers; the back office is the provider's relying party `digigov-backoffice`).

    A person's account gets a 404, as for a page that does not exist: the back office holds other
    people's data, and nothing here should tell someone without access that it is there.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        account = request.user
        next_url = request.get_full_path()
        if not account.is_authenticated:
            return redirect_to_login(next_url, login_url=settings.LOGIN_URL)
        if account.kind != "officer" or account.agency_id is None:
            raise Http404()
        if not account.has_totp:
            # The portal's enrolment page for the authenticator app, shared with people who turn on two factors.
            return redirect(f"{reverse('portal:two-factor')}?{urlencode({'next': next_url})}")
        acr = first_party.front_door_acr(request, client_id=first_party.BACKOFFICE)
        if acr is not None and acr_satisfies(acr, ACR_TWO_FACTOR):
            return view(request, *args, **kwargs)
        if not acr_satisfies(session_assurance(request)[0], ACR_TWO_FACTOR):
            # A password alone never opens case files: straight to the provider's second-factor step, which
            # the authorization request below would ask for anyway, one redirect sooner.
            return redirect_to_login(next_url, login_url=settings.LOGIN_URL)
        # Signed in at the provider, not yet here: the authorization-code flow (silent, nothing to type).
        return redirect(f"{reverse('portal:auth-start')}?{urlencode({'door': 'backoffice', 'next': next_url})}")

    return wrapped
