"""Who is calling the API. Session sign-in (the portal's cookie, with CSRF on writes) for now; the OIDC
provider will add bearer tokens here without the routes changing."""

from typing import Any

from django.http import HttpRequest

from digigov.platform.errors import NotPermitted


def person_of(request: HttpRequest) -> Any:
    account = request.auth
    if account.kind != "person" or account.person_id is None:
        raise NotPermitted("This is for people applying for services.")
    return account


def officer_of(request: HttpRequest) -> Any:
    """Officers act only after both factors; a session without the second factor is refused."""
    account = request.auth
    if account.kind != "officer" or not account.has_totp or not request.session.get("mfa_verified"):
        raise NotPermitted("This is for public officers signed in with two factors.")
    return account
