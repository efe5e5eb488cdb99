"""Who may call the GovStack APIs: an agency's calling system by API key, by OAuth client credentials, or through
an Information Mediator; nobody else. Every call is recorded against the system that made it."""

import io

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, RequestFactory
from joserfc.jwk import KeySet

from digigov.blocks.audit.queries import entries_for_object
from digigov.blocks.consent.actions import access_record
from digigov.blocks.identity import actions as identity_actions
from digigov.blocks.identity import queries as identity_queries
from digigov.blocks.registries.queries import agency_get
from digigov.frontdoors.govstack.access import GovStackAuth, caller_context
from digigov.platform.errors import NotPermitted, ValidationFailed
from tests.blocks.identity.test_oidc_provider import ISSUER, assertion_form, rp_key

pytestmark = pytest.mark.django_db


def _request(headers: dict, *, remote_addr: str = "10.0.0.9"):
    return RequestFactory().get("/api/govstack/registries/databases", headers=headers, REMOTE_ADDR=remote_addr)


def test_an_api_key_identifies_the_agency_system(govstack_client_factory):
    account, headers = govstack_client_factory(agency="HSG", apis=("registries",))
    caller = GovStackAuth("registries")(_request(headers))
    assert caller.account == account
    assert account.kind == "system"
    assert caller.agency.code == "HSG"
    assert caller.via == "api_key"
    assert caller.label == f"api-key:{account.api_client.name}"


@pytest.mark.parametrize("bad", ["", "dg_nope_nope", "not-a-key", "dg_x", "Bearer not-a-token"])
def test_unknown_credentials_are_not_a_caller(govstack_client_factory, bad):
    govstack_client_factory()
    assert GovStackAuth("registries")(_request({"Authorization": bad} if bad else {})) is None


def test_a_key_with_a_changed_secret_is_refused(govstack_client_factory):
    _account, headers = govstack_client_factory()
    key = headers["Authorization"]
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert GovStackAuth("registries")(_request({"Authorization": tampered})) is None


def test_a_revoked_system_is_refused(govstack_client_factory):
    account, headers = govstack_client_factory()
    identity_actions.api_client_revoke(actor=None, client=account.api_client)
    assert GovStackAuth("registries")(_request(headers)) is None


def test_a_system_may_call_only_the_apis_it_was_registered_for(govstack_client_factory):
    _account, headers = govstack_client_factory(apis=("messaging",))
    with pytest.raises(NotPermitted):
        GovStackAuth("registries")(_request(headers))
    assert GovStackAuth("messaging")(_request(headers)) is not None


def _mediated_system(nation):
    client, _key = identity_actions.api_client_create(
        actor=None,
        name="clinic-records",
        agency=agency_get(code="SSA"),
        apis=["registries"],
        mediator_client="DIGIGOV/GOV/T08SS0001/clinic-records",
    )
    return client


def test_the_mediator_header_is_trusted_only_from_a_configured_mediator(nation, settings):
    client = _mediated_system(nation)
    headers = {"Information-Mediator-Client": "DIGIGOV/GOV/T08SS0001/clinic-records"}
    auth = GovStackAuth("registries")
    settings.DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES = []
    assert auth(_request(headers, remote_addr="127.0.0.1")) is None  # off by default
    settings.DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES = ["10.1.1.1"]
    assert auth(_request(headers, remote_addr="10.6.6.6")) is None  # anyone else could send the header
    caller = auth(_request(headers, remote_addr="10.1.1.1"))
    assert caller.account == client.account
    assert caller.via == "mediator"
    assert caller.label == "mediator:DIGIGOV/GOV/T08SS0001/clinic-records"
    unknown = {"Information-Mediator-Client": "DIGIGOV/GOV/T08SS0001/someone-else"}
    assert auth(_request(unknown, remote_addr="10.1.1.1")) is None


def test_a_mediator_identifier_must_look_like_one_and_be_unused(nation):
    _mediated_system(nation)
    for bad in ("clinic", "DIGIGOV/GOV/T08SS0001/clinic-records"):
        with pytest.raises(ValidationFailed) as refused:
            identity_actions.api_client_create(
                actor=None, name=f"x-{len(bad)}", agency=agency_get(code="SSA"), apis=["registries"],
                mediator_client=bad,
            )
        assert set(refused.value.fields) == {"mediator_client"}


@pytest.fixture
def issuer(settings):
    settings.DIGIGOV_SITE_URL = ISSUER


def _client_credentials_token(client, key, *, scope: str = ""):
    form = {"grant_type": "client_credentials"} | assertion_form(key, "lab-system", audience=f"{ISSUER}/oidc/token")
    if scope:
        form["scope"] = scope
    return client.post("/oidc/token", form, secure=True)


