"""Service owners register relying parties in the back office; other officers cannot."""

import json

from joserfc.jwk import KeySet

from tests.blocks.identity.test_oidc_provider import rp_key
from tests.support import officer_account, signed_in_client

URL = "/backoffice/identity/clients/"


def form(**overrides) -> dict:
    return {
        "client_id": "housing-portal",
        "name": "Housing portal",
        "purpose": "To find your housing file.",
        "redirect_uris": "https://housing.example/cb",
        "scopes": ["profile", "address"],
        "jwks": json.dumps(KeySet([rp_key()]).as_dict(private=False)),
        "id_token_alg": "ES256",
        **overrides,
    }


def test_a_service_owner_registers_a_client_for_their_agency(nation):
    owner = officer_account("hsg.owner")
    browser = signed_in_client(owner)
    page = browser.post(URL, form())
    assert page.status_code == 200
    assert 'id="client-registered"' in page.content.decode()

    from digigov.blocks.identity.oidc.queries import client_get

    client = client_get(client_id="housing-portal")
    assert client.agency_id == owner.agency_id
    assert client.allowed_scopes == ["openid", "profile", "address"]
    assert "housing-portal" in browser.get(URL).content.decode()


def test_registration_errors_are_shown_beside_the_fields(nation):
    browser = signed_in_client(officer_account("hsg.owner"))
    page = browser.post(URL, form(redirect_uris="http://housing.example/cb#frag", jwks=""))
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="redirect_uris-error"' in text and 'id="jwks-error"' in text
    assert 'href="#redirect_uris"' in text  # the error summary links to the field


def test_a_case_officer_cannot_register_clients(nation):
    assert signed_in_client(officer_account("hsg.case")).get(URL).status_code == 404
