"""The OpenID Connect provider refuses what the standards say it must, with the standard error codes.

These drive the endpoints in-process (Django's test client, over https so Authlib's transport check holds);
the full sign-in of a real relying party over HTTP is in test_oidc_relying_party.py."""

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from digigov.blocks.identity.oidc import actions as oidc_actions
from digigov.blocks.registries.queries import agency_list
from tests.support import signed_in_client

ISSUER = "https://testserver"
REDIRECT_URI = "https://rp.example/callback"
LOGOUT_URI = "https://rp.example/signed-out"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def client_assertion(
    key: ECKey,
    client_id: str,
    *,
    audience: str,
    lifetime: int = 60,
    jti: str | None = None,
    issued: float | None = None,
) -> str:
    now = int(issued if issued is not None else time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def assertion_form(key: ECKey, client_id: str, **kwargs) -> dict:
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(key, client_id, **kwargs),
    }


def rp_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def register(*, key: ECKey, client_id: str, scopes=("openid", "profile", "email", "address"), **extra):
    public = KeySet([key]).as_dict(private=False)
    client, _secret = oidc_actions.client_register(
        actor=None,
        client_id=client_id,
        name=f"{client_id} service",
        agency=agency_list().first(),
        purpose="To open your account with us.",
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[LOGOUT_URI],
        scopes=list(scopes),
        jwks=public,
        **extra,
    )
    return client


@pytest.fixture
def oidc(settings, nation):
    settings.DIGIGOV_SITE_URL = ISSUER
    key = rp_key()
    return {"key": key, "client": register(key=key, client_id="rp-one")}


def push(oidc, *, scope="openid profile", redirect_uri=REDIRECT_URI, challenge=None, nonce="n-1", **params):
    """A pushed authorization request; returns the response and the PKCE verifier."""
    verifier, derived = pkce_pair()
    form = {
        "response_type": "code",
        "client_id": "rp-one",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "s-1",
        "nonce": nonce,
        "code_challenge": challenge if challenge is not None else derived,
        "code_challenge_method": "S256",
        **params,
    }
    form = {k: v for k, v in form.items() if v is not None}
    form |= assertion_form(oidc["key"], "rp-one", audience=ISSUER)
    return Client().post("/oidc/par", form, secure=True), verifier


def sign_in_and_authorize(oidc, person, *, agree=True, **push_params) -> tuple[dict, str, Client]:
    """Push, then go through the browser leg as `person`; returns the callback's query, the verifier and the
    browser (a test client signed in with both factors)."""
    response, verifier = push(oidc, **push_params)
    assert response.status_code == 201, response.content
    browser = signed_in_client(person)
    url = f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}"
    page = browser.get(url, secure=True)
    if page.status_code == 200:  # the consent screen
        page = browser.post(url, {"decision": "agree" if agree else "refuse"}, secure=True)
    assert page.status_code == 302, page.content
    location = page["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}, verifier, browser


def redeem(oidc, code: str, verifier: str | None, *, assertion: dict | None = None):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        form["code_verifier"] = verifier
    form |= assertion or assertion_form(oidc["key"], "rp-one", audience=f"{ISSUER}/oidc/token")
    return Client().post("/oidc/token", form, secure=True)


def test_discovery_describes_the_provider(oidc):
    document = Client().get("/.well-known/openid-configuration", secure=True).json()
    assert document["issuer"] == ISSUER
    assert document["require_pushed_authorization_requests"] is True
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]


