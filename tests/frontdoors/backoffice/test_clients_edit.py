"""Service owners change or disable the services that sign people in; disabling stops new sign-ins and the
use of tokens at once; officers of other agencies, and other roles, cannot."""

import json

import pytest
from django.test import Client

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.oidc.queries import client_get
from tests.blocks.identity.test_oidc_provider import ISSUER, push, redeem, register, rp_key, sign_in_and_authorize
from tests.support import officer_account, signed_in_client

URL = "/backoffice/identity/clients/?client=rp-one"


@pytest.fixture
def oidc(settings, nation):
    """rp-one, registered for an agency whose service owner changes it below."""
    settings.DIGIGOV_SITE_URL = ISSUER
    key = rp_key()
    client = register(key=key, client_id="rp-one")
    return {"key": key, "client": client}


@pytest.fixture
def owner(oidc):
    owner = officer_account(f"{oidc['client'].agency.code.lower()}.owner")
    assert owner.agency_id == oidc["client"].agency_id
    return owner


def edit_form(oidc, **overrides) -> dict:
    client = oidc["client"]
    return {
        "decision": "save",
        "name": client.name,
        "purpose": "To open and keep your account with us.",
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "scopes": ["profile", "email", "address"],
        "jwks": json.dumps(client.jwks),
        "jwks_uri": "",
        **overrides,
    }


def userinfo_status(access_token: str) -> int:
    return Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}", secure=True).status_code


def a_token(oidc, citizen) -> str:
    callback, verifier, _browser = sign_in_and_authorize(oidc, citizen)
    return redeem(oidc, callback["code"], verifier).json()["access_token"]


def test_the_client_page_shows_the_registration(oidc, owner):
    page = signed_in_client(owner).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert "To open your account with us." in text and "https://rp.example/callback" in text


def test_a_service_owner_changes_the_purpose_and_it_is_audited(oidc, owner):
    page = signed_in_client(owner).post(URL, edit_form(oidc))
    assert page.status_code == 302
    assert client_get(client_id="rp-one").purpose == "To open and keep your account with us."
    entry = AuditEntry.objects.get(action="identity:oidc:client:update", object_id="rp-one")
    assert entry.actor_id == owner.pk and entry.detail["changed"] == ["purpose"]


def test_edit_errors_are_shown_beside_the_fields(oidc, owner):
    browser = signed_in_client(owner)
    page = browser.post(URL, edit_form(oidc, redirect_uris="http://rp.example/cb"))
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="redirect_uris-error"' in text and 'href="#redirect_uris"' in text
    assert 'id="purpose-error"' in browser.post(URL, edit_form(oidc, purpose="")).content.decode()
    assert client_get(client_id="rp-one").redirect_uris == ["https://rp.example/callback"]


def test_removing_a_scope_ends_the_clients_tokens(oidc, owner, citizen):
    access_token = a_token(oidc, citizen)
    assert userinfo_status(access_token) == 200
    signed_in_client(owner).post(URL, edit_form(oidc, scopes=["profile"]))
    assert client_get(client_id="rp-one").allowed_scopes == ["openid", "profile"]
    assert userinfo_status(access_token) == 401


def test_disabling_stops_token_use_and_new_sign_ins_at_once(oidc, owner, citizen):
    access_token = a_token(oidc, citizen)
    pending, _verifier = push(oidc, nonce="n-2")
    browser = signed_in_client(owner)
    assert browser.post(URL, {"decision": "disable"}).status_code == 302
    assert userinfo_status(access_token) == 401
    assert push(oidc)[0].json()["error"] == "invalid_client"
    page = signed_in_client(citizen).get(
        f"/oidc/authorize?client_id=rp-one&request_uri={pending.json()['request_uri']}", secure=True
    )
    assert page.status_code == 400  # a request pushed before the disabling no longer works
    assert AuditEntry.objects.filter(action="identity:oidc:client:disable", object_id="rp-one").count() == 1
    assert "Disabled" in browser.get("/backoffice/identity/clients/").content.decode()


def test_an_enabled_client_signs_people_in_again(oidc, owner, citizen):
    browser = signed_in_client(owner)
    browser.post(URL, {"decision": "disable"})
    browser.post(URL, {"decision": "enable"})
    assert client_get(client_id="rp-one") is not None
    assert userinfo_status(a_token(oidc, citizen)) == 200


def test_a_service_owner_of_another_agency_cannot_see_or_change_the_client(oidc):
    other = next(
        officer_account(f"{code}.owner") for code in ("hsg", "ssa", "reg") if code != oidc["client"].agency.code.lower()
    )
    browser = signed_in_client(other)
    assert browser.get(URL).status_code == 404
    assert browser.post(URL, {"decision": "disable"}).status_code == 404
    assert client_get(client_id="rp-one") is not None


def test_a_case_officer_cannot_change_clients(oidc, owner):
    case_officer = officer_account(f"{oidc['client'].agency.code.lower()}.case")
    assert signed_in_client(case_officer).post(URL, {"decision": "disable"}).status_code == 404
    assert client_get(client_id="rp-one") is not None


def test_the_business_scope_can_be_given_to_a_client(oidc, owner):
    signed_in_client(owner).post(URL, edit_form(oidc, scopes=["profile", "business"]))
    assert client_get(client_id="rp-one").allowed_scopes == ["openid", "profile", "business"]


def test_a_jwks_is_required_unless_a_jwks_uri_is_given(oidc, owner):
    page = signed_in_client(owner).post(URL, edit_form(oidc, jwks=""))
    assert page.status_code == 400
    page = signed_in_client(owner).post(URL, edit_form(oidc, jwks="", jwks_uri="https://rp.example/jwks"))
    assert page.status_code == 302
    assert client_get(client_id="rp-one").jwks is None


def test_a_new_purpose_ends_standing_consents_and_tokens_so_people_are_asked_again(oidc, owner, citizen):
    from digigov.blocks.identity.oidc.queries import consent_current

    access_token = a_token(oidc, citizen)
    assert consent_current(account=citizen, client=oidc["client"]) is not None
    signed_in_client(owner).post(URL, edit_form(oidc, purpose="To sell your details to advertisers."))
    assert consent_current(account=citizen, client=oidc["client"]) is None
    assert userinfo_status(access_token) == 401
    entry = AuditEntry.objects.get(action="identity:oidc:client:update", object_id="rp-one")
    assert entry.detail["consents_ended"] == 1
