"""Sandbox relying parties sign in synthetic people only (docs/identity.md "Sandbox clients").

Everyone the test nation's seed made is synthetic; a "real" resident here is a seeded person whose flag is
cleared, as if an agency had loaded them. The flow is driven in-process as in test_oidc_provider.py, with the
client_secret_basic authentication only sandbox clients may use."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.registries.models import Person
from digigov.blocks.registries.queries import agency_list
from tests.blocks.identity.test_oidc_provider import (
    ISSUER,
    REDIRECT_URI,
    pkce_pair,
    register,
    rp_key,
    sign_in_and_authorize,
)
from tests.support import signed_in_client

CLIENT_ID = "sandbox-rp"


@pytest.fixture
def sandbox(settings, nation):
    settings.DIGIGOV_SITE_URL = ISSUER
    client, secret = oidc_actions.client_register(
        actor=None,
        client_id=CLIENT_ID,
        name="Test bench of the housing service",
        agency=agency_list().first(),
        purpose="To try the housing service with made-up people.",
        redirect_uris=[REDIRECT_URI],
        scopes=["openid", "profile"],
        is_sandbox=True,
    )
    basic = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
    return {"client": client, "auth": {"HTTP_AUTHORIZATION": f"Basic {basic}"}}


def made_real(account) -> None:
    Person.objects.filter(pk=account.person_id).update(synthetic=False)


def authorize_page(sandbox, person, **params):
    """Push a request as the sandbox client and open the authorization page as `person`."""
    verifier, challenge = pkce_pair()
    form = {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": "openid profile",
        "state": "s-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256", **params,
    }
    pushed = Client().post("/oidc/par", form, secure=True, **sandbox["auth"])
    assert pushed.status_code == 201, pushed.content
    browser = signed_in_client(person)
    url = f"/oidc/authorize?client_id={CLIENT_ID}&request_uri={pushed.json()['request_uri']}"
    return browser, url, browser.get(url, secure=True), verifier


def callback_query(location: str) -> dict:
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def signed_in_token(sandbox, person) -> str:
    browser, url, page, verifier = authorize_page(sandbox, person)
    assert page.status_code == 200  # the consent screen
    page = browser.post(url, {"decision": "agree"}, secure=True)
    code = callback_query(page["Location"])["code"]
    tokens = Client().post(
        "/oidc/token", {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                        "code_verifier": verifier}, secure=True, **sandbox["auth"],
    )
    assert tokens.status_code == 200, tokens.content
    return tokens.json()["access_token"]


def userinfo(token: str) -> dict:
    return Client().get("/oidc/userinfo", secure=True, HTTP_AUTHORIZATION=f"Bearer {token}").json()


def test_a_sandbox_service_signs_in_a_synthetic_person_and_receives_their_claims(sandbox, citizen):
    claims = userinfo(signed_in_token(sandbox, citizen))
    assert claims["name"] == Person.objects.get(pk=citizen.person_id).full_name


def test_a_sandbox_service_cannot_sign_in_a_real_person(sandbox, citizen):
    made_real(citizen)
    browser, url, page, _verifier = authorize_page(sandbox, citizen)
    assert page.status_code == 403
    body = page.content.decode()
    assert 'data-error="sandbox_real_person"' in body and "Test bench of the housing service" in body
    back = page.context["back_url"]
    query = callback_query(back)
    assert (query["error"], query["state"]) == ("access_denied", "s-1")
    assert "code" not in query
    assert AuditEntry.objects.filter(
        action="identity:oidc:sandbox:refuse", object_id=CLIENT_ID, detail__step="authorize"
    ).count() == 1
    # The request is answered: it cannot be replayed to reach the consent screen after all.
    assert browser.get(url, secure=True).context["message"] == "invalid_request_uri"


def test_a_sandbox_service_asking_for_no_page_gets_access_denied_for_a_real_person(sandbox, citizen):
    made_real(citizen)
    _browser, _url, page, _verifier = authorize_page(sandbox, citizen, prompt="none")
    assert page.status_code == 302
    assert callback_query(page["Location"])["error"] == "access_denied"


def test_claims_are_never_released_to_a_sandbox_service_for_a_real_person(sandbox, citizen):
    token = signed_in_token(sandbox, citizen)  # signed in while synthetic ...
    made_real(citizen)  # ... then the record turns out to be a real resident's
    reads_before = AccessRecord.objects.filter(person_id=citizen.person_id).count()
    claims = userinfo(token)
    assert set(claims) == {"sub"}
    assert AccessRecord.objects.filter(person_id=citizen.person_id).count() == reads_before
    assert AuditEntry.objects.filter(
        action="identity:oidc:sandbox:refuse", object_id=CLIENT_ID, detail__step="claims"
    ).exists()


def test_a_service_that_is_not_a_sandbox_still_signs_in_real_people(sandbox, citizen):
    made_real(citizen)
    key = rp_key()
    oidc = {"key": key, "client": register(key=key, client_id="rp-one")}
    query, _verifier, _browser = sign_in_and_authorize(oidc, citizen)
    assert "code" in query
