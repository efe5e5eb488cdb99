"""A person acting for a business signs in to a relying party that asks for the `business` scope: the consent
screen names the business, the ID token and userinfo carry it, each release is recorded, and a revoked access
leaves the claim out at once. Real authorization-code flows through the provider's endpoints."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity.backends import account_for_sign_in_id
from digigov.blocks.registries.queries import business_list_for_person
from tests.blocks.identity.test_oidc_provider import ISSUER, REDIRECT_URI, push, redeem, register, rp_key
from tests.support import signed_in_client

SERVICE = "gst-registration"


@pytest.fixture
def business_rp(settings, nation):
    """A relying party registered for the business scope, in the shape the provider tests' helpers expect."""
    settings.DIGIGOV_SITE_URL = ISSUER
    key = rp_key()
    return {"key": key, "client": register(key=key, client_id="rp-one", scopes=("openid", "profile", "business"))}


@pytest.fixture
def business(nation):
    owner = account_for_sign_in_id(nation.demo_business_owner_national_id)
    business = business_list_for_person(person_id=owner.person_id).first()
    business.owner = owner
    return business


@pytest.fixture
def employee(business, citizen, nation):
    """The citizen, given access to apply for the business in one service."""
    citizen.access = business_actions.employee_access_grant(
        actor=business.owner,
        uen=business.uen,
        national_id=nation.demo_citizen_national_id,
        service_slug=SERVICE,
        role="applicant",
    )
    return citizen


def acting_browser(person, business) -> Client:
    browser = signed_in_client(person)
    assert browser.post(f"/account/businesses/{business.uen}/act/").status_code == 302
    return browser


def authorize(rp, browser, *, scope="openid profile business") -> tuple[str, str, str]:
    """Push, agree on the consent screen; returns the consent page's text, the code and the PKCE verifier."""
    response, verifier = push(rp, scope=scope)
    url = f"/oidc/authorize?client_id=rp-one&request_uri={response.json()['request_uri']}"
    page = browser.get(url, secure=True)
    consent_text = page.content.decode()
    if page.status_code == 200:
        page = browser.post(url, {"decision": "agree"}, secure=True)
    assert page.status_code == 302 and page["Location"].startswith(REDIRECT_URI), page.content
    code = parse_qs(urlsplit(page["Location"]).query)["code"][0]
    return consent_text, code, verifier


def id_token_claims(token_response) -> dict:
    keys = KeySet.import_key_set(Client().get("/oidc/jwks", secure=True).json())
    return jwt.decode(token_response.json()["id_token"], keys).claims


def userinfo(access_token: str):
    return Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}", secure=True)


def test_the_id_token_and_userinfo_carry_the_business_the_person_acts_for(business_rp, business, employee):
    consent_text, code, verifier = authorize(business_rp, acting_browser(employee, business))
    assert f"The business you are acting for, {business.name}" in consent_text
    tokens = redeem(business_rp, code, verifier)
    assert tokens.status_code == 200, tokens.content
    expected = {"uen": business.uen, "name": business.name, "roles": ["applicant"], "services": [SERVICE]}
    assert id_token_claims(tokens)["business"] == expected
    claims = userinfo(tokens.json()["access_token"]).json()
    assert claims["business"] == expected
    assert "name" in claims  # the person's own claims still come too


def test_each_release_of_the_business_claim_is_recorded_for_the_person(business_rp, business, employee):
    _text, code, verifier = authorize(business_rp, acting_browser(employee, business))
    tokens = redeem(business_rp, code, verifier)
    userinfo(tokens.json()["access_token"])
    records = AccessRecord.objects.filter(person_id=employee.person_id, service_ref="oidc:rp-one")
    business_reads = [r for r in records if r.elements == ["business.uen", "business.name"]]
    assert len(business_reads) == 2  # the ID token, then userinfo
    assert all(r.consent_grant_id is not None for r in business_reads)


def test_an_administrator_carries_the_administrator_role_for_every_service(business_rp, business):
    _text, code, verifier = authorize(business_rp, acting_browser(business.owner, business))
    claim = id_token_claims(redeem(business_rp, code, verifier))["business"]
    assert (claim["roles"], claim["services"]) == (["administrator"], ["*"])


def test_without_acting_for_a_business_there_is_no_business_claim(business_rp, employee):
    consent_text, code, verifier = authorize(business_rp, signed_in_client(employee))
    assert "The business you are acting for" not in consent_text
    tokens = redeem(business_rp, code, verifier)
    assert "business" not in id_token_claims(tokens)
    assert "business" not in userinfo(tokens.json()["access_token"]).json()


def test_revoked_access_leaves_the_business_out_of_userinfo_at_once(business_rp, business, employee):
    _text, code, verifier = authorize(business_rp, acting_browser(employee, business))
    access_token = redeem(business_rp, code, verifier).json()["access_token"]
    assert "business" in userinfo(access_token).json()
    business_actions.employee_access_revoke(actor=business.owner, uen=business.uen, access_id=employee.access.pk)
    claims = userinfo(access_token).json()
    assert "business" not in claims and "name" in claims


def test_an_employee_without_access_cannot_choose_to_act_for_the_business(business, citizen):
    browser = signed_in_client(citizen)
    assert browser.post(f"/account/businesses/{business.uen}/act/").status_code == 404
