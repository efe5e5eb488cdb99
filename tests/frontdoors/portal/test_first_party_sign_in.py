"""DigiGov is its own first relying party: the portal and the back office sign in through the provider with a
real authorization-code flow (pushed request, PKCE, ID token verified), driven here by Django's test client
as a browser that follows every redirect and fills in the provider's sign-in pages. Requests are made over
https (`secure=True`): OAuth refuses plain http except on loopback addresses, and "testserver" is not one."""

import json
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from joserfc import jws

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.models import OidcAccessToken, OidcClient
from digigov.blocks.identity.oidc import first_party
from digigov.blocks.identity.oidc.actions import client_register
from digigov.blocks.identity.oidc.claims import ACR_PASSWORD, ACR_TWO_FACTOR
from digigov.blocks.registries.queries import agency_get
from digigov.platform.errors import ValidationFailed

CALLBACK = "/auth/callback/"


def _walk(client: Client, response, *, stop_at: str = "", fill: dict | None = None) -> tuple[object, list[str]]:
    """Follow redirects like a browser (optionally stopping before `stop_at`) and answer the sign-in pages
    with `fill` (path -> form fields). Returns the last response and every address visited."""
    visited: list[str] = []
    fill = dict(fill or {})
    for _step in range(20):
        if response.status_code == 302:
            location = response["Location"]
            visited.append(location)
            if stop_at and urlsplit(location).path == stop_at:
                return response, visited
            response = client.get(location, secure=True)
            continue
        path = urlsplit(visited[-1]).path if visited else ""
        if response.status_code == 200 and path in fill:
            response = client.post(visited[-1], fill.pop(path), secure=True)
            continue
        return response, visited
    raise AssertionError(f"too many redirects: {visited}")


def _sign_in_fields(sign_in_id: str, password: str) -> dict:
    return {"/sign-in/": {"sign_in_id": sign_in_id, "password": password}}


def _front_door(client: Client, client_id: str) -> dict | None:
    return (client.session.get(first_party.FRONT_DOOR_SESSION) or {}).get(client_id)


@pytest.fixture
def officer_totp(nation):
    return pyotp.TOTP(next(o.totp_secret for o in nation.officers if o.username == "ssa.case"))


# --- the whole flow ----------------------------------------------------------------------------------------------

def test_a_citizen_signs_in_to_the_portal_through_the_provider(nation, citizen, citizen_password):
    client = Client()
    start = client.get("/auth/start/", {"door": "portal", "next": "/applications/"}, secure=True)
    response, visited = _walk(client, start, fill=_sign_in_fields(nation.demo_citizen_national_id, citizen_password))

    # The browser went to the provider, its sign-in page, back to the authorization endpoint and to the callback.
    paths = [urlsplit(v).path for v in visited]
    assert paths[0] == "/oidc/authorize" and "/sign-in/" in paths
    assert paths[-2] == CALLBACK and paths[-1] == "/applications/"
    assert response.status_code == 200
    record = _front_door(client, first_party.PORTAL)
    assert record["account"] == citizen.pk and record["acr"] == ACR_PASSWORD and record["amr"] == ["pwd"]
    # The ID token the front door kept names the person only by the pairwise subject of the portal.
    claims = first_party.id_token_verify(id_token=record["id_token"], client_id=first_party.PORTAL,
                                         nonce=_nonce_of(record), acr=ACR_PASSWORD)
    assert claims["sub"] == record["sub"] and nation.demo_citizen_national_id not in record["id_token"]
    # The front door asked for nothing but openid, and keeps no usable access token.
    tokens = OidcAccessToken.objects.filter(account=citizen, client__client_id=first_party.PORTAL)
    assert tokens.count() == 1 and tokens.get().revoked_at is not None and tokens.get().scope == "openid"


def _nonce_of(record: dict) -> str:
    # The nonce is inside the signed token; reading it unverified here only to hand it back to the verifier.
    return json.loads(jws.extract_compact(record["id_token"].encode()).payload)["nonce"]


