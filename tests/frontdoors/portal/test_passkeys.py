"""Passkeys: a real (software) authenticator drives the portal's WebAuthn endpoints, and every answer that is
not exactly right is refused."""

import json

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.actions import totp_enrolment_begin, totp_verify
from digigov.blocks.identity.models import Passkey
from tests.blocks.identity.webauthn_authenticator import SoftwareAuthenticator, b64url
from tests.support import get_following

SITE = "https://testserver"


def html(response) -> str:
    return response.content.decode()


def post_json(client: Client, name: str, body: dict | None = None):
    return client.post(reverse(f"portal:{name}"), json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def site(settings):
    settings.DIGIGOV_SITE_URL = SITE


@pytest.fixture
def authenticator(site):
    return SoftwareAuthenticator(origin=SITE)


def add_passkey(client: Client, authenticator: SoftwareAuthenticator, name: str = "My phone", **bend):
    options = post_json(client, "passkey-register-options").json()
    return post_json(client, "passkey-register", {"credential": authenticator.create(options, **bend), "name": name})


def sign_in_with_passkey(client: Client, authenticator: SoftwareAuthenticator, next_url: str = "", **bend):
    options = post_json(client, "passkey-sign-in-options").json()
    return post_json(client, "passkey-sign-in-verify", {"credential": authenticator.get(options, **bend),
                                                         "next": next_url})


@pytest.fixture
def citizen_with_passkey(citizen, client_for, authenticator):
    response = add_passkey(client_for(citizen), authenticator)
    assert response.status_code == 201, response.content
    return citizen


def test_a_person_adds_a_passkey_and_sees_it_beside_the_authenticator_app(citizen, client_for, authenticator):
    browser = client_for(citizen)
    options = post_json(browser, "passkey-register-options").json()
    assert options["rp"]["id"] == "testserver"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert citizen.username not in json.dumps(options["user"])  # an opaque handle, not an id of the person

    response = post_json(browser, "passkey-register", {"credential": authenticator.create(options), "name": "My phone"})
    assert response.status_code == 201
    assert response.json()["redirect"] == reverse("portal:security")
    passkey = Passkey.objects.get(account=citizen)
    (credential,) = authenticator.credentials.values()
    assert passkey.credential_id == b64url(credential.credential_id)
    assert passkey.transports == ["hybrid", "internal"]
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    assert AuditEntry.objects.filter(action="identity:passkey:register", object_id=str(passkey.pk)).exists()

    page = html(browser.get(reverse("portal:security")))
    assert "My phone" in page
    assert "Authenticator app" in page and "Passkeys" in page
    assert "Not used yet" in page


def test_the_same_authenticator_is_not_registered_twice(citizen_with_passkey, client_for, authenticator):
    options = post_json(client_for(citizen_with_passkey), "passkey-register-options").json()
    assert [c["id"] for c in options["excludeCredentials"]] == [
        p.credential_id for p in Passkey.objects.filter(account=citizen_with_passkey)
    ]


def test_a_registration_answering_another_challenge_is_refused(citizen, client_for, authenticator):
    response = add_passkey(client_for(citizen), authenticator, challenge=b64url(b"a challenge we never gave"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "passkey_rejected"
    assert not Passkey.objects.filter(account=citizen).exists()


def test_a_registration_made_on_another_site_is_refused(citizen, client_for, authenticator):
    response = add_passkey(client_for(citizen), authenticator, origin="https://digigov.example.evil")
    assert response.status_code == 400
    assert not Passkey.objects.filter(account=citizen).exists()


def test_signing_in_with_a_passkey_needs_no_id_and_gives_the_passkey_level(citizen_with_passkey, authenticator):
    browser = Client()
    options = post_json(browser, "passkey-sign-in-options").json()
    assert options["allowCredentials"] == []  # usernameless: nothing about any account is disclosed
    assert options["userVerification"] == "required"
    response = post_json(browser, "passkey-sign-in-verify",
                         {"credential": authenticator.get(options), "next": "/services/baby-bonus/"})
    assert response.status_code == 200
    assert response.json()["redirect"] == "/services/baby-bonus/"
    assert browser.session["_auth_user_id"] == str(citizen_with_passkey.pk)
    assert browser.session["passkey_verified"] is True and browser.session["mfa_verified"] is True
    assert browser.session["passkey_amr"] == ["hwk", "mfa"]
    passkey = Passkey.objects.get(account=citizen_with_passkey)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert get_following(browser, reverse("portal:applications")).status_code == 200


def test_the_sign_in_page_offers_a_passkey(nation):
    page = html(Client().get(reverse("portal:sign-in") + "?next=/inbox/"))
    assert 'href="/sign-in/passkey/?next=/inbox/"' in page
    page = html(Client().get(reverse("portal:passkey-sign-in")))
    assert 'data-passkey="sign-in"' in page and "identity/passkeys.js" in page


def test_an_assertion_for_another_challenge_is_refused(citizen_with_passkey, authenticator):
    browser = Client()
    response = sign_in_with_passkey(browser, authenticator, challenge=b64url(b"an old challenge"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "passkey_rejected"
    assert "_auth_user_id" not in browser.session
    assert AuditEntry.objects.filter(action="identity:passkey:fail").exists()


def test_an_assertion_made_on_another_origin_is_refused(citizen_with_passkey, authenticator):
    response = sign_in_with_passkey(Client(), authenticator, origin="https://testserver.evil.example")
    assert response.status_code == 400


def test_an_assertion_for_another_relying_party_is_refused(citizen_with_passkey, authenticator):
    response = sign_in_with_passkey(Client(), authenticator, rp_id="evil.example")
    assert response.status_code == 400


def test_a_replayed_assertion_is_refused(citizen_with_passkey, authenticator):
    browser = Client()
    options = post_json(browser, "passkey-sign-in-options").json()
    answer = authenticator.get(options)
    assert post_json(browser, "passkey-sign-in-verify", {"credential": answer}).status_code == 200
    # The same answer again: its challenge was used up.
    replay = Client()
    post_json(replay, "passkey-sign-in-options")
    assert post_json(replay, "passkey-sign-in-verify", {"credential": answer}).status_code == 400
    assert "_auth_user_id" not in replay.session


def test_a_signature_counter_that_goes_back_is_refused(citizen_with_passkey, authenticator):
    assert sign_in_with_passkey(Client(), authenticator, sign_count=5).status_code == 200
    # A clone of the authenticator, behind the original's counter:
    browser = Client()
    assert sign_in_with_passkey(browser, authenticator, sign_count=5).status_code == 400
    assert sign_in_with_passkey(browser, authenticator, sign_count=3).status_code == 400
    assert Passkey.objects.get(account=citizen_with_passkey).sign_count == 5
    assert "_auth_user_id" not in browser.session


def test_a_passkey_of_another_account_does_not_step_up_this_one(
    citizen_with_passkey, other_citizen, client_for, authenticator
):
    browser = Client()
    browser.force_login(other_citizen, backend="digigov.blocks.identity.backends.SignInIdBackend")
    options = post_json(browser, "passkey-sign-in-options").json()
    assert options["allowCredentials"] == []  # the other citizen has no passkeys of their own
    (credential_id,) = authenticator.credentials
    answer = authenticator.get(options, credential_id=credential_id)
    response = post_json(browser, "passkey-sign-in-verify", {"credential": answer})
    assert response.status_code == 400
    assert browser.session["_auth_user_id"] == str(other_citizen.pk)
    assert "passkey_verified" not in browser.session


def test_a_stepped_up_session_is_offered_only_its_own_passkeys(citizen_with_passkey, authenticator):
    browser = Client()
    browser.force_login(citizen_with_passkey, backend="digigov.blocks.identity.backends.SignInIdBackend")
    options = post_json(browser, "passkey-sign-in-options").json()
    assert [c["id"] for c in options["allowCredentials"]] == [
        Passkey.objects.get(account=citizen_with_passkey).credential_id
    ]
    response = post_json(browser, "passkey-sign-in-verify", {"credential": authenticator.get(options)})
    assert response.status_code == 200
    assert browser.session["passkey_amr"] == ["pwd", "hwk", "mfa"]


def test_a_passkey_can_be_renamed_and_removed(citizen_with_passkey, client_for, authenticator):
    browser = client_for(citizen_with_passkey)
    passkey = Passkey.objects.get(account=citizen_with_passkey)
    response = browser.post(reverse("portal:passkey-rename", args=[passkey.pk]), {"name": "  "})
    assert response.status_code == 400
    assert f'id="name-{passkey.pk}-error"' in html(response)
    browser.post(reverse("portal:passkey-rename", args=[passkey.pk]), {"name": "Work laptop"})
    assert Passkey.objects.get(pk=passkey.pk).name == "Work laptop"

    browser.post(reverse("portal:passkey-remove", args=[passkey.pk]))
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    assert sign_in_with_passkey(Client(), authenticator).status_code == 400


def test_another_persons_passkey_cannot_be_renamed_or_removed(citizen_with_passkey, other_citizen, client_for):
    passkey = Passkey.objects.get(account=citizen_with_passkey)
    intruder = client_for(other_citizen)
    assert intruder.post(reverse("portal:passkey-rename", args=[passkey.pk]), {"name": "Mine"}).status_code == 404
    assert intruder.post(reverse("portal:passkey-remove", args=[passkey.pk])).status_code == 404
    assert Passkey.objects.filter(pk=passkey.pk, name="My phone").exists()


def test_a_password_alone_cannot_add_or_remove_passkeys_once_the_account_has_one(citizen_with_passkey, authenticator):
    browser = Client()  # signed in with the password only: no second factor in this session
    browser.force_login(citizen_with_passkey, backend="digigov.blocks.identity.backends.SignInIdBackend")
    response = post_json(browser, "passkey-register-options")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"
    passkey = Passkey.objects.get(account=citizen_with_passkey)
    response = browser.post(reverse("portal:passkey-remove", args=[passkey.pk]))
    assert response["Location"].startswith(reverse("portal:passkey-sign-in"))
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_a_malformed_answer_gets_the_error_shape_not_a_server_error(citizen_with_passkey):
    browser = Client()
    post_json(browser, "passkey-sign-in-options")
    response = browser.post(reverse("portal:passkey-sign-in-verify"), "not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    response = post_json(browser, "passkey-sign-in-verify", {"credential": {"id": "x", "response": "nonsense"}})
    assert response.status_code == 400


def test_after_the_password_a_passkey_can_stand_in_for_the_code(citizen_with_passkey, nation, citizen_password,
                                                               authenticator):
    secret = totp_enrolment_begin(account=citizen_with_passkey)
    assert totp_verify(account=citizen_with_passkey, code=pyotp.TOTP(secret).now())
    browser = Client()
    response = browser.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": citizen_password, "next": "/inbox/",
    })
    assert response["Location"] == reverse("portal:sign-in-code")
    assert 'id="passkey-instead"' in html(browser.get(response["Location"]))
    options = post_json(browser, "passkey-sign-in-options").json()
    assert len(options["allowCredentials"]) == 1  # the password named the account: only its passkeys
    response = post_json(browser, "passkey-sign-in-verify", {"credential": authenticator.get(options)})
    assert response.json()["redirect"] == "/inbox/"
    assert browser.session["_auth_user_id"] == str(citizen_with_passkey.pk)
    assert browser.session["passkey_amr"] == ["pwd", "hwk", "mfa"]


def test_adding_a_passkey_needs_a_signed_in_account(nation):
    response = post_json(Client(), "passkey-register-options")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Client().get(reverse("portal:security"))["Location"].startswith(reverse("portal:sign-in"))


@pytest.mark.parametrize("transports", [5, [["usb"]], {"usb": True}, ["usb", 7, None]])
def test_odd_transports_from_a_browser_are_ignored_not_an_error(citizen, client_for, authenticator, transports):
    browser = client_for(citizen)
    options = post_json(browser, "passkey-register-options").json()
    credential = authenticator.create(options)
    credential["response"]["transports"] = transports
    response = post_json(browser, "passkey-register", {"credential": credential, "name": "Key"})
    assert response.status_code == 201, response.content
    assert Passkey.objects.get(account=citizen).transports == (["usb"] if transports == ["usb", 7, None] else [])
