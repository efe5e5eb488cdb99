"""A real relying party signs a person in with DigiGov over HTTP: Authlib's OAuth 2.0 client against a live
server, with PKCE, a pushed authorization request and private_key_jwt; the person's browser is a requests
session that fills in the real sign-in, second-factor and consent pages."""

import re
import secrets
from urllib.parse import parse_qsl, urljoin, urlsplit

import pyotp
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from tests.blocks.identity.test_oidc_provider import LOGOUT_URI, REDIRECT_URI, register, rp_key

CLIENT_ID = "rp-one"
ACR_TWO_FACTOR = "urn:digigov:acr:two-factor"


@pytest.fixture(scope="module", autouse=True)
def session_nation_restored(django_db_setup, django_db_blocker):
    """Live-server tests commit, and each ends by emptying the database. Tests that read the session's nation
    outside a transaction run after them (pytest-django's order), so put that nation back at the end."""
    yield
    from django.core.management import call_command

    from digigov.platform.seeding import nation_seed
    from tests.conftest import NATION_RESIDENTS, NATION_SEED

    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        restored = nation_seed(residents=NATION_RESIDENTS, seed=NATION_SEED)
    assert restored.demo_citizen_national_id == pytest.nation_summary.demo_citizen_national_id


@pytest.fixture
def provider(live_server, transactional_db, settings):
    """A live DigiGov with a freshly seeded small nation and one registered relying party."""
    from django.core.management import call_command

    from digigov.platform.seeding import nation_seed

    # Transactional tests flush the database when they end, so seed it here rather than rely on the session's.
    call_command("flush", interactive=False, verbosity=0)
    nation = nation_seed(residents=50, seed=3)
    settings.DIGIGOV_SITE_URL = live_server.url
    key = rp_key()
    register(key=key, client_id=CLIENT_ID)
    discovery = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()
    sessions: list[requests.Session] = []
    yield {"url": live_server.url, "nation": nation, "key": key, "discovery": discovery, "sessions": sessions}
    # Close kept-alive connections before the live server stops, so no server thread outlives it.
    for session in sessions:
        session.close()


class Browser:
    """The person's browser: follows redirects inside DigiGov and fills in its forms."""

    def __init__(self, provider: dict) -> None:
        self.base_url = provider["url"]
        self.session = requests.Session()
        provider["sessions"].append(self.session)

    def _form(self, url: str, html: str, fields: dict) -> requests.Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return self.session.post(url, {"csrfmiddlewaretoken": token, **fields}, allow_redirects=False, timeout=10)

    def visit(self, url: str, *, national_id: str, password: str, consent: str = "agree") -> str:
        """Go to `url` and do what each page asks until DigiGov redirects to the relying party."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _step in range(12):
            if response.status_code in (301, 302):
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.base_url):
                    return location
                response = self.session.get(location, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, response.text[:500]
            path = urlsplit(response.url).path
            html = response.text
            if path == "/sign-in/":
                next_url = re.search(r'name="next" value="([^"]*)"', html).group(1).replace("&amp;", "&")
                response = self._form(
                    response.url, html, {"sign_in_id": national_id, "password": password, "next": next_url}
                )
            elif path == "/account/two-factor/":
                secret = re.search(r'id="totp-secret">([^<]+)<', html).group(1).replace(" ", "")
                next_url = re.search(r'name="next" value="([^"]*)"', html).group(1).replace("&amp;", "&")
                response = self._form(response.url, html, {"code": pyotp.TOTP(secret).now(), "next": next_url})
            elif path == "/oidc/authorize":
                assert "Details to be shared" in html
                response = self._form(response.url, html, {"decision": consent})
            else:
                raise AssertionError(f"unexpected page {path}")
        raise AssertionError("too many steps")


def relying_party(provider) -> OAuth2Session:
    session = OAuth2Session(
        CLIENT_ID,
        provider["key"],
        scope="openid profile",
        redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method="private_key_jwt",
        revocation_endpoint_auth_method="private_key_jwt",
        code_challenge_method="S256",
    )
    provider["sessions"].append(session)
    session.register_client_auth_method(PrivateKeyJWT(provider["discovery"]["token_endpoint"], alg="ES256"))
    return session


def sign_in(provider, browser: Browser, *, scope: str = "openid profile", **extra) -> dict:
    """The relying party's whole sign-in; returns its token response, nonce and session."""
    discovery = provider["discovery"]
    rp = relying_party(provider)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, scope=scope, **extra
    )
    params = dict(parse_qsl(urlsplit(url).query))
    par_endpoint = discovery["pushed_authorization_request_endpoint"]
    pushed = requests.post(
        par_endpoint,
        {
            **params,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": private_key_jwt_sign(provider["key"], CLIENT_ID, par_endpoint, alg="ES256"),
        },
        timeout=10,
    )
    assert pushed.status_code == 201, pushed.text
    start = f"{discovery['authorization_endpoint']}?client_id={CLIENT_ID}&request_uri={pushed.json()['request_uri']}"
    nation = provider["nation"]
    callback = browser.visit(start, national_id=nation.demo_citizen_national_id, password=nation.demo_password)
    assert callback.startswith(REDIRECT_URI)
    token = rp.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
    )
    return {"token": token, "nonce": nonce, "rp": rp}