def test_a_wrong_redirect_uri_is_refused_at_the_pushed_request(oidc):
    response, _ = push(oidc, redirect_uri="https://rp.example/callback/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_redirect_uri_is_matched_exactly_not_by_prefix(oidc):
    response, _ = push(oidc, redirect_uri=REDIRECT_URI + "?next=https://evil.example")
    assert response.json()["error"] == "invalid_request"


def test_a_scope_the_client_is_not_allowed_is_refused(oidc):
    response, _ = push(oidc, scope="openid phone")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_request_without_pkce_is_refused(oidc):
    response, _ = push(oidc, challenge="", code_challenge_method=None)
    assert response.json()["error"] == "invalid_request"


def test_a_request_without_a_nonce_is_refused(oidc):
    response, _ = push(oidc, nonce=None)
    assert response.json()["error"] == "invalid_request"


def test_the_authorization_endpoint_accepts_only_pushed_requests(oidc, citizen):
    browser = signed_in_client(citizen)
    page = browser.get(
        f"/oidc/authorize?client_id=rp-one&response_type=code&redirect_uri={REDIRECT_URI}"
        "&scope=openid&code_challenge=x&code_challenge_method=S256",
        secure=True,
    )
    assert page.status_code == 400
    assert b'data-error="invalid_request_uri"' in page.content


def test_a_pushed_request_cannot_be_used_by_another_client(oidc, citizen):
    register(key=rp_key(), client_id="rp-two")
    response, _ = push(oidc)
    page = signed_in_client(citizen).get(
        f"/oidc/authorize?client_id=rp-two&request_uri={response.json()['request_uri']}", secure=True
    )
    assert page.status_code == 400


def test_signing_in_asks_for_the_password_first(oidc):
    response, _ = push(oidc)
    page = Client().get(f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True)
    assert page.status_code == 302
    assert page["Location"].startswith("/sign-in/?next=")


def test_the_consent_screen_lists_each_claim_and_the_purpose(oidc, citizen):
    response, _ = push(oidc, scope="openid profile email")
    page = signed_in_client(citizen).get(
        f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True
    )
    text = page.content.decode()
    assert page.status_code == 200
    for label in ("Full name", "Date of birth", "Email address", "To open your account with us."):
        assert label in text


def test_refusing_consent_returns_access_denied_with_the_state(oidc, citizen):
    callback, _verifier, _browser = sign_in_and_authorize(oidc, citizen, agree=False)
    assert (callback["error"], callback["state"]) == ("access_denied", "s-1")
    assert "code" not in callback


def test_a_missing_pkce_verifier_is_refused(oidc, citizen):
    callback, _verifier, _browser = sign_in_and_authorize(oidc, citizen)
    response = redeem(oidc, callback["code"], None)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_wrong_pkce_verifier_is_refused(oidc, citizen):
    callback, _verifier, _browser = sign_in_and_authorize(oidc, citizen)
    response = redeem(oidc, callback["code"], pkce_pair()[0])
    assert response.json()["error"] == "invalid_grant"


def test_a_code_used_twice_is_refused_and_its_tokens_revoked(oidc, citizen):
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    first = redeem(oidc, callback["code"], verifier)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code == 200

    again = redeem(oidc, callback["code"], verifier)
    assert again.json()["error"] == "invalid_grant"
    assert Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code == 401


def test_an_expired_client_assertion_is_refused(oidc, citizen):
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    stale = assertion_form(oidc["key"], "rp-one", audience=f"{ISSUER}/oidc/token", issued=time.time() - 600)
    response = redeem(oidc, callback["code"], verifier, assertion=stale)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_a_replayed_client_assertion_is_refused(oidc, citizen):
    assertion = assertion_form(oidc["key"], "rp-one", audience=f"{ISSUER}/oidc/token", jti="once")
    first_callback, first_verifier, _browser = sign_in_and_authorize(oidc, citizen)
    assert redeem(oidc, first_callback["code"], first_verifier, assertion=assertion).status_code == 200
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen, nonce="n-2")
    response = redeem(oidc, callback["code"], verifier, assertion=assertion)
    assert response.json()["error"] == "invalid_client"


def test_an_assertion_signed_with_another_key_is_refused(oidc, citizen):
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    forged = assertion_form(rp_key(), "rp-one", audience=f"{ISSUER}/oidc/token")
    assert redeem(oidc, callback["code"], verifier, assertion=forged).json()["error"] == "invalid_client"


def test_a_client_secret_is_refused_for_a_client_that_is_not_a_sandbox(oidc, citizen):
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    response = Client().post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"rp-one:guess").decode(),
        secure=True,
    )
    assert response.json()["error"] == "invalid_client"


def test_each_client_gets_its_own_stable_subject_for_the_same_person(oidc, citizen):
    from digigov.blocks.identity.oidc.queries import pairwise_subject

    other = register(key=rp_key(), client_id="rp-other", sector_identifier="other.example")
    mine = pairwise_subject(client=oidc["client"], account=citizen)
    assert mine == pairwise_subject(client=oidc["client"], account=citizen)
    assert mine != pairwise_subject(client=other, account=citizen)


def test_a_nonce_cannot_be_replayed(oidc, citizen):
    sign_in_and_authorize(oidc, citizen, nonce="same")
    response, _ = push(oidc, nonce="same")
    assert response.json()["error"] == "invalid_request"


def test_rotating_keeps_the_retired_key_published(oidc):
    first = oidc_actions.signing_key_rotate(actor=None)
    second = oidc_actions.signing_key_rotate(actor=None)
    kids = [k["kid"] for k in Client().get("/oidc/jwks").json()["keys"]]
    assert first.kid in kids and second.kid in kids
    assert all("d" not in k for k in Client().get("/oidc/jwks").json()["keys"])  # never a private part


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(oidc):
    import datetime as dt

    from django.utils import timezone

    from digigov.blocks.identity.models import OidcSigningKey

    first = oidc_actions.signing_key_rotate(actor=None)
    oidc_actions.signing_key_rotate(actor=None)
    OidcSigningKey.objects.filter(pk=first.pk).update(published_until=timezone.now() - dt.timedelta(seconds=1))
    kids = [k["kid"] for k in Client().get("/oidc/jwks").json()["keys"]]
    assert first.kid not in kids


