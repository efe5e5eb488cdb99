"""Who may enter the back office: officers, signed in with both factors."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in officers of an agency who have confirmed an authenticator app and passed it this session.

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
        if not request.session.get("mfa_verified"):
            # A password alone never opens case files: send the officer back for the second factor.
            return redirect_to_login(next_url, login_url=settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapped
