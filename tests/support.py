"""Helpers shared by tests (fixtures live in conftest.py)."""

from django.test import Client


def officer_account(username: str):
    from digigov.blocks.identity.models import Account

    return Account.objects.select_related("agency").get(username=username)


def signed_in_client(account) -> Client:
    """A test client with a fully signed-in session, as signing in leaves it: signed in at the provider with both
    factors done (as its sign-in pages leave it), then the front door's session from the real authorization-code
    flow (the back office for officers, the portal for people), whose ID token gives the front door its acr."""
    client = Client()
    client.force_login(account, backend="digigov.blocks.identity.backends.SignInIdBackend")
    session = client.session
    session["mfa_verified"] = True
    session.save()
    door = "backoffice" if account.kind == "officer" else "portal"
    # Over https: OAuth refuses plain http except on loopback addresses, and "testserver" is not one.
    response = client.get("/auth/start/", {"door": door, "next": "/"}, secure=True)
    while response["Location"] != "/":  # PAR is done; follow authorize and the callback, not the landing page
        assert response.status_code == 302, response.content[:300]
        response = client.get(response["Location"], secure=True)
    return client


def entered_answers(service) -> dict:
    """Valid answers for every field a person must type (those without a verified value)."""
    from digigov.blocks.services.queries import service_fields

    samples = {
        "text": "Sample answer", "textarea": "A longer sample answer.", "date": "2026-01-15", "integer": "2",
        "money": "1200.50", "yesno": "yes", "email": "someone@example.org", "phone": "+65 8123 4567",
    }
    answers = {}
    for field in service_fields(service=service):
        if field.field_type == "choice":
            answers[field.key] = str(field.choices[0][0])
        else:
            answers[field.key] = samples[field.field_type]
    return answers


def get_following(client: Client, url: str, **extra):
    """GET `url` and every redirect after it, as a browser would. (The provider answers some redirects as plain
    responses with a Location header, which Django's `follow=True` does not take.)"""
    response = client.get(url, **extra)
    while response.status_code in {301, 302, 303}:
        response = client.get(response["Location"], **extra)
    return response