def id_token_claims(provider, id_token: str, *, nonce: str) -> dict:
    """Verify the ID token as a relying party must: signature against the published JWKS, then the claims."""
    jwks = KeySet.import_key_set(requests.get(provider["discovery"]["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(id_token, jwks, algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider["url"]},
        aud={"essential": True, "value": CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(decoded.claims)
    return decoded.claims


def test_a_relying_party_signs_a_person_in_and_reads_only_the_consented_claims(provider):
    browser = Browser(provider)
    result = sign_in(provider, browser)
    claims = id_token_claims(provider, result["token"]["id_token"], nonce=result["nonce"])
    assert claims["acr"] == "urn:digigov:acr:password"

    userinfo = result["rp"].get(provider["discovery"]["userinfo_endpoint"], timeout=10).json()
    assert userinfo["sub"] == claims["sub"]
    assert set(userinfo) == {"sub", "name", "birthdate", "gender"}  # profile only: no email, no address
    assert userinfo["name"]

    from digigov.blocks.consent.queries import access_records_for_account
    from digigov.blocks.identity.backends import account_for_sign_in_id

    account = account_for_sign_in_id(provider["nation"].demo_citizen_national_id)
    release = access_records_for_account(account=account).filter(service_ref=f"oidc:{CLIENT_ID}").get()
    assert release.consent_grant_id is not None
    assert sorted(release.elements) == ["person.date_of_birth", "person.full_name", "person.sex"]


def test_a_tampered_id_token_fails_verification_against_the_jwks(provider):
    result = sign_in(provider, Browser(provider))
    header, payload, signature = result["token"]["id_token"].split(".")
    forged_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(BadSignatureError):
        id_token_claims(provider, f"{header}.{forged_payload}.{signature}", nonce=result["nonce"])


def test_a_service_asking_for_two_factors_makes_a_password_session_step_up(provider):
    browser = Browser(provider)
    first = sign_in(provider, browser)
    assert id_token_claims(provider, first["token"]["id_token"], nonce=first["nonce"])["acr"].endswith("password")

    # Same browser, already signed in with a password: the service now wants two factors.
    stepped = sign_in(provider, browser, acr_values=ACR_TWO_FACTOR)
    claims = id_token_claims(provider, stepped["token"]["id_token"], nonce=stepped["nonce"])
    assert claims["acr"] == ACR_TWO_FACTOR
    assert claims["amr"] == ["pwd", "otp"]


def test_logout_from_the_relying_party_ends_the_session_and_returns_with_the_state(provider):
    browser = Browser(provider)
    result = sign_in(provider, browser)
    response = browser.session.get(
        provider["discovery"]["end_session_endpoint"],
        params={
            "id_token_hint": result["token"]["id_token"],
            "post_logout_redirect_uri": LOGOUT_URI,
            "state": "bye",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LOGOUT_URI}?state=bye"
    # The browser's DigiGov session is over: applications need signing in again.
    after = browser.session.get(f"{provider['url']}/applications/", allow_redirects=False, timeout=10)
    assert after.status_code == 302 and "/sign-in/" in after.headers["Location"]


def test_a_revoked_access_token_no_longer_reads_userinfo(provider):
    result = sign_in(provider, Browser(provider))
    rp, discovery = result["rp"], provider["discovery"]
    assert rp.get(discovery["userinfo_endpoint"], timeout=10).status_code == 200
    revoked = rp.revoke_token(
        discovery["revocation_endpoint"], token=result["token"]["access_token"], token_type_hint="access_token"
    )
    assert revoked.status_code == 200
    assert rp.get(discovery["userinfo_endpoint"], timeout=10).status_code == 401


def test_withdrawing_access_in_the_portal_stops_the_relying_party_reading_claims(provider):
    browser = Browser(provider)
    result = sign_in(provider, browser)
    page = browser.session.get(f"{provider['url']}/account/apps/", timeout=10)
    assert "rp-one service" in page.text and "To open your account with us." in page.text
    action = re.search(r'action="(/account/apps/\d+/withdraw/)"', page.text).group(1)
    browser._form(f"{provider['url']}{action}", page.text, {})
    assert "No app has access" in browser.session.get(f"{provider['url']}/account/apps/", timeout=10).text
    assert result["rp"].get(provider["discovery"]["userinfo_endpoint"], timeout=10).status_code == 401
    # The consent block's record of the decision is withdrawn too, so "Your data" shows it ended.
    from digigov.blocks.consent.models import ConsentGrant

    grants = ConsentGrant.objects.filter(purpose_ref__startswith="oidc:")
    assert grants.exists() and not grants.filter(withdrawn_at__isnull=True).exists()
