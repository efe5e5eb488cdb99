"""The public Blueprint KPI dashboard: every KPI with value, target, definition, trend and drill-down, read
from the warehouse."""

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from digigov.blocks.kpi import definitions
from digigov.blocks.kpi.actions import exclusion_record, transaction_event_record
from digigov.blocks.kpi.models import TransactionEvent


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def dashboard(nation, settings, tmp_path):
    """Known transactions in a warehouse of the test's own, and the seeded capability records."""
    from digigov.blocks.capability.synthetic import capability_seed

    settings.DIGIGOV_WAREHOUSE_DIR = tmp_path / "warehouse"
    TransactionEvent.objects.all().delete()
    capability_seed(residents=300, seed=7)
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    for day, service, agency, online in ((today, "baby-bonus", "SSA", True), (today, "baby-bonus", "SSA", False),
                                         (last_month, "baby-bonus", "SSA", True),
                                         (today, "register-a-business", "BIZ", True)):
        moment = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
        transaction_event_record(source_event_id=uuid.uuid4(), kind="decided", occurred_at=moment,
                                 application_id=uuid.uuid4(), agency_code=agency, service_slug=service,
                                 audience="citizen", channel="online" if online else "counter",
                                 digital_end_to_end=online, seconds_to_decision=86400)
    return Client()


def test_the_dashboard_lists_every_kpi_with_value_target_and_definition(dashboard):
    page = html(dashboard.get(reverse("portal:kpi-dashboard")))
    for kpi in definitions.KPIS.values():
        assert f'id="kpi-row-{kpi.id}"' in page
        assert escape(str(kpi.formula)) in page and escape(str(kpi.target)) in page
    row = re.search(r'id="kpi-row-digital_end_to_end".*?</tr>', page, re.S).group(0)
    assert "75.0%" in row and "Below target" in row  # 3 of 4 decisions digital end to end
    assert "/api/kpi/datasets/rollup-daily.parquet" in page and "/api/kpi/datasets/kpis/dictionary" in page
    assert "<script" not in page.split("</head>")[1]


def test_a_kpi_page_shows_the_definition_trend_table_and_drill_down(dashboard):
    page = html(dashboard.get(reverse("portal:kpi-detail", args=["digital_end_to_end"])))
    assert 'id="kpi-value">75.0%' in page
    assert escape(str(definitions.KPIS["digital_end_to_end"].formula)) in page
    assert 'role="img"' in page and 'id="chart-trend-title"' in page and 'id="kpi-trend-table"' in page
    trend = re.search(r'id="kpi-trend-table".*?</table>', page, re.S).group(0)
    assert trend.count('scope="row"') == 2  # this month and last
    by_agency = re.search(r'id="kpi-by-agency".*?</table>', page, re.S).group(0)
    assert 'href="?agency=SSA"' in by_agency and 'href="?agency=BIZ"' in by_agency
    assert 'href="?service=baby-bonus"' in page


def test_drilling_down_to_an_agency_and_a_service_narrows_the_figure(dashboard):
    url = reverse("portal:kpi-detail", args=["digital_end_to_end"])
    agency = html(dashboard.get(url, {"agency": "SSA"}))
    assert 'id="kpi-value">66.7%' in agency and 'id="kpi-by-agency"' not in agency
    assert 'href="?service=baby-bonus"' in agency
    service = html(dashboard.get(url, {"service": "register-a-business"}))
    assert 'id="kpi-value">100.0%' in service and "Meets target" in service


def test_a_capability_kpi_page_shows_the_scaled_target_and_agencies(dashboard):
    page = html(dashboard.get(reverse("portal:kpi-detail", args=["officer_data_analytics"])))
    scaled = re.search(r'Scaled to this workforce of (\d+) officers: (\d+) trained', page)
    assert scaled and int(scaled[2]) == round(int(scaled[1]) * 20_000 / 145_000)
    assert 'id="kpi-by-agency"' in page and 'id="kpi-by-service"' not in page
    assert page.count('scope="row"') >= 24  # a trend of 24 months, plus agencies
    per_service = html(dashboard.get(reverse("portal:kpi-detail", args=["officer_data_analytics"]),
                                     {"service": "baby-bonus"}))
    assert "measured for agencies, not for single services" in per_service
    elements = html(dashboard.get(reverse("portal:kpi-detail", args=["machine_readable_data"]),
                                  {"service": "baby-bonus"}))
    assert "measured for agencies, not for single services" in elements


def test_recorded_exclusions_are_listed_with_their_reason(dashboard):
    exclusion_record(kpi_id="e_signature", service_slug="register-a-birth", reason="The law asks for a wet-ink "
                     "signature on a birth declaration.", legal_reference="Births Act s.12")
    page = html(dashboard.get(reverse("portal:kpi-detail", args=["e_signature"])))
    table = re.search(r'id="kpi-exclusions".*?</table>', page, re.S).group(0)
    assert "Register a birth" in table and "wet-ink" in table and "Births Act s.12" in table


def test_a_period_narrows_the_figures_and_a_bad_one_is_explained(dashboard):
    url = reverse("portal:kpi-detail", args=["digital_end_to_end"])
    this_month = timezone.localdate().strftime("%Y-%m")
    page = html(dashboard.get(url, {"period": this_month}))
    assert 'id="kpi-value">66.7%' in page
    bad = dashboard.get(url, {"period": "2026-13"})
    assert bad.status_code == 400 and "govuk-error-summary" in html(bad) and 'href="#period"' in html(bad)
    assert dashboard.get(reverse("portal:kpi-dashboard"), {"period": "soon"}).status_code == 400


def test_unknown_kpis_agencies_and_services_are_not_found(dashboard):
    assert dashboard.get(reverse("portal:kpi-detail", args=["happiness"])).status_code == 404
    url = reverse("portal:kpi-detail", args=["e_payment"])
    assert dashboard.get(url, {"agency": "NOPE"}).status_code == 404
    assert dashboard.get(url, {"service": "no-such-service"}).status_code == 404


def test_every_kpi_page_renders(dashboard):
    for kpi_id in definitions.KPIS:
        for params in ({}, {"agency": "SSA"}, {"period": "2026"}):
            response = dashboard.get(reverse("portal:kpi-detail", args=[kpi_id]), params)
            assert response.status_code == 200, (kpi_id, params)
