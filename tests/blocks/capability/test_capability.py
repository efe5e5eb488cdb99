import datetime as dt

import pytest
from django.utils import timezone

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.capability import actions, queries
from digigov.blocks.capability.models import DataProject, StaffMember, System, Training
from digigov.platform.errors import NotFound, ValidationFailed
from digigov.platform.models import Event

MONDAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(("start", "end", "days"), [
    (MONDAY, MONDAY, 0),
    (MONDAY, MONDAY + dt.timedelta(days=1), 1),  # Tuesday
    (MONDAY + dt.timedelta(days=4), MONDAY + dt.timedelta(days=7), 1),  # Friday to Monday
    (MONDAY, MONDAY + dt.timedelta(days=14), 10),
    (MONDAY + dt.timedelta(days=5), MONDAY + dt.timedelta(days=6), 0),  # Saturday to Sunday
    (MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=12), 6),  # Thursday to the next Saturday
])
def test_working_days_count_monday_to_friday_after_the_request(start, end, days):
    assert queries.working_days_between(start=start, end=end) == days


def test_an_officer_counts_as_literate_from_the_first_passed_assessment(no_capability_records):
    actions.staff_member_record(actor=None, staff_number="T1", agency_code="SSA", joined_on=dt.date(2020, 1, 1))
    actions.staff_member_record(actor=None, staff_number="T2", agency_code="SSA", joined_on=dt.date(2020, 1, 1))
    actions.training_record(actor=None, staff_number="T1", skill="digital_literacy", course="Essentials",
                            completed_on=dt.date(2026, 3, 10))
    actions.training_record(actor=None, staff_number="T2", skill="data_science", course="Applied data science",
                            completed_on=dt.date(2026, 5, 2))
    before, march, may = queries.skills_at(
        dates=[dt.date(2026, 3, 9), dt.date(2026, 3, 10), dt.date(2026, 5, 2)], agency_code="SSA")
    assert (before.staff, before.digital_literacy) == (2, 0)
    assert (march.digital_literacy, march.data_analytics) == (1, 0)
    assert may.data_analytics == 1  # data science includes the analytics skills
    assert Event.objects.filter(type="capability.training_completed").count() == 2
    assert AuditEntry.objects.filter(action="capability:training:record").count() == 2


def test_an_officer_who_left_is_no_longer_counted(no_capability_records):
    actions.staff_member_record(actor=None, staff_number="T3", agency_code="HSG", joined_on=dt.date(2019, 1, 1))
    actions.staff_member_leave(actor=None, staff_number="T3", left_on=dt.date(2026, 1, 31))
    during, after = queries.skills_at(dates=[dt.date(2026, 1, 30), dt.date(2026, 1, 31)], agency_code="HSG")
    assert (during.staff, after.staff) == (1, 0)


def test_training_for_an_unknown_officer_or_skill_is_refused(no_capability_records):
    with pytest.raises(NotFound):
        actions.training_record(actor=None, staff_number="NOBODY", skill="digital_literacy", course="x",
                                completed_on=MONDAY)
    actions.staff_member_record(actor=None, staff_number="T4", agency_code="SSA", joined_on=MONDAY)
    with pytest.raises(ValidationFailed) as refused:
        actions.training_record(actor=None, staff_number="T4", skill="juggling", course="", completed_on=MONDAY)
    assert set(refused.value.fields) == {"skill", "course"}


def test_only_eligible_systems_count_for_commercial_cloud(no_capability_records):
    for code, classification in (("A", "open"), ("B", "confidential"), ("C", "sensitive")):
        actions.system_record(actor=None, code=code, name=code, agency_code="REV", classification=classification,
                              hosting="on_premises", commissioned_on=dt.date(2020, 1, 1))
    actions.system_hosting_change(actor=None, code="A", hosting="commercial_cloud", on=dt.date(2026, 4, 1))
    with pytest.raises(ValidationFailed):
        actions.system_hosting_change(actor=None, code="C", hosting="commercial_cloud", on=dt.date(2026, 4, 1))
    march, april = queries.cloud_at(dates=[dt.date(2026, 3, 31), dt.date(2026, 4, 1)], agency_code="REV")
    assert (march.systems, march.eligible, march.on_commercial_cloud) == (3, 2, 0)
    assert (april.eligible, april.on_commercial_cloud) == (2, 1)
    assert queries.cloud_by_agency(on=dt.date(2026, 4, 1))["REV"] == april


def test_a_system_on_commercial_cloud_needs_its_move_date(no_capability_records):
    with pytest.raises(ValidationFailed) as refused:
        actions.system_record(actor=None, code="Z", name="Z", agency_code="REV", classification="open",
                              hosting="commercial_cloud", commissioned_on=MONDAY)
    assert "commercial_cloud_since" in refused.value.fields


def test_a_project_needs_two_agencies_and_keeps_its_fusion_time(no_capability_records):
    with pytest.raises(ValidationFailed) as refused:
        actions.project_record(actor=None, code="P0", name="Solo", kind="ai", agency_codes=["SSA", "SSA"],
                               started_on=MONDAY)
    assert "agency_codes" in refused.value.fields
    actions.project_record(actor=None, code="P1", name="Joint", kind="analytics", agency_codes=["SSA", "HSG"],
                           started_on=MONDAY, data_requested_on=MONDAY)
    project = actions.project_data_shared(actor=None, code="P1", shared_on=MONDAY + dt.timedelta(days=9))
    assert project.fusion_working_days == 7
    assert [p.code for p in queries.project_list(agency_code="HSG")] == ["P1"]
    assert queries.project_list(agency_code="REV") == []
    assert Event.objects.filter(type="capability.project_data_shared").count() == 1
    with pytest.raises(ValidationFailed):
        actions.project_data_shared(actor=None, code="P1", shared_on=MONDAY - dt.timedelta(days=1))


def test_the_seed_creates_a_workforce_in_proportion_and_realistic_shares(capability_records):
    assert capability_records["staff"] >= 400
    assert capability_records["trainings"] > capability_records["staff"]  # three years of courses
    today = timezone.localdate()
    skills = queries.skills_at(dates=[today])[0]
    assert 0.8 < skills.digital_literacy / skills.staff < 1.0
    assert 0.05 < skills.data_analytics / skills.staff < 0.25
    cloud = queries.cloud_at(dates=[today])[0]
    assert 0 < cloud.on_commercial_cloud < cloud.eligible < cloud.systems
    assert System.objects.filter(classification="sensitive", hosting="commercial_cloud").count() == 0
    projects = DataProject.objects.all()
    assert all(len(p.agency_codes) >= 2 and p.lead_agency_code == p.agency_codes[0] for p in projects)
    shared = [p for p in projects if p.data_shared_on]
    assert shared and all(p.fusion_working_days == queries.working_days_between(
        start=p.data_requested_on, end=p.data_shared_on) for p in shared)
    assert AuditEntry.objects.filter(action="capability:records:load").count() == 1


def test_seeding_twice_creates_nothing_more(capability_records):
    from digigov.blocks.capability.synthetic import capability_seed

    assert capability_seed(residents=300, seed=7) == {}
    assert StaffMember.objects.count() == capability_records["staff"]
    assert Training.objects.count() == capability_records["trainings"]
