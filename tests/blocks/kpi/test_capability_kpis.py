"""The officer, cloud and project KPIs, computed from the capability block's records."""

import datetime as dt

import pytest

from digigov.blocks.capability import actions
from digigov.blocks.capability.models import DataProject, StaffMember, System
from digigov.blocks.kpi import definitions

JAN, JUN = dt.date(2025, 1, 15), dt.date(2025, 6, 15)


@pytest.fixture
def known_records(nation, warehouse_dir):
    """Four SSA officers and one HSG officer, four systems, three projects: values are known by hand."""
    StaffMember.objects.all().delete()
    System.objects.all().delete()
    DataProject.objects.all().delete()
    for number, agency in enumerate(["SSA", "SSA", "SSA", "SSA", "HSG"]):
        actions.staff_member_record(actor=None, staff_number=f"K{number}", agency_code=agency,
                                    joined_on=dt.date(2020, 1, 1))
    for number in (0, 1, 2):
        actions.training_record(actor=None, staff_number=f"K{number}", skill="digital_literacy", course="Essentials",
                                completed_on=JAN)
    actions.training_record(actor=None, staff_number="K4", skill="digital_literacy", course="Essentials",
                            completed_on=JUN)
    actions.training_record(actor=None, staff_number="K0", skill="data_analytics", course="Analytics",
                            completed_on=JUN)
    for code, classification, moved in (("S1", "open", JAN), ("S2", "restricted", None),
                                         ("S3", "confidential", JUN), ("S4", "sensitive", None)):
        actions.system_record(actor=None, code=code, name=code, agency_code="REV", classification=classification,
                              hosting="on_premises", commissioned_on=dt.date(2019, 1, 1))
        if moved:
            actions.system_hosting_change(actor=None, code=code, hosting="commercial_cloud", on=moved)
    for code, agencies, started, days_later in (("P1", ["SSA", "HSG"], dt.date(2025, 2, 3), 14),
                                                ("P2", ["REV", "SSA"], dt.date(2025, 6, 2), 3),
                                                ("P3", ["MOM", "BIZ", "REV"], dt.date(2024, 3, 4), 7)):
        actions.project_record(actor=None, code=code, name=code, kind="ai", agency_codes=agencies,
                               started_on=started, data_requested_on=started)
        actions.project_data_shared(actor=None, code=code, shared_on=started + dt.timedelta(days=days_later))


def _figures(period: str, **filters) -> dict[str, definitions.KpiFigure]:
    return {f.kpi.id: f for f in definitions.kpi_list(period=period, **filters)
            if f.period == period and f.kpi.from_records}


def test_officer_kpis_count_officers_in_service_at_the_end_of_the_period(known_records):
    march = _figures("2025-03")
    assert (march["officer_digital_literacy"].numerator, march["officer_digital_literacy"].denominator) == (3, 5)
    assert march["officer_data_analytics"].value == 0.0
    year = _figures("2025")
    assert year["officer_digital_literacy"].value == 0.8 and year["officer_digital_literacy"].met is False
    assert year["officer_data_analytics"].value == 0.2
    # 20,000 of 145,000 officers is the target share, whatever the size of the workforce.
    assert definitions.KPIS["officer_data_analytics"].target_value == pytest.approx(20_000 / 145_000, abs=1e-4)
    assert year["officer_data_analytics"].met is True


def test_the_cloud_kpi_leaves_sensitive_systems_out(known_records):
    assert _figures("2025-03")["commercial_cloud"].value == pytest.approx(1 / 3, abs=1e-4)
    year = _figures("2025")["commercial_cloud"]
    assert (year.numerator, year.denominator, year.met) == (2, 3, False)


def test_project_kpis_count_a_rolling_year_and_the_median_fusion_time(known_records):
    year = _figures("2025")
    assert year["cross_agency_projects"].value == 2  # P3 started more than a year before the end of 2025
    assert year["cross_agency_projects"].met is False
    # P1: 14 days = 10 working days; P2: Monday to Thursday = 3. Median 6.5 working days, under 7.
    assert (year["data_fusion_days"].value, year["data_fusion_days"].met) == (6.5, True)
    assert _figures("2025", agency_code="HSG")["data_fusion_days"].value == 10


def test_capability_kpis_have_a_monthly_trend_and_an_agency_drill_down(known_records):
    figures = definitions.kpi_compute(kpi=definitions.KPIS["officer_digital_literacy"],
                                      period=definitions.period_parse(text="2025-Q2"), by_month=True)
    assert [(f.period, f.value) for f in figures] == [("2025-Q2", 0.8), ("2025-04", 0.6), ("2025-05", 0.6),
                                                      ("2025-06", 0.8)]
    by_agency = definitions.kpi_breakdown(kpi=definitions.KPIS["officer_digital_literacy"],
                                          period=definitions.period_parse(text="2025"), group="agency_code")
    assert (by_agency["SSA"].value, by_agency["HSG"].value) == (0.75, 1.0)
    assert definitions.kpi_breakdown(kpi=definitions.KPIS["commercial_cloud"],
                                     period=definitions.period_parse(text="2025"), group="service_slug") == {}


def test_capability_kpis_are_not_shown_for_a_single_service(known_records):
    assert not _figures("2025", service_slug="baby-bonus")
