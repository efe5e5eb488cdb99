"""Applying as a business: a person acting for a business starts an application that records the business,
only in the services they were given, and not once the access is taken back."""

import pytest

from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity.backends import account_for_sign_in_id
from digigov.blocks.registries.queries import business_list_for_person
from digigov.blocks.services.models import Application
from tests.support import signed_in_client

SERVICE = "gst-registration"


@pytest.fixture
def business(nation):
    owner = account_for_sign_in_id(nation.demo_business_owner_national_id)
    business = business_list_for_person(person_id=owner.person_id).first()
    business.owner = owner
    return business


@pytest.fixture
def access(business, citizen, nation):
    return business_actions.employee_access_grant(
        actor=business.owner,
        uen=business.uen,
        national_id=nation.demo_citizen_national_id,
        service_slug=SERVICE,
        role="applicant",
    )


def acting_browser(person, business):
    browser = signed_in_client(person)
    assert browser.post(f"/account/businesses/{business.uen}/act/").status_code == 302
    return browser


def test_an_application_made_for_a_business_records_the_business(business, citizen, access):
    page = acting_browser(citizen, business).post(f"/account/businesses/apply/{SERVICE}/")
    assert page.status_code == 302 and "/applications/" in page["Location"]
    application = Application.objects.get(account=citizen, service__slug=SERVICE)
    assert application.business_id == business.pk and application.applicant_id == citizen.person_id


def test_an_employee_cannot_apply_as_the_business_in_a_service_they_were_not_given(business, citizen, access):
    page = acting_browser(citizen, business).post("/account/businesses/apply/food-shop-licence/")
    assert page.status_code == 302 and page["Location"] == "/account/businesses/"
    assert not Application.objects.filter(account=citizen, service__slug="food-shop-licence").exists()


def test_once_access_is_taken_back_the_person_no_longer_acts_for_the_business(business, citizen, access):
    browser = acting_browser(citizen, business)
    business_actions.employee_access_revoke(actor=business.owner, uen=business.uen, access_id=access.pk)
    page = browser.post(f"/account/businesses/apply/{SERVICE}/")
    assert page["Location"] == "/account/businesses/"
    assert not Application.objects.filter(account=citizen, business_id=business.pk).exists()
    assert 'id="acting-for"' not in browser.get("/account/businesses/").content.decode()


def test_applying_for_oneself_records_no_business(citizen, baby_bonus):
    page = signed_in_client(citizen).post(f"/services/{baby_bonus.slug}/apply/")
    assert page.status_code == 302
    assert Application.objects.get(account=citizen, service=baby_bonus, status="draft").business_id is None


def test_an_application_started_for_a_business_stops_when_the_access_is_taken_back(business, citizen, access):
    browser = acting_browser(citizen, business)
    form_url = browser.post(f"/account/businesses/apply/{SERVICE}/")["Location"]
    application = Application.objects.get(account=citizen, business_id=business.pk)
    assert browser.get(form_url).status_code == 200
    business_actions.employee_access_revoke(actor=business.owner, uen=business.uen, access_id=access.pk)
    # Neither the draft nor its form open any more: the person no longer acts for the business in this service.
    assert browser.get(f"/applications/{application.pk}/").status_code == 404
    assert browser.get(form_url).status_code == 404
    assert browser.post(form_url, {"action": "save"}).status_code == 404
    application.refresh_from_db()
    assert application.status == "draft"
