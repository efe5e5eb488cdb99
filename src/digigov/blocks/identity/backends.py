"""Sign-in: people with their national ID number, officers with their username; then a second factor."""

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from digigov.blocks.identity.models import Account
from digigov.blocks.registries import national_id as nid
from digigov.blocks.registries.queries import person_id_by_national_id


def account_for_sign_in_id(sign_in_id: str) -> Account | None:
    sign_in_id = (sign_in_id or "").strip()
    if nid.is_valid(sign_in_id):
        person_id = person_id_by_national_id(national_id=sign_in_id)
        return Account.objects.filter(person_id=person_id).first() if person_id else None
    return Account.objects.filter(username=sign_in_id, kind="officer").first()


class SignInIdBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        account = account_for_sign_in_id(username or "")
        if account is None:
            # Hash anyway so that response time does not reveal whether the id exists.
            Account().set_password(password or "")
            return None
        if account.check_password(password or "") and self.user_can_authenticate(account):
            return account
        return None


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes calls this when a sign-in id is locked after repeated failures. The page offers an unlock
    link by email for the id just typed (the person's own input, shown back only to them)."""
    sign_in_id = (credentials or {}).get("username") or request.POST.get("sign_in_id", "")
    response = render(request, "portal/locked_out.html", {"sign_in_id": sign_in_id.strip()[:150]}, status=429)
    response["Retry-After"] = "900"
    return response
