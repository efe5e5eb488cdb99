"""Investigation reads: a supervisor's read is recorded with its reason and legal basis and kept from the person
until the date given; case officers cannot make one; the agency's supervisors see what is still hidden."""

import datetime as dt

import pytest
from django.utils import timezone

from digigov.blocks.consent.queries import access_records_for_account, hidden_access_records_for_agency
from digigov.blocks.identity.queries import account_for_person
from digigov.blocks.registries.queries import person_id_by_national_id
from tests.support import officer_account, signed_in_client

URL = "/backoffice/investigations/"


@pytest.fixture
def ssa_supervisor(nation):
    return officer_account("ssa.supervisor")


def _form(nation, **changes) -> dict:
    form = {
        "national_id": nation.demo_citizen_national_id,
        "elements": ["person.full_name", "person.monthly_income"],
        "reason": "Suspected undeclared income, case 2026/114",
        "legal_basis": "Social Support Act s. 42",
        "hidden_until": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }
    return form | changes


def test_a_supervisors_read_is_shown_recorded_and_hidden_until_the_date(nation, ssa_supervisor):
    response = signed_in_client(ssa_supervisor).post(URL, _form(nation))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="investigation-read"' in page
    person_id = person_id_by_national_id(national_id=nation.demo_citizen_national_id)
    record = hidden_access_records_for_agency(agency_id=ssa_supervisor.agency_id).get()
    assert record.person_id == person_id
    assert record.elements == ["person.full_name", "person.monthly_income"]
    assert record.legal_basis == "Social Support Act s. 42"
    assert record.hidden_reason == "Suspected undeclared income, case 2026/114"
    assert record.hidden_until == timezone.localdate() + dt.timedelta(days=90)
    # The person does not see it yet; the supervisors' oversight list does.
    citizen = account_for_person(person_id=person_id)
    assert record not in access_records_for_account(account=citizen)
    assert "Suspected undeclared income" in signed_in_client(ssa_supervisor).get(URL).content.decode()


def test_the_person_sees_the_read_once_the_date_has_passed(nation, ssa_supervisor):
    signed_in_client(ssa_supervisor).post(URL, _form(nation))
    record = hidden_access_records_for_agency(agency_id=ssa_supervisor.agency_id).get()
    type(record).objects.filter(pk=record.pk).update(hidden_until=timezone.localdate())
    citizen = account_for_person(person_id=record.person_id)
    assert access_records_for_account(account=citizen).filter(pk=record.pk).exists()
    assert not hidden_access_records_for_agency(agency_id=ssa_supervisor.agency_id).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"elements": []}, "elements"),
        ({"hidden_until": "tomorrow"}, "hidden_until"),
        ({"hidden_until": "2020-01-01"}, "hidden_until"),
        ({"hidden_until": (timezone.localdate() + dt.timedelta(days=3650)).isoformat()}, "hidden_until"),
        ({"national_id": "S0000000Z"}, "national_id"),
    ],
)
def test_incomplete_requests_read_nothing(nation, ssa_supervisor, changes, field):
    response = signed_in_client(ssa_supervisor).post(URL, _form(nation, **changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.content.decode()
    assert not hidden_access_records_for_agency(agency_id=ssa_supervisor.agency_id).exists()


def test_case_officers_cannot_make_hidden_reads(nation, ssa_officer):
    response = signed_in_client(ssa_officer).post(URL, _form(nation))
    assert response.status_code == 403
    assert not hidden_access_records_for_agency(agency_id=ssa_officer.agency_id).exists()


def test_other_agencies_do_not_see_the_hidden_reads(nation, ssa_supervisor):
    signed_in_client(ssa_supervisor).post(URL, _form(nation))
    hsg_supervisor = officer_account("hsg.supervisor")
    page = signed_in_client(hsg_supervisor).get(URL).content.decode()
    assert "Suspected undeclared income" not in page
    assert not hidden_access_records_for_agency(agency_id=hsg_supervisor.agency_id).exists()


def test_people_cannot_open_the_page(citizen):
    assert signed_in_client(citizen).get(URL).status_code == 404
