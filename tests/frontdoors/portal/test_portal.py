"""The citizen portal, page by page, through Django's test client against the seeded nation."""

import datetime as dt
import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "officer-password-for-tests-1"


def html(response) -> str:
    return response.content.decode()


def start(client, service) -> str:
    """Start an application; returns its id from the consent (or form) URL."""
    response = client.get(reverse("portal:apply", args=[service.slug]))
    assert response.status_code == 302, html(response)
    return re.search(r"/applications/([0-9a-f-]{36})/", response["Location"]).group(1)


def decide(client, application_id, decision):
    return client.post(reverse("portal:consent", args=[application_id]), {"decision": decision})


def form_url(application_id) -> str:
    return reverse("portal:form", args=[application_id])


def typed_answers(fields, *, verified=()) -> dict:
    samples = {
        "text": "Sample answer", "textarea": "A longer answer.", "date": "2026-01-15", "integer": "2",
        "money": "1200.50", "yesno": "yes", "email": "someone@example.org", "phone": "+65 8123 4567",
    }
    return {
        f.key: str(f.choices[0][0]) if f.field_type == "choice" else samples[f.field_type]
        for f in fields if f.key not in verified
    }


# --- finding a service ---------------------------------------------------------------------------------------

def test_the_home_page_lists_life_events_before_the_search_box(nation):
    from digigov.blocks.services.queries import life_event_list

    page = html(Client().get("/"))
    events = list(life_event_list())
    assert events
    for event in events:
        assert escape(event.name) in page
        assert reverse("portal:life-event", args=[event.slug]) in page
    assert page.index(escape(events[0].name)) < page.index('name="q"')


def test_searching_for_baby_finds_the_baby_bonus(baby_bonus):
    page = html(Client().get("/services/", {"q": "baby"}))
    assert escape(baby_bonus.name) in page
    assert reverse("portal:service", args=["baby-bonus"]) in page


def test_the_service_page_shows_agency_fee_time_and_start_button(baby_bonus):
    page = html(Client().get(reverse("portal:service", args=["baby-bonus"])))
    assert escape(baby_bonus.agency.name) in page
    assert f"Within {baby_bonus.sla_days} working days" in page
    assert "Start now" in page
    assert reverse("portal:apply", args=["baby-bonus"]) in page


def test_an_unknown_service_is_a_404(nation):
    assert Client().get("/services/no-such-service/").status_code == 404


