"""The whole cross-agency journey over HTTP, as a citizen and an officer would live it: find a service under
a life event, sign in, consent to pre-fill, apply, be decided on by another agency's officer, be notified
(inbox and real SMTP), rate the service, and see the KPIs move."""

import email
import re

import pyotp
from django.test import Client

from digigov.platform.outbox import dispatch_all


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html) or re.search(
        rf'value="([^"]+)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden input {name}"
    return match.group(1)


def _sign_in(client: Client, sign_in_id: str, password: str, *, next_url: str = "", totp_secret: str = "") -> str:
    response = client.post("/sign-in/", {"sign_in_id": sign_in_id, "password": password, "next": next_url})
    assert response.status_code == 302, response.content[:500]
    if totp_secret:
        assert response["Location"].endswith("/sign-in/code/")
        response = client.post("/sign-in/code/", {"code": pyotp.TOTP(totp_secret).now()})
        assert response.status_code == 302
    return response["Location"]


def _kpi(client: Client) -> dict:
    return client.get("/api/kpi/summary").json()["services"].get("baby-bonus", {})


def test_a_citizen_and_an_officer_complete_a_cross_agency_transaction(nation, smtp_server):
    citizen = Client()
    before = _kpi(citizen)

    # Find the service under a life event, then by search.
    home = citizen.get("/").content.decode()
    assert "Having a baby" in home
    life_event = citizen.get("/life-events/having-a-baby/").content.decode()
    assert "/services/baby-bonus/" in life_event
    assert "/services/baby-bonus/" in citizen.get("/services/", {"q": "baby bonus"}).content.decode()

    # Starting asks for sign-in, and comes back to the application afterwards.
    start = citizen.get("/services/baby-bonus/apply/")
    assert start.status_code == 302 and "/sign-in/" in start["Location"]
    landing = _sign_in(
        citizen, nation.demo_citizen_national_id, nation.demo_password, next_url="/services/baby-bonus/apply/"
    )
    # The portal gets its own ID token from the provider on the way (DigiGov is its own first relying party).
    response = citizen.get(landing)
    while response.status_code == 302 and not response["Location"].endswith("/consent/"):
        response = citizen.get(response["Location"])
    consent_url = response["Location"]
    assert consent_url.endswith("/consent/")

    # One consent screen lists every element requested, with its source agency.
    consent_page = citizen.get(consent_url).content.decode()
    for label in ("Full name", "National Registry of Identity and Births", "Revenue Authority"):
        assert label in consent_page
    form_url = citizen.post(consent_url, {"decision": "granted"})["Location"]
    form = citizen.get(form_url).content.decode()
    assert "Verified by" in form

    # Validation errors come back beside the fields; then a double-clicked submit makes one application.
    key = _hidden(form, "idempotency_key")
    invalid = citizen.post(form_url, {"idempotency_key": key, "action": "submit"})
    assert invalid.status_code == 400 and "govuk-error-summary" in invalid.content.decode()
    answers = {"bank_account_number": "123-45678-9", "declaration": "yes", "idempotency_key": key, "action": "submit"}
    first = citizen.post(form_url, answers)
    second = citizen.post(form_url, answers)
    assert first["Location"] == second["Location"]
    confirmation = citizen.get(first["Location"]).content.decode()
    reference = re.search(r"SSA-\d{4}-\d{6}", confirmation).group(0)
    dispatch_all()

    # The officer of the owning agency signs in with two factors, finds the task, claims and approves it.
    officer = Client()
    secret = next(o.totp_secret for o in nation.officers if o.username == "ssa.case")
    assert _sign_in(officer, "ssa.case", nation.demo_password, totp_secret=secret) == "/backoffice/"
    # The back office's own session comes from the provider's ID token: follow the code flow there and back,
    # over https (OAuth refuses plain http except on loopback addresses, and "testserver" is not one).
    response = officer.get("/backoffice/", secure=True)
    while response.status_code == 302:
        response = officer.get(response["Location"], secure=True)
    queue = response.content.decode()
    assert reference in queue
    task_url = re.search(r'href="(/backoffice/tasks/[0-9a-f-]{36}/)"', queue).group(1)
    case = officer.get(task_url).content.decode()
    assert "Verified by" in case and "Entered by applicant" in case
    assert officer.post(task_url + "claim/").status_code == 302
    assert officer.post(task_url + "decision/", {"outcome": "approve", "reason": ""}).status_code == 302
    dispatch_all()

    # The citizen is told: in the portal inbox and by email over SMTP.
    inbox = citizen.get("/inbox/").content.decode()
    assert "has been approved" in inbox
    subjects = [email.message_from_bytes(m.content)["Subject"] for m in smtp_server.messages]
    assert any(reference in s and "received" in s for s in subjects)
    assert any(reference in s and "approved" in s for s in subjects)

    # "Who accessed my data" shows the officer's review and the pre-fill.
    my_data = citizen.get("/my-data/").content.decode()
    assert "Social Support Agency" in my_data

    # The citizen rates the service; the KPIs move.
    application_url = first["Location"].replace("submitted/", "")
    assert citizen.post(application_url + "rate/", {"score": "6", "comment": "Quick and easy"}).status_code == 302
    dispatch_all()
    after = _kpi(citizen)
    assert after["submitted"] == before.get("submitted", 0) + 1
    assert after["prefilled"] == before.get("prefilled", 0) + 1
    assert after["decided"] == before.get("decided", 0) + 1
    assert after["satisfied"] == before.get("satisfied", 0) + 1
    assert "Baby Bonus" in citizen.get("/kpi/", {"service": "baby-bonus"}).content.decode()
