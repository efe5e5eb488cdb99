"""Self-service unlock: a locked-out person asks for a link, gets it by email over real SMTP, and following it
(once, in time) lifts the lockout. The answer never tells whether a sign-in id exists."""

import datetime as dt
import email
import hashlib
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.models import UnlockToken

ADDRESS = "nur.aisyah@example.org"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def locked_citizen(nation, citizen, citizen_password, settings):
    citizen.email = ADDRESS
    citizen.save(update_fields=["email"])
    browser = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("portal:sign-in"), {"sign_in_id": nation.demo_citizen_national_id, "password": f"x{i}"})
    locked = browser.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": citizen_password,
    })
    assert locked.status_code == 429
    return citizen


def sign_in(nation, password: str):
    return Client().post(reverse("portal:sign-in"), {"sign_in_id": nation.demo_citizen_national_id,
                                                    "password": password})


def unlock_link(smtp_server) -> str:
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == [ADDRESS]
    message = email.message_from_bytes(envelope.content)
    assert message["Subject"] == "Unlock signing in to DigiGov"
    return re.search(r"https?://\S+/sign-in/unlock/\S+/", message.get_payload(decode=True).decode()).group(0)


def test_the_locked_out_page_offers_an_unlock_link_for_the_id_just_typed(locked_citizen, nation, citizen_password):
    page = html(sign_in(nation, citizen_password))
    assert "Email me an unlock link" in page
    assert f'name="sign_in_id" value="{nation.demo_citizen_national_id}"' in page


def test_an_emailed_link_unlocks_signing_in(locked_citizen, nation, citizen_password, smtp_server, settings):
    settings.DIGIGOV_SITE_URL = "https://portal.example"
    response = Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    assert response.status_code == 200
    link = unlock_link(smtp_server)
    assert link.startswith("https://portal.example/sign-in/unlock/")
    path = link.removeprefix("https://portal.example")

    browser = Client()
    page = browser.get(path)  # opening the link (or a mail scanner following it) uses nothing up
    assert "Unlock signing in" in html(page)
    assert sign_in(nation, citizen_password).status_code == 429
    response = browser.post(path)
    assert response["Location"] == reverse("portal:sign-in")
    assert sign_in(nation, citizen_password).status_code == 302
    entry = AuditEntry.objects.get(action="identity:lockout:unlock")
    assert entry.object_id == str(locked_citizen.pk)


def test_an_unlock_link_works_once(locked_citizen, nation, smtp_server):
    Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    path = "/" + unlock_link(smtp_server).split("/", 3)[3]
    assert Client().post(path).status_code == 302
    again = Client().post(path)
    assert again.status_code == 400
    assert "This unlock link does not work" in html(again)


def test_an_expired_unlock_link_does_not_unlock(locked_citizen, nation, citizen_password, smtp_server):
    Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    path = "/" + unlock_link(smtp_server).split("/", 3)[3]
    UnlockToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().post(path).status_code == 400
    assert sign_in(nation, citizen_password).status_code == 429
    assert AccessAttempt.objects.exists()


def test_only_a_hash_of_the_token_is_kept(locked_citizen, nation, smtp_server):
    Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    token = unlock_link(smtp_server).rstrip("/").rsplit("/", 1)[1]
    row = UnlockToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert nation.demo_citizen_national_id.encode() not in bytes(row.sign_in_id_encrypted)


def test_the_answer_is_the_same_whether_or_not_the_id_exists(locked_citizen, nation, smtp_server):
    known = Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    unknown = Client().post(reverse("portal:unlock-request"), {"sign_in_id": "S0000001I"})
    officer = Client().post(reverse("portal:unlock-request"), {"sign_in_id": "no.such.officer"})
    assert known.status_code == unknown.status_code == officer.status_code == 200

    def body(response) -> str:  # the page without its per-request CSRF token
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html(response))

    assert body(known) == body(unknown) == body(officer)
    assert len(smtp_server.messages) == 1


def test_asking_again_at_once_sends_no_second_email(locked_citizen, nation, smtp_server):
    for _ in range(3):
        Client().post(reverse("portal:unlock-request"), {"sign_in_id": nation.demo_citizen_national_id})
    assert len(smtp_server.messages) == 1
    assert UnlockToken.objects.count() == 1


def test_an_empty_id_is_asked_for_again(nation):
    response = Client().post(reverse("portal:unlock-request"), {"sign_in_id": " "})
    assert response.status_code == 400
    assert 'id="sign_in_id-error"' in html(response)