def test_an_officer_signs_in_to_the_back_office_with_password_and_code(nation, ssa_officer, officer_totp):
    client = Client()
    first = client.get("/backoffice/", secure=True)
    assert first["Location"].startswith("/sign-in/")
    response, visited = _walk(client, first, fill={
        **_sign_in_fields("ssa.case", nation.demo_password), "/sign-in/code/": {"code": officer_totp.now()},
    })
    assert response.status_code == 200 and urlsplit(visited[-1]).path == "/backoffice/"
    paths = [urlsplit(v).path for v in visited]
    assert "/sign-in/code/" in paths and "/oidc/authorize" in paths and CALLBACK in paths
    record = _front_door(client, first_party.BACKOFFICE)
    assert record["account"] == ssa_officer.pk and record["acr"] == ACR_TWO_FACTOR
    assert record["amr"] == ["pwd", "otp"]


def test_the_back_office_asks_the_provider_for_two_factors_and_steps_up(nation, ssa_officer, officer_totp):
    # An officer signed in at the provider with the password only (as after the first page).
    client = Client()
    client.force_login(ssa_officer, backend="digigov.blocks.identity.backends.SignInIdBackend")
    start = client.get("/auth/start/", {"door": "backoffice", "next": "/backoffice/"}, secure=True)
    response, visited = _walk(client, start)
    # The provider sends the officer to the second factor before any code is issued.
    assert CALLBACK not in [urlsplit(v).path for v in visited]
    assert urlsplit(visited[-1]).path == "/sign-in/code/"
    assert _front_door(client, first_party.BACKOFFICE) is None
    response, visited = _walk(client, client.post("/sign-in/code/", {"code": officer_totp.now()}, secure=True))
    assert urlsplit(visited[-1]).path == "/backoffice/" and response.status_code == 200
    assert _front_door(client, first_party.BACKOFFICE)["acr"] == ACR_TWO_FACTOR


def test_an_officer_with_a_password_only_cannot_open_the_back_office(nation, ssa_officer):
    client = Client()
    client.force_login(ssa_officer, backend="digigov.blocks.identity.backends.SignInIdBackend")
    response = client.get("/backoffice/", secure=True)
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    # Even a portal ID token (acr password) for the officer is not the back office's.
    _walk(client, client.get("/auth/start/", {"door": "portal", "next": "/"}, secure=True))
    assert client.get("/backoffice/", secure=True).status_code == 302
    # And an ID token below two factors is refused by the back office's own check of acr.
    session = client.session
    session[first_party.FRONT_DOOR_SESSION] = {first_party.BACKOFFICE: {"account": ssa_officer.pk,
                                                                        "acr": ACR_PASSWORD}}
    session.save()
    assert client.get("/backoffice/", secure=True).status_code == 302


def test_a_person_never_enters_the_back_office_through_the_flow(nation, citizen, citizen_password):
    client = Client()
    _walk(client, client.get("/auth/start/", {"door": "portal", "next": "/"}, secure=True),
          fill=_sign_in_fields(nation.demo_citizen_national_id, citizen_password))
    assert client.get("/backoffice/", secure=True).status_code == 404


# --- the callback refuses what this browser did not start ------------------------------------------------------

def _to_callback(client: Client, nation, password: str) -> object:
    """Run the flow up to the provider's redirect to the callback; returns that redirect."""
    start = client.get("/auth/start/", {"door": "portal", "next": "/applications/"}, secure=True)
    response, visited = _walk(client, start, stop_at=CALLBACK,
                              fill=_sign_in_fields(nation.demo_citizen_national_id, password))
    assert urlsplit(visited[-1]).path == CALLBACK
    return response


def _callback_with(client: Client, redirect, **changes) -> object:
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect["Location"]).query).items()}
    return client.get(CALLBACK, {**query, **changes}, secure=True)


def test_a_tampered_state_is_refused(nation, citizen_password):
    client = Client()
    redirect = _to_callback(client, nation, citizen_password)
    response = _callback_with(client, redirect, state="not-the-state")
    assert response.status_code == 400 and "Signing in did not complete" in response.content.decode()
    assert _front_door(client, first_party.PORTAL) is None


def test_a_tampered_or_replayed_code_is_refused(nation, citizen_password):
    client = Client()
    redirect = _to_callback(client, nation, citizen_password)
    assert _callback_with(client, redirect, code="not-the-code").status_code == 400
    assert _front_door(client, first_party.PORTAL) is None

    other = Client()
    redirect = _to_callback(other, nation, citizen_password)
    assert _callback_with(other, redirect).status_code == 302  # the real one works once
    assert _front_door(other, first_party.PORTAL) is not None
    # The flow cookie is gone after one use, and the code is spent: a replay is refused on both counts.
    assert _callback_with(other, redirect).status_code == 400


