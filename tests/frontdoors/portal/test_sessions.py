"""Signed-in devices: each session is listed (device, network, times, this one marked) and can be ended from
another device, which ends it on the server."""

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.actions import totp_enrolment_begin
from digigov.blocks.identity.models import SignedInSession
from digigov.blocks.identity.queries import session_key_digest
from digigov.blocks.identity.signals import SESSION_RECORD
from tests.support import get_following

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/18.5 Mobile/15E148 Safari/604.1")


def html(response) -> str:
    return response.content.decode()


def signed_in(nation, password: str, *, user_agent: str, address: str) -> Client:
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    response = browser.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": password,
    })
    assert response.status_code == 302
    return browser


@pytest.fixture
def laptop(nation, citizen_password):
    return signed_in(nation, citizen_password, user_agent=FIREFOX_LINUX, address="203.0.113.77")


@pytest.fixture
def phone(nation, citizen_password):
    return signed_in(nation, citizen_password, user_agent=SAFARI_IPHONE, address="2001:db8:1234:5678::9")


def test_each_signed_in_device_is_listed_with_the_current_one_marked(laptop, phone, citizen):
    page = html(laptop.get(reverse("portal:security")))
    assert "Firefox on Linux" in page and "Safari on iPhone" in page
    assert "203.0.113.0/24" in page and "2001:db8:1234::/48" in page
    assert "203.0.113.77" not in page  # only the network is kept, not the address
    current = laptop.session[SESSION_RECORD]
    assert f'id="session-{current}"' in page
    assert page.index("This device") < page.index("Safari on iPhone")  # this device first, marked
    assert SignedInSession.objects.filter(account=citizen, ended_at__isnull=True).count() == 2
    assert not SignedInSession.objects.filter(session_key_hash=laptop.session.session_key).exists()  # hashed


def test_signing_out_another_device_ends_that_session_on_the_server(laptop, phone, citizen):
    phone_key = phone.session.session_key
    response = laptop.post(reverse("portal:session-revoke", args=[phone.session[SESSION_RECORD]]))
    assert response["Location"] == reverse("portal:security")
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert phone.get(reverse("portal:applications"))["Location"].startswith(reverse("portal:sign-in"))
    assert get_following(laptop, reverse("portal:applications")).status_code == 200
    assert AuditEntry.objects.filter(action="identity:session:revoke").exists()
    assert "Safari on iPhone" not in html(laptop.get(reverse("portal:security")))


def test_sign_out_everywhere_else_keeps_only_this_session(laptop, phone, nation, citizen_password):
    tablet = signed_in(nation, citizen_password, user_agent="Mozilla/5.0 (Linux; Android 15) Chrome/140.0",
                       address="198.51.100.4")
    laptop.post(reverse("portal:sessions-revoke-others"))
    assert get_following(laptop, reverse("portal:applications")).status_code == 200
    for other in (phone, tablet):
        assert other.get(reverse("portal:applications")).status_code == 302
    assert list(SignedInSession.objects.filter(ended_at__isnull=True).values_list("pk", flat=True)) == [
        laptop.session[SESSION_RECORD]
    ]


def test_a_session_ended_elsewhere_is_refused_even_if_its_row_remained(laptop, phone):
    # Belt and braces: were the server-side session to survive, its record still says it ended.
    SignedInSession.objects.filter(pk=phone.session[SESSION_RECORD]).update(ended_at="2026-01-01T00:00:00Z")
    assert phone.get(reverse("portal:applications")).status_code == 302
    assert "_auth_user_id" not in phone.session


def test_no_one_can_end_another_persons_session(laptop, other_citizen, client_for):
    intruder = client_for(other_citizen)
    response = intruder.post(reverse("portal:session-revoke", args=[laptop.session[SESSION_RECORD]]))
    assert response.status_code == 404
    assert get_following(laptop, reverse("portal:applications")).status_code == 200


def test_signing_out_closes_the_sessions_record(laptop):
    record_id = laptop.session[SESSION_RECORD]
    laptop.post(reverse("portal:sign-out"))
    assert SignedInSession.objects.get(pk=record_id).ended_at is not None


def test_a_session_that_gains_a_factor_keeps_its_record(citizen):
    browser = Client()
    browser.force_login(citizen, backend="digigov.blocks.identity.backends.SignInIdBackend")
    record_id = browser.session[SESSION_RECORD]
    secret = totp_enrolment_begin(account=citizen)
    browser.post(reverse("portal:two-factor"), {"code": pyotp.TOTP(secret).now()})  # the session key changes here
    assert browser.session["mfa_verified"] is True
    assert browser.session[SESSION_RECORD] == record_id
    record = SignedInSession.objects.get(pk=record_id)
    assert record.session_key_hash == session_key_digest(browser.session.session_key)
    assert browser.get(reverse("portal:security")).status_code == 200


def test_an_expired_session_is_not_listed(laptop, phone):
    Session.objects.filter(session_key=phone.session.session_key).delete()  # as expiry and clearsessions do
    page = html(laptop.get(reverse("portal:security")))
    assert "Firefox on Linux" in page and "Safari on iPhone" not in page
    assert "Sign out everywhere else" not in page
