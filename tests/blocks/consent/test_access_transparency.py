"""Who accessed my data: every read states its ground, investigations stay hidden until their date, and the
person's list includes population-wide runs and filters by agency and date."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from digigov.blocks.consent.actions import access_record, population_access_record
from digigov.blocks.consent.models import AccessRecord
from digigov.blocks.consent.queries import access_entries_for_account
from digigov.blocks.registries.queries import AccessContext
from digigov.platform.errors import NotPermitted, ValidationFailed


def _refused(**kwargs) -> None:
    # A savepoint, as a request's own transaction would give: the failed action leaves nothing behind.
    with transaction.atomic():
        access_record(**kwargs)


def _context(officer, **overrides):
    values = {
        "accessor": officer,
        "agency": officer and officer.agency,
        "purpose": "Check a claim",
        "legal_basis": "Social Support Act s.12",
    }
    return AccessContext(**(values | overrides))


def test_a_read_without_legal_basis_or_consent_is_refused(citizen, ssa_officer):
    with pytest.raises(ValueError, match="legal basis"):
        _refused(person_id=citizen.person_id, elements=["person.email"], context=_context(ssa_officer, legal_basis=""))
    assert not AccessRecord.objects.filter(person_id=citizen.person_id, purpose="Check a claim").exists()


def test_the_person_sees_a_read_with_requester_agency_purpose_and_basis(citizen, ssa_officer):
    access_record(person_id=citizen.person_id, elements=["person.email"], context=_context(ssa_officer))
    entry = next(e for e in access_entries_for_account(account=citizen) if e.purpose == "Check a claim")
    assert entry.accessor == (ssa_officer.get_full_name() or ssa_officer.username)
    assert entry.agency_code == ssa_officer.agency.code
    assert entry.legal_basis == "Social Support Act s.12"
    assert entry.population is False


def test_a_hidden_investigation_read_appears_only_from_its_date(citizen, ssa_officer):
    until = timezone.localdate() + dt.timedelta(days=30)
    record = access_record(
        person_id=citizen.person_id,
        elements=["person.income"],
        context=_context(ssa_officer, purpose="Fraud case"),
        hidden_until=until,
        hidden_reason="Open fraud investigation FR-12",
    )
    assert not [e for e in access_entries_for_account(account=citizen) if e.purpose == "Fraud case"]

    AccessRecord.objects.filter(pk=record.pk).update(hidden_until=timezone.localdate())
    assert [e for e in access_entries_for_account(account=citizen) if e.purpose == "Fraud case"]


def test_hiding_a_read_needs_a_reason_and_a_future_date(citizen, ssa_officer):
    with pytest.raises(ValidationFailed) as caught:
        _refused(
            person_id=citizen.person_id,
            elements=["person.income"],
            context=_context(ssa_officer),
            hidden_until=timezone.localdate(),
            hidden_reason=" ",
        )
    assert set(caught.value.fields) == {"hidden_until", "hidden_reason"}


def test_only_an_officer_of_the_investigating_agency_may_hide_a_read(citizen, ssa_officer, hsg_officer):
    until = timezone.localdate() + dt.timedelta(days=5)
    with pytest.raises(NotPermitted):
        _refused(
            person_id=citizen.person_id,
            elements=["person.income"],
            context=_context(hsg_officer, agency=ssa_officer.agency),
            hidden_until=until,
            hidden_reason="Investigation",
        )
    with pytest.raises(NotPermitted):
        _refused(
            person_id=citizen.person_id,
            elements=["person.income"],
            context=_context(None, agency=ssa_officer.agency),
            hidden_until=until,
            hidden_reason="Investigation",
        )


def test_population_runs_are_listed_for_everyone(citizen, other_citizen, ssa_officer):
    population_access_record(
        actor=ssa_officer,
        agency=ssa_officer.agency,
        elements=["person.income"],
        purpose="Proactive eligibility scan",
        legal_basis="Social Support Act s.3",
        persons_count=300,
    )
    for account in (citizen, other_citizen):
        runs = [e for e in access_entries_for_account(account=account) if e.purpose == "Proactive eligibility scan"]
        assert len(runs) == 1 and runs[0].population is True


def test_the_list_filters_by_agency_and_date(citizen, ssa_officer, hsg_officer):
    access_record(person_id=citizen.person_id, elements=["person.email"], context=_context(ssa_officer))
    access_record(person_id=citizen.person_id, elements=["person.email"], context=_context(hsg_officer))
    old = access_record(
        person_id=citizen.person_id, elements=["person.email"], context=_context(ssa_officer, purpose="Old check")
    )
    AccessRecord.objects.filter(pk=old.pk).update(accessed_at=timezone.now() - dt.timedelta(days=400))

    ssa_only = access_entries_for_account(account=citizen, agency_code=ssa_officer.agency.code)
    assert ssa_only and {e.agency_code for e in ssa_only} == {ssa_officer.agency.code}

    today = timezone.localdate()
    recent = access_entries_for_account(account=citizen, date_from=today - dt.timedelta(days=1), date_to=today)
    assert "Check a claim" in {e.purpose for e in recent}
    assert "Old check" not in {e.purpose for e in recent}
    long_ago = today - dt.timedelta(days=400)
    assert {e.purpose for e in access_entries_for_account(account=citizen, date_from=long_ago, date_to=long_ago)} == {
        "Old check"
    }
