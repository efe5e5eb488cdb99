"""The citizen's "who accessed my data" page, its filters, its CSV export and the API equivalent."""

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils import timezone

from digigov.blocks.consent.actions import access_record, population_access_record
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.registries.queries import AccessContext


def _read(person_id, officer, *, purpose, days_ago=0, **extra):
    record = access_record(
        person_id=person_id,
        elements=["person.email"],
        context=AccessContext(accessor=officer, agency=officer.agency, purpose=purpose, legal_basis="Act s.1"),
        **extra,
    )
    if days_ago:
        AccessRecord.objects.filter(pk=record.pk).update(accessed_at=timezone.now() - dt.timedelta(days=days_ago))
    return record


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_page_filters_by_agency(citizen, ssa_officer, hsg_officer, client_for):
    _read(citizen.person_id, ssa_officer, purpose="Support review")
    _read(citizen.person_id, hsg_officer, purpose="Housing review")
    page = client_for(citizen).get(reverse("portal:my-data"), {"agency": hsg_officer.agency.code}).content.decode()
    accesses = page.split('id="accesses"')[1].split("</table>")[0]
    assert "Housing review" in accesses
    assert "Support review" not in accesses


def test_a_bad_date_shows_an_error_not_a_crash(citizen, client_for):
    response = client_for(citizen).get(reverse("portal:my-data"), {"date_from": "31/02/2026"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()


def test_the_csv_export_lists_the_filtered_entries_and_population_runs(citizen, ssa_officer, client_for):
    _read(citizen.person_id, ssa_officer, purpose="Recent review")
    _read(citizen.person_id, ssa_officer, purpose="Old review", days_ago=90)
    population_access_record(
        actor=None,
        agency=ssa_officer.agency,
        elements=["person.income"],
        purpose="=cmd|' /C calc'!A0",
        legal_basis="Act s.3",
        persons_count=300,
    )
    today = timezone.localdate()
    response = client_for(citizen).get(
        reverse("portal:my-data-access-csv"), {"date_from": (today - dt.timedelta(days=7)).isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    purposes = {row["Purpose"] for row in rows}
    assert "Recent review" in purposes and "Old review" not in purposes
    run = next(row for row in rows if row["Scope"] == "Everyone's records")
    assert run["Purpose"].startswith("'=")  # neutralised: spreadsheets must not run it as a formula


def test_hidden_investigation_reads_are_not_in_the_csv(citizen, ssa_officer, client_for):
    _read(
        citizen.person_id,
        ssa_officer,
        purpose="Covert check",
        hidden_until=timezone.localdate() + dt.timedelta(days=10),
        hidden_reason="Fraud investigation",
    )
    rows = _csv_rows(client_for(citizen).get(reverse("portal:my-data-access-csv")))
    assert "Covert check" not in {row["Purpose"] for row in rows}


def test_another_persons_reads_never_appear(citizen, other_citizen, ssa_officer, client_for):
    _read(other_citizen.person_id, ssa_officer, purpose="Spouse only")
    rows = _csv_rows(client_for(citizen).get(reverse("portal:my-data-access-csv")))
    assert "Spouse only" not in {row["Purpose"] for row in rows}


def test_the_api_filters_by_agency_and_date(citizen, ssa_officer, hsg_officer, client_for):
    _read(citizen.person_id, ssa_officer, purpose="Support review")
    _read(citizen.person_id, hsg_officer, purpose="Housing review", days_ago=40)
    client = client_for(citizen)
    body = client.get("/api/me/access-records", {"agency": ssa_officer.agency.code}).json()
    assert "Support review" in {e["purpose"] for e in body}
    assert {e["agency_code"] for e in body} == {ssa_officer.agency.code}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert "Housing review" not in {
        e["purpose"] for e in client.get("/api/me/access-records", {"date_from": since}).json()
    }
    bad = client.get("/api/me/access-records", {"date_from": "2026-02-31"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_failed"


def test_the_page_leads_to_offers_and_apps_with_access(citizen, client_for):
    page = client_for(citizen).get(reverse("portal:my-data")).content.decode()
    assert f'href="{reverse("portal:apps-with-access")}"' in page
    assert f'href="{reverse("portal:offers")}"' in page  # in the signed-in menu