def test_starting_an_application_signed_out_asks_to_sign_in_first(baby_bonus):
    response = Client().get(reverse("portal:apply", args=["baby-bonus"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign-in") + "?next=")


# --- signing in ----------------------------------------------------------------------------------------------

def test_a_person_signs_in_with_national_id_and_password(nation, citizen, citizen_password):
    client = Client()
    response = client.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": citizen_password,
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:applications")
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_a_wrong_password_is_refused_with_an_error_beside_the_field(nation, citizen, citizen_password):
    client = Client()
    response = client.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": "not-the-password",
    })
    assert response.status_code == 400
    assert "Enter a correct national ID number or username and password" in html(response)
    assert 'id="sign_in_id-error"' in html(response)
    assert "_auth_user_id" not in client.session


def test_sign_in_goes_to_a_safe_next_page_only(nation, citizen_password):
    credentials = {"sign_in_id": nation.demo_citizen_national_id, "password": citizen_password}
    response = Client().post(reverse("portal:sign-in"), {**credentials, "next": "/services/baby-bonus/apply/"})
    assert response["Location"] == "/services/baby-bonus/apply/"
    response = Client().post(reverse("portal:sign-in"), {**credentials, "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:applications")


def test_repeated_wrong_passwords_lock_the_sign_in_id(nation, citizen_password, settings):
    client = Client()
    statuses = [
        client.post(reverse("portal:sign-in"), {
            "sign_in_id": nation.demo_citizen_national_id, "password": f"wrong-{i}",
        }).status_code
        for i in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert statuses[-1] == 429
    response = client.post(reverse("portal:sign-in"), {
        "sign_in_id": nation.demo_citizen_national_id, "password": citizen_password,
    })
    assert response.status_code == 429
    assert "locked out" in html(response)


@pytest.fixture
def officer_with_known_totp(ssa_officer):
    from digigov.blocks.identity.actions import totp_enrolment_begin, totp_verify

    ssa_officer.set_password(PASSWORD)
    ssa_officer.save(update_fields=["password"])
    totp_enrolment_begin(account=ssa_officer, secret=SECRET)
    earlier = timezone.now() - dt.timedelta(minutes=2)
    assert totp_verify(account=ssa_officer, code=pyotp.TOTP(SECRET).at(earlier), at=earlier)
    return ssa_officer


def test_an_officer_is_asked_for_a_code_and_a_wrong_code_is_refused(officer_with_known_totp):
    client = Client()
    response = client.post(reverse("portal:sign-in"), {"sign_in_id": "ssa.case", "password": PASSWORD})
    assert response["Location"] == reverse("portal:sign-in-code")
    assert "_auth_user_id" not in client.session

    current = pyotp.TOTP(SECRET).now()
    wrong = "000000" if current != "000000" else "111111"
    response = client.post(reverse("portal:sign-in-code"), {"code": wrong})
    assert response.status_code == 400
    assert "The code is not correct" in html(response)
    assert "_auth_user_id" not in client.session


def test_an_officer_with_the_right_code_lands_in_the_back_office_with_both_factors(officer_with_known_totp):
    client = Client()
    client.post(reverse("portal:sign-in"), {"sign_in_id": "ssa.case", "password": PASSWORD})
    response = client.post(reverse("portal:sign-in-code"), {"code": pyotp.TOTP(SECRET).now()})
    assert response["Location"] == "/backoffice/"
    assert client.session["_auth_user_id"] == str(officer_with_known_totp.pk)
    assert client.session["mfa_verified"] is True


def test_an_officer_without_an_authenticator_is_sent_to_enrol_and_can_turn_it_on(nation):
    from digigov.blocks.identity.actions import officer_create
    from digigov.blocks.registries.queries import agency_get

    officer_create(username="ssa.new", full_name="New Officer", agency=agency_get(code="SSA"),
                   roles=["case_officer"], password=PASSWORD)  # the officers' password, any long one
    client = Client()
    response = client.post(reverse("portal:sign-in"), {"sign_in_id": "ssa.new", "password": PASSWORD})
    assert response["Location"].startswith(reverse("portal:two-factor"))

    page = html(client.get(reverse("portal:two-factor")))
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post(reverse("portal:two-factor"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/backoffice/"
    assert client.session["mfa_verified"] is True


def test_signing_out_ends_the_session(citizen, client_for):
    client = client_for(citizen)
    response = client.post(reverse("portal:sign-out"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- applying ------------------------------------------------------------------------------------------------

def test_the_consent_screen_lists_each_detail_with_the_agency_that_holds_it(citizen, baby_bonus, client_for):
    from digigov.blocks.services.queries import prefill_request

    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    page = html(client.get(reverse("portal:consent", args=[application_id])))
    requested = prefill_request(service=baby_bonus)
    assert requested
    for field in requested:
        assert escape(field.data_element.label) in page
        assert escape(field.data_element.owner_agency.name) in page
    assert escape(baby_bonus.purpose) in page
    assert "Yes, fill in my details" in page and "No, I will type them myself" in page


def test_consenting_fills_verified_details_that_cannot_be_edited(citizen, baby_bonus, client_for):
    from digigov.blocks.registries.queries import own_record_get
    from digigov.blocks.services.queries import prefill_request

    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    assert decide(client, application_id, "granted")["Location"] == form_url(application_id)

    page = html(client.get(form_url(application_id)))
    record = own_record_get(account=citizen)
    assert escape(record["person.full_name"].value) in page
    assert "Verified by" in page
    for field in prefill_request(service=baby_bonus):
        if record[field.data_element.key].value is not None:
            assert f'name="{field.key}"' not in page


def test_refusing_leaves_details_to_type_and_marks_them_entered(citizen, baby_bonus, baby_bonus_fields, client_for):
    from digigov.blocks.services.queries import access_application

    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    decide(client, application_id, "refused")
    page = html(client.get(form_url(application_id)))
    assert "Verified by" not in page
    for field in baby_bonus_fields:
        assert f'name="{field.key}"' in page

    response = client.post(form_url(application_id), {
        **typed_answers(baby_bonus_fields), "action": "submit", "idempotency_key": "refused-1",
    })
    assert response.status_code == 302, html(response)
    application = access_application(account=citizen, application_id=application_id)
    assert {a["source"] for a in application.answers.values()} == {"entered"}
    assert "Entered by you" in html(client.get(reverse("portal:application", args=[application_id])))


def test_validation_errors_are_shown_beside_each_field_and_answers_are_kept(
    citizen, baby_bonus, baby_bonus_fields, client_for
):
    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    decide(client, application_id, "granted")
    editable = [f for f in baby_bonus_fields if not f.data_element_id]
    text_field = next(f for f in editable if f.field_type == "text")
    yesno_field = next(f for f in editable if f.field_type == "yesno")

    response = client.post(form_url(application_id), {
        text_field.key: "Kept value 123", "action": "submit", "idempotency_key": "invalid-1",
    })

    page = html(response)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert f'href="#field-{yesno_field.key}"' in page
    assert f'id="field-{yesno_field.key}-error"' in page
    assert re.search(rf'aria-describedby="[^"]*field-{yesno_field.key}-error"', page)
    assert 'value="Kept value 123"' in page
    assert "<title>Error:" in page


def test_a_double_submit_with_the_same_key_creates_one_application(
    citizen, baby_bonus, baby_bonus_fields, client_for
):
    from digigov.blocks.services.queries import applications_for_account

    def submitted_count() -> int:
        return applications_for_account(account=citizen).filter(service=baby_bonus).exclude(status="draft").count()

    before = submitted_count()
    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    decide(client, application_id, "granted")
    verified = {f.key for f in baby_bonus_fields if f.data_element_id}
    data = {**typed_answers(baby_bonus_fields, verified=verified), "action": "submit", "idempotency_key": "dbl-1"}

    first = client.post(form_url(application_id), data)
    second = client.post(form_url(application_id), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("portal:submitted", args=[application_id])
    assert submitted_count() == before + 1
    page = html(client.get(first["Location"]))
    assert "govuk-panel--confirmation" in page
    assert re.search(r'id="reference">[A-Z]+-\d{4}-\d{6}<', page)


def test_saving_a_draft_keeps_the_answers(citizen, baby_bonus, baby_bonus_fields, client_for):
    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    decide(client, application_id, "granted")
    text_field = next(f for f in baby_bonus_fields if not f.data_element_id and f.field_type == "text")
    response = client.post(form_url(application_id), {text_field.key: "Saved for later", "action": "save"})
    assert response["Location"] == form_url(application_id)
    assert 'value="Saved for later"' in html(client.get(form_url(application_id)))


def test_another_citizen_gets_404_on_my_application(submitted_application, other_citizen, client_for):
    client = client_for(other_citizen)
    for name in ("application", "form", "consent", "submitted"):
        assert client.get(reverse(f"portal:{name}", args=[submitted_application.pk])).status_code == 404


def test_an_officer_gets_404_on_citizens_pages(ssa_officer, client_for):
    assert client_for(ssa_officer).get(reverse("portal:applications")).status_code == 404


def test_my_applications_and_the_detail_show_status_timeline_and_answers(submitted_application, citizen, client_for):
    client = client_for(citizen)
    assert escape(submitted_application.reference) in html(client.get(reverse("portal:applications")))
    page = html(client.get(reverse("portal:application", args=[submitted_application.pk])))
    assert escape(submitted_application.reference) in page
    assert "Submitted" in page and 'id="timeline"' in page
    assert "Verified by" in page


def test_the_applicant_answers_the_officers_question(submitted_application, citizen, ssa_officer, client_for):
    from digigov.blocks.services.actions import application_decide

    officer = ssa_officer if ssa_officer.agency_id == submitted_application.service.agency_id else None
    if officer is None:
        pytest.skip("baby bonus is not run by the SSA officer's agency in this seed")
    application_decide(officer=officer, application=submitted_application, outcome="more_info",
                       reason="Please send the birth certificate number.")
    client = client_for(citizen)
    url = reverse("portal:application", args=[submitted_application.pk])
    assert "Please send the birth certificate number." in html(client.get(url))

    response = client.post(reverse("portal:respond", args=[submitted_application.pk]), {"response": ""})
    assert response.status_code == 400 and 'id="response-error"' in html(response)
    response = client.post(reverse("portal:respond", args=[submitted_application.pk]), {"response": "BC-1234"})
    assert response.status_code == 302
    submitted_application.refresh_from_db()
    assert submitted_application.status == "in_review"


def test_a_decided_application_asks_for_a_rating_once(submitted_application, citizen, ssa_officer, client_for):
    from digigov.blocks.services.actions import application_decide

    if ssa_officer.agency_id != submitted_application.service.agency_id:
        pytest.skip("baby bonus is not run by the SSA officer's agency in this seed")
    application_decide(officer=ssa_officer, application=submitted_application, outcome="approved", reason="")
    client = client_for(citizen)
    url = reverse("portal:application", args=[submitted_application.pk])
    page = html(client.get(url))
    assert "Extremely satisfied" in page and "Very dissatisfied" in page

    rate = reverse("portal:rate", args=[submitted_application.pk])
    assert client.post(rate, {}).status_code == 400
    assert client.post(rate, {"score": "6", "comment": "Quick"}).status_code == 302
    assert "Thank you for rating this service." in html(client.get(url))


# --- inbox, my data, KPIs ------------------------------------------------------------------------------------

def test_my_data_lists_who_accessed_it_and_my_consent(citizen, baby_bonus, client_for):
    client = client_for(citizen)
    application_id = start(client, baby_bonus)
    decide(client, application_id, "granted")

    page = html(client.get(reverse("portal:my-data")))
    assert "Who accessed your data" in page
    accesses = page.split('id="accesses"')[1].split("</table>")[0]
    assert escape(baby_bonus.agency.name) in accesses
    assert escape(baby_bonus.purpose) in accesses
    assert "Your consent" in accesses
    grants = page.split('id="grants"')[1].split("</table>")[0]
    assert "Shared" in grants


def test_the_inbox_lists_messages_and_opening_one_marks_it_read(
    submitted_application, citizen, client_for, deliver_events
):
    from digigov.blocks.messaging.queries import inbox_for_account

    deliver_events()
    message = inbox_for_account(account=citizen).first()
    if message is None:
        pytest.skip("no acknowledgement message is sent for a submission yet")
    client = client_for(citizen)
    assert escape(message.subject) in html(client.get(reverse("portal:inbox")))
    page = html(client.get(reverse("portal:message", args=[message.pk])))
    assert escape(message.subject) in page and 'id="deliveries"' in page
    message.refresh_from_db()
    assert message.read_at is not None


def test_the_public_kpi_page_shows_each_kpi_with_chart_and_table(baby_bonus):
    client = Client()
    page = html(client.get(reverse("portal:kpi")))
    for heading in ("Completed digitally end to end", "Pre-filled from verified records",
                    "Very or extremely satisfied", "Median days to a decision"):
        assert heading in page
    assert "<script" not in page.split("</head>")[1]
    agency_page = client.get(reverse("portal:kpi"), {"agency": baby_bonus.agency.code})
    assert agency_page.status_code == 200 and escape(baby_bonus.agency.name) in html(agency_page)
    service_page = client.get(reverse("portal:kpi"), {"service": "baby-bonus"})
    assert service_page.status_code == 200
    assert f"within {baby_bonus.sla_days} working days" in html(service_page)
    assert client.get(reverse("portal:kpi"), {"agency": "NOPE"}).status_code == 404


def test_the_kpi_chart_has_a_title_a_description_and_a_table(nation, deliver_events, submitted_application):
    deliver_events()
    page = html(Client().get(reverse("portal:kpi")))
    assert 'role="img"' in page and "<title id=\"chart-digital-title\">" in page and "<desc" in page
    assert 'id="kpi-prefilled-table"' in page


def test_every_page_is_translatable_and_has_a_language_attribute(nation):
    page = html(Client().get("/"))
    assert '<html lang="en"' in page
    assert 'action="/i18n/setlang/"' in page


def test_an_inbox_message_links_to_its_application(citizen, submitted_application, deliver_events):
    from digigov.blocks.messaging.queries import inbox_for_account
    from tests.support import signed_in_client

    deliver_events()
    message = inbox_for_account(account=citizen).first()
    response = signed_in_client(citizen).get(f"/inbox/{message.pk}/")
    assert f'href="/applications/{submitted_application.pk}/"' in response.content.decode()
