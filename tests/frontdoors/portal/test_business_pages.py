"""The portal's business pages: a business's administrators see who may act for it and give or take back
access; nobody else can; a person chooses which business they act for."""

import pytest

from digigov.blocks.identity import business as business_actions
from digigov.blocks.identity.backends import account_for_sign_in_id
from digigov.blocks.registries.queries import business_list_for_person
from tests.support import signed_in_client

SERVICE = "gst-registration"


@pytest.fixture
def business(nation):
    owner = account_for_sign_in_id(nation.demo_business_owner_national_id)
    business = business_list_for_person(person_id=owner.person_id).first()
    business.owner = owner
    return business


def people_url(business) -> str:
    return f"/account/businesses/{business.uen}/people/"


def grant_form(nation, **overrides) -> dict:
    return {"national_id": nation.demo_citizen_national_id, "service": SERVICE, "role": "applicant", **overrides}


def test_the_owner_gives_an_employee_access_and_sees_them_listed(business, citizen, nation):
    browser = signed_in_client(business.owner)
    page = browser.post(f"/account/businesses/{business.uen}/access/", grant_form(nation))
    assert page.status_code == 302 and page["Location"] == people_url(business)
    text = browser.get(people_url(business)).content.decode()
    assert "Nur Aisyah" in text and SERVICE in text


def test_the_owner_takes_access_back_from_the_page(business, citizen, nation):
    access = business_actions.employee_access_grant(
        actor=business.owner,
        uen=business.uen,
        national_id=nation.demo_citizen_national_id,
        service_slug=SERVICE,
        role="applicant",
    )
    browser = signed_in_client(business.owner)
    page = browser.post(f"/account/businesses/{business.uen}/access/{access.pk}/revoke/")
    assert page.status_code == 302
    assert f'id="access-{access.pk}"' not in browser.get(people_url(business)).content.decode()
    assert signed_in_client(citizen).post(f"/account/businesses/{business.uen}/act/").status_code == 404


def test_a_refused_grant_shows_the_message_beside_the_field(business, nation):
    page = signed_in_client(business.owner).post(
        f"/account/businesses/{business.uen}/access/", grant_form(nation, national_id="123")
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="grant-national_id-error"' in text and 'href="#grant-national_id"' in text


def test_someone_who_does_not_act_for_the_business_gets_not_found(business, other_citizen, nation):
    browser = signed_in_client(other_citizen)
    assert browser.get(people_url(business)).status_code == 404
    assert browser.post(f"/account/businesses/{business.uen}/access/", grant_form(nation)).status_code == 404


def test_an_employee_cannot_see_the_people_page_or_give_access(business, citizen, nation):
    business_actions.employee_access_grant(
        actor=business.owner,
        uen=business.uen,
        national_id=nation.demo_citizen_national_id,
        service_slug=SERVICE,
        role="applicant",
    )
    browser = signed_in_client(citizen)
    assert browser.get(people_url(business)).status_code == 404
    page = browser.post(
        f"/account/businesses/{business.uen}/access/", grant_form(nation, national_id=nation.demo_spouse_national_id)
    )
    assert page.status_code == 403


def test_only_owners_and_directors_see_the_form_to_appoint_administrators(business, citizen, nation):
    assert "appoint-national_id" in signed_in_client(business.owner).get(people_url(business)).content.decode()
    business_actions.business_admin_grant(
        actor=business.owner, uen=business.uen, national_id=nation.demo_citizen_national_id
    )
    browser = signed_in_client(citizen)
    assert "appoint-national_id" not in browser.get(people_url(business)).content.decode()
    page = browser.post(
        f"/account/businesses/{business.uen}/administrators/", {"national_id": nation.demo_spouse_national_id}
    )
    assert page.status_code == 403


def test_a_person_chooses_to_act_for_a_business_and_back(business, citizen, nation):
    business_actions.employee_access_grant(
        actor=business.owner,
        uen=business.uen,
        national_id=nation.demo_citizen_national_id,
        service_slug=SERVICE,
        role="applicant",
    )
    browser = signed_in_client(citizen)
    page = browser.get("/account/businesses/")
    assert business.name in page.content.decode() and 'id="acting-for"' not in page.content.decode()
    browser.post(f"/account/businesses/{business.uen}/act/")
    text = browser.get("/account/businesses/").content.decode()
    assert 'id="acting-for"' in text and f"/account/businesses/apply/{SERVICE}/" in text
    browser.post("/account/businesses/stop/")
    assert 'id="acting-for"' not in browser.get("/account/businesses/").content.decode()


def test_a_person_with_no_business_is_told_so(other_citizen):
    page = signed_in_client(other_citizen).get("/account/businesses/")
    assert page.status_code == 200 and 'id="no-businesses"' in page.content.decode()


def test_officers_do_not_get_business_pages(ssa_officer):
    assert signed_in_client(ssa_officer).get("/account/businesses/").status_code == 404
