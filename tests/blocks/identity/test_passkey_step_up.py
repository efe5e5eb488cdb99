"""A service that asks for the passkey level (acr_values) gets a step-up to a passkey, and the ID token says so."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.blocks.identity.test_oidc_provider import ISSUER, REDIRECT_URI, push, redeem, register, rp_key
from tests.blocks.identity.webauthn_authenticator import SoftwareAuthenticator
from tests.support import signed_in_client

ACR_PASSKEY = "urn:digigov:acr:passkey"
ACR_TWO_FACTOR = "urn:digigov:acr:two-factor"


@pytest.fixture
def oidc(settings, nation):
    settings.DIGIGOV_SITE_URL = ISSUER
    key = rp_key()
    return {"key": key, "client": register(key=key, client_id="rp-one")}


def post_json(browser: Client, path: str, body: dict | None = None):
    return browser.post(path, json.dumps(body or {}), content_type="application/json", secure=True)


def passkey_added(browser: Client) -> SoftwareAuthenticator:
    authenticator = SoftwareAuthenticator(origin=ISSUER)
    options = post_json(browser, "/account/passkeys/options/").json()
    assert post_json(browser, "/account/passkeys/", {"credential": authenticator.create(options)}).status_code == 201
    return authenticator


def authorize(browser: Client, url: str) -> dict:
    page = browser.get(url, secure=True)
    if page.status_code == 200:  # the consent screen
        page = browser.post(url, {"decision": "agree"}, secure=True)
    assert page.status_code == 302 and page["Location"].startswith(REDIRECT_URI), page
    return {k: v[0] for k, v in parse_qs(urlsplit(page["Location"]).query).items()}


def id_token_claims(oidc, callback: dict, verifier: str) -> dict:
    id_token = redeem(oidc, callback["code"], verifier).json()["id_token"]
    jwks = KeySet.import_key_set(Client().get("/oidc/jwks").json())
    return jwt.decode(id_token, jwks).claims


def test_a_service_asking_for_a_passkey_gets_a_step_up_to_one(oidc, citizen):
    browser = signed_in_client(citizen)  # password and authenticator-app code: two factors
    authenticator = passkey_added(browser)
    response, verifier = push(oidc, acr_values=ACR_PASSKEY)
    url = f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}"

    step_up = browser.get(url, secure=True)
    assert step_up.status_code == 302
    assert step_up["Location"].startswith("/sign-in/passkey/?next=")
    page = browser.get(step_up["Location"], secure=True).content.decode()
    assert "Confirm it is you with a passkey" in page

    options = post_json(browser, "/sign-in/passkey/options/").json()
    done = post_json(browser, "/sign-in/passkey/verify/", {"credential": authenticator.get(options), "next": url})
    assert done.json()["redirect"] == url

    claims = id_token_claims(oidc, authorize(browser, url), verifier)
    assert claims["acr"] == ACR_PASSKEY
    assert claims["amr"] == ["pwd", "otp", "hwk", "mfa"]


def test_a_passkey_sign_in_satisfies_a_request_for_two_factors(oidc, citizen):
    authenticator = passkey_added(signed_in_client(citizen))
    browser = Client()
    options = post_json(browser, "/sign-in/passkey/options/").json()
    assert post_json(browser, "/sign-in/passkey/verify/", {"credential": authenticator.get(options)}).status_code == 200

    response, verifier = push(oidc, acr_values=ACR_TWO_FACTOR)
    callback = authorize(browser, f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}")
    assert id_token_claims(oidc, callback, verifier)["acr"] == ACR_PASSKEY


def test_prompt_none_asking_for_a_passkey_answers_login_required(oidc, citizen):
    browser = signed_in_client(citizen)
    response, _verifier = push(oidc, acr_values=ACR_PASSKEY, prompt="none")
    page = browser.get(f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True)
    assert "error=login_required" in page["Location"]


def test_discovery_lists_the_passkey_level(oidc):
    document = Client().get("/.well-known/openid-configuration", secure=True).json()
    assert ACR_PASSKEY in document["acr_values_supported"]