def test_a_callback_without_the_flow_cookie_is_refused(nation, citizen_password):
    client = Client()
    redirect = _to_callback(client, nation, citizen_password)
    client.cookies.pop(first_party.FLOW_COOKIE)
    assert _callback_with(client, redirect).status_code == 400


def test_the_id_token_is_checked_for_signature_audience_nonce_and_acr(nation, citizen, citizen_password):
    client = Client()
    _walk(client, client.get("/auth/start/", {"door": "portal", "next": "/"}, secure=True),
          fill=_sign_in_fields(nation.demo_citizen_national_id, citizen_password))
    record = _front_door(client, first_party.PORTAL)
    token, nonce = record["id_token"], _nonce_of(record)
    assert first_party.id_token_verify(id_token=token, client_id=first_party.PORTAL, nonce=nonce, acr=ACR_PASSWORD)
    header, payload, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    refused = [
        {"id_token": f"{header}.{payload}.{flipped}", "client_id": first_party.PORTAL, "nonce": nonce,
         "acr": ACR_PASSWORD},
        {"id_token": token, "client_id": first_party.BACKOFFICE, "nonce": nonce, "acr": ACR_PASSWORD},
        {"id_token": token, "client_id": first_party.PORTAL, "nonce": "another-flow", "acr": ACR_PASSWORD},
        {"id_token": token, "client_id": first_party.PORTAL, "nonce": nonce, "acr": ACR_TWO_FACTOR},
    ]
    for arguments in refused:
        with pytest.raises(first_party.SignInRefused):
            first_party.id_token_verify(**arguments)


# --- registration and signing out --------------------------------------------------------------------------------

def test_the_front_doors_register_themselves_once_as_first_party_clients(nation):
    for _time in range(2):
        _walk(Client(), Client().get("/auth/start/", {"door": "portal", "next": "/"}, secure=True))
    client = OidcClient.objects.get(client_id=first_party.PORTAL)
    assert client.first_party and client.agency is None and client.allowed_scopes == ["openid"]
    entries = AuditEntry.objects.filter(action="identity:oidc:client:register", object_id=first_party.PORTAL)
    assert entries.count() == 1 and entries.get().detail["first_party"] is True
    # The name is DigiGov's: an agency cannot register a client that would pass for a front door.
    with pytest.raises(ValidationFailed) as refused:
        client_register(actor=None, client_id="digigov-lookalike", name="x", agency=agency_get(code="SSA"),
                        purpose="x", redirect_uris=["https://x.example/cb"], scopes=["openid"],
                        jwks_uri="https://x.example/jwks")
    assert set(refused.value.fields) == {"client_id"}


def test_no_one_can_redeem_a_front_door_code_over_http(nation, citizen_password):
    client = Client()
    redirect = _to_callback(client, nation, citizen_password)
    code = parse_qs(urlsplit(redirect["Location"]).query)["code"][0]
    response = Client().post("/oidc/token", {
        "grant_type": "authorization_code", "client_id": first_party.PORTAL, "code": code,
        "redirect_uri": "https://testserver/auth/callback/", "code_verifier": "x" * 43,
    }, secure=True)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_signing_out_ends_the_front_door_and_the_provider_sessions(nation, ssa_officer, officer_totp):
    client = Client()
    _walk(client, client.get("/backoffice/", secure=True), fill={
        **_sign_in_fields("ssa.case", nation.demo_password), "/sign-in/code/": {"code": officer_totp.now()},
    })
    assert _front_door(client, first_party.BACKOFFICE) is not None
    response = client.post("/sign-out/", secure=True)
    # RP-initiated logout at the provider, with the ID token as the hint, back to the home page.
    logout = urlsplit(response["Location"])
    assert logout.path == "/oidc/logout"
    hint = parse_qs(logout.query)
    assert hint["client_id"] == [first_party.BACKOFFICE] and hint["id_token_hint"]
    landing = client.get(response["Location"], secure=True)
    assert landing.status_code == 302 and urlsplit(landing["Location"]).path == "/"
    assert "_auth_user_id" not in client.session and first_party.FRONT_DOOR_SESSION not in client.session
    assert "You have signed out." in client.get("/", secure=True).content.decode()
    assert client.get("/backoffice/", secure=True)["Location"].startswith("/sign-in/")