def test_prompt_none_without_a_session_answers_login_required(oidc):
    response, _ = push(oidc, prompt="none")
    page = Client().get(f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True)
    callback = parse_qs(urlsplit(page["Location"]).query)
    assert page["Location"].startswith(REDIRECT_URI)
    assert (callback["error"], callback["state"]) == (["login_required"], ["s-1"])


def test_prompt_login_makes_a_signed_in_person_sign_in_again(oidc, citizen):
    browser = signed_in_client(citizen)
    response, _ = push(oidc, prompt="login")
    page = browser.get(f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True)
    assert page.status_code == 302 and page["Location"].startswith("/sign-in/?next=")
    assert "_auth_user_id" not in browser.session


def test_logout_without_an_id_token_hint_asks_the_person_first(oidc, citizen):
    browser = signed_in_client(citizen)
    page = browser.get("/oidc/logout", {"client_id": "rp-one", "post_logout_redirect_uri": LOGOUT_URI}, secure=True)
    assert page.status_code == 200
    assert "Sign out of DigiGov?" in page.content.decode()
    assert "_auth_user_id" in browser.session


def test_id_tokens_can_be_signed_rs256_for_clients_that_need_it(oidc, citizen):
    from digigov.blocks.identity.models import OidcClient

    OidcClient.objects.filter(client_id="rp-one").update(id_token_alg="RS256")
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    id_token = redeem(oidc, callback["code"], verifier).json()["id_token"]
    jwks = KeySet.import_key_set(Client().get("/oidc/jwks").json())
    decoded = jwt.decode(id_token, jwks, algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.claims["aud"] == "rp-one"


def test_a_sandbox_client_may_authenticate_with_its_secret(oidc):
    _client, secret = oidc_actions.client_register(
        actor=None,
        client_id="sandbox-rp",
        name="Sandbox",
        agency=agency_list().first(),
        purpose="Testing.",
        redirect_uris=["http://sandbox.example/cb"],
        scopes=["openid"],
        is_sandbox=True,
    )
    verifier, challenge = pkce_pair()
    form = {
        "response_type": "code",
        "client_id": "sandbox-rp",
        "redirect_uri": "http://sandbox.example/cb",
        "scope": "openid",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    basic = "Basic " + base64.b64encode(f"sandbox-rp:{secret}".encode()).decode()
    assert Client().post("/oidc/par", form, HTTP_AUTHORIZATION=basic, secure=True).status_code == 201
    wrong = "Basic " + base64.b64encode(b"sandbox-rp:wrong").decode()
    assert Client().post("/oidc/par", form, HTTP_AUTHORIZATION=wrong, secure=True).json()["error"] == "invalid_client"


def test_a_client_that_is_not_a_sandbox_must_give_its_public_keys(oidc):
    from digigov.platform.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        oidc_actions.client_register(
            actor=None,
            client_id="no-keys",
            name="",
            agency=agency_list().first(),
            purpose="x",
            redirect_uris=["https://nokeys.example/cb"],
            scopes=["openid"],
        )
    assert "jwks" in refused.value.fields


def test_the_command_line_registers_a_client_and_rotates_keys(oidc, tmp_path):
    import io
    import json

    from django.core.management import call_command

    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(KeySet([rp_key()]).as_dict(private=False)))
    out = io.StringIO()
    call_command(
        "identity",
        "client-add",
        "cli-rp",
        "--agency",
        agency_list().first().code,
        "--purpose",
        "Tests.",
        "--redirect-uri",
        "https://cli.example/cb",
        "--scope",
        "email",
        "--jwks-file",
        str(jwks_file),
        stdout=out,
    )
    call_command("identity", "rotate-signing-key", "--alg", "RS256", stdout=out)
    assert "Registered cli-rp" in out.getvalue()
    assert any(k["kty"] == "RSA" for k in Client().get("/oidc/jwks").json()["keys"])


def test_prompt_none_without_consent_answers_consent_required(oidc, citizen):
    response, _ = push(oidc, prompt="none")
    page = signed_in_client(citizen).get(
        f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True
    )
    assert parse_qs(urlsplit(page["Location"]).query)["error"] == ["consent_required"]


def test_a_remembered_consent_skips_the_consent_screen(oidc, citizen):
    sign_in_and_authorize(oidc, citizen, nonce="first")
    response, _ = push(oidc, nonce="second")
    page = signed_in_client(citizen).get(
        f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}", secure=True
    )
    assert page.status_code == 302 and "code=" in page["Location"]


def test_a_confirmed_logout_without_a_hint_signs_out_without_redirecting(oidc, citizen):
    browser = signed_in_client(citizen)
    page = browser.post("/oidc/logout", {"client_id": "rp-one", "post_logout_redirect_uri": LOGOUT_URI}, secure=True)
    assert page.status_code == 200  # no redirect: nothing proves the request came from the client
    assert "_auth_user_id" not in browser.session