def test_oauth_client_credentials_give_a_token_for_the_system(nation, client, issuer):
    key = rp_key()
    api_client, _api_key = identity_actions.api_client_create(
        actor=None,
        name="lab-system",
        agency=agency_get(code="SSA"),
        apis=["registries", "messaging"],
        oidc_jwks=KeySet([key]).as_dict(private=False),
    )
    response = _client_credentials_token(client, key, scope="govstack:registries")
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert response.json()["scope"] == "govstack:registries"
    caller = GovStackAuth("registries")(_request({"Authorization": f"Bearer {token}"}))
    assert caller.account == api_client.account
    assert caller.via == "oauth"
    # The token was asked for the registries only: it does not open the messaging API.
    assert GovStackAuth("messaging")(_request({"Authorization": f"Bearer {token}"})) is None
    # A system's token says nothing about a person.
    assert client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_client_credentials_are_refused_a_scope_the_system_lacks(nation, client, issuer):
    key = rp_key()
    identity_actions.api_client_create(
        actor=None, name="lab-system", agency=agency_get(code="SSA"), apis=["registries"],
        oidc_jwks=KeySet([key]).as_dict(private=False),
    )
    response = _client_credentials_token(client, key, scope="govstack:messaging")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_relying_parties_may_not_use_client_credentials(nation, client, issuer):
    from tests.blocks.identity.test_oidc_provider import register

    key = rp_key()
    register(key=key, client_id="rp-people")
    form = {"grant_type": "client_credentials"} | assertion_form(key, "rp-people", audience=f"{ISSUER}/oidc/token")
    response = client.post("/oidc/token", form, secure=True)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_the_system_is_named_in_audit_entries_and_access_records(govstack_client_factory, citizen):
    account, headers = govstack_client_factory(agency="SSA")
    caller = GovStackAuth("registries")(_request(headers))
    record = access_record(
        person_id=citizen.person_id,
        elements=["person.full_name"],
        context=caller_context(caller, purpose="Check a grant application."),
    )
    assert record.accessor_label == f"Social Support Agency ({account.username})"
    assert "GovStack" in record.legal_basis
    entry = entries_for_object(object_type="api_client", object_id=account.api_client.pk).first()
    assert entry.action == "identity:api_client:create"
    created = entries_for_object(object_type="person", object_id=citizen.person_id).last()
    assert created.actor_label == account.username
    assert created.agency_code == "SSA"


def test_the_command_registers_and_revokes_a_system(nation):
    out = io.StringIO()
    call_command("govstack", "client-add", "tax-bridge", "--agency", "REV", "--api", "registration", stdout=out)
    key = out.getvalue().rsplit(": ", 1)[1].strip()
    request = _request({"Authorization": key})
    assert GovStackAuth("registration")(request).agency.code == "REV"
    call_command("govstack", "client-revoke", "tax-bridge", stdout=io.StringIO())
    assert GovStackAuth("registration")(request) is None
    assert identity_queries.api_client_by_name(name="tax-bridge") is None


def test_systems_behind_a_mediator_are_rate_limited_each_not_by_the_mediators_address(nation, settings):
    settings.DIGIGOV_RATE_LIMITS_ENABLED = True
    settings.DIGIGOV_RATE_LIMITS = {"sign_in": {"per_ip": "6/m", "per_client": "3/m"},
                                    "api": {"per_ip": "8/m", "per_client": "4/m"}}
    settings.DIGIGOV_GOVSTACK_MEDIATOR_ADDRESSES = ["10.1.1.1"]
    caches[settings.DIGIGOV_RATE_LIMIT_CACHE].clear()
    web = Client()

    def call(member: str, address: str = "10.1.1.1") -> int:
        headers = {"Information-Mediator-Client": f"DIGIGOV/GOV/SSA/{member}"}
        return web.get("/api/services", headers=headers, REMOTE_ADDR=address).status_code

    try:
        assert [call("first") for _ in range(5)] == [200] * 4 + [429]
        # Nine calls from the mediator's one address: a second system is not held back by the first.
        assert [call("second") for _ in range(4)] == [200] * 4
        # The same header from an address that is not a mediator is still limited by that address too.
        assert [call(f"spoof-{n}", "10.9.9.9") for n in range(9)] == [200] * 8 + [429]
    finally:
        caches[settings.DIGIGOV_RATE_LIMIT_CACHE].clear()


def test_every_call_of_a_system_is_recorded_and_strangers_are_told_how_to_authenticate(govstack_client_factory):
    account, headers = govstack_client_factory(agency="SSA", apis=("registries",))
    web = Client()
    assert web.get("/api/govstack/registries/databases", headers=headers).status_code == 200
    assert web.get("/api/govstack/registries/database/999999", headers=headers).status_code == 404
    calls = list(identity_queries.api_calls_for_client(client=account.api_client))
    assert [(c.method, c.path, c.status, c.via) for c in calls] == [
        ("GET", "/api/govstack/registries/database/999999", 404, "api_key"),
        ("GET", "/api/govstack/registries/databases", 200, "api_key"),
    ]
    anonymous = web.get("/api/govstack/registries/databases")
    assert anonymous.status_code == 401
    body = anonymous.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["detail"] == body["error"]["message"]
    assert "API key" in body["detail"]


def test_a_call_to_an_api_the_system_may_not_use_is_refused_and_recorded(govstack_client_factory):
    account, headers = govstack_client_factory(agency="SSA", apis=("messaging",))
    assert Client().get("/api/govstack/registries/databases", headers=headers).status_code == 403
    [call] = identity_queries.api_calls_for_client(client=account.api_client)
    assert (call.path, call.status) == ("/api/govstack/registries/databases", 403)
