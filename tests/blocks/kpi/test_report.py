"""`digigov kpi report --period`: an HTML and a PDF report with the charts, figures as on the dashboard."""

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from digigov.blocks.kpi import definitions
from digigov.blocks.kpi.charts import value_text
from digigov.blocks.kpi.models import TransactionEvent


@pytest.fixture
def period_events(nation, warehouse_dir, record_event):
    """Decisions in two months of one quarter: 3 of 4 digital end to end, and the capability records."""
    from digigov.blocks.capability.synthetic import capability_seed

    TransactionEvent.objects.all().delete()
    capability_seed(residents=300, seed=7)
    today = timezone.localdate()
    year, quarter = divmod(today.year * 4 + (today.month - 1) // 3 - 1, 4)  # the last full quarter
    first = dt.date(year, quarter * 3 + 1, 1)
    for day, online in ((first, True), (first, False), (first + dt.timedelta(days=40), True),
                        (first + dt.timedelta(days=41), True)):
        record_event(kind="decided", day=day, digital_end_to_end=online, seconds_to_decision=2 * 86400,
                     channel="online" if online else "counter")
    return f"{year}-Q{quarter + 1}"


def test_the_report_command_writes_html_and_a_pdf_with_the_same_figures(period_events, tmp_path):
    out = io.StringIO()
    call_command("kpi", "report", "--period", period_events, "--out", str(tmp_path), stdout=out)
    html_path, pdf_path = tmp_path / f"kpi-report-{period_events}.html", tmp_path / f"kpi-report-{period_events}.pdf"
    assert str(pdf_path) in out.getvalue()
    html = html_path.read_text()
    pdf_bytes = pdf_path.read_bytes()
    assert pdf_bytes.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == 1 + len(definitions.KPIS)  # a summary, then a page (or more) per KPI
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Blueprint KPI report: {period_events}" in text and f"Blueprint KPI report: {period_events}" in html
    expected = {f.kpi.id: f for f in definitions.kpi_list(period=period_events, fresh=False)}
    assert expected["digital_end_to_end"].value == 0.75
    for kpi_id, figure in expected.items():
        shown = value_text(figure.value, figure.kpi.unit)
        row = re.search(rf'id="summary-{kpi_id}".*?</tr>', html, re.S).group(0)
        assert f'class="number">{shown}</td>' in row, kpi_id
        assert figure.kpi.name.split(" ")[0] in text
        assert shown.replace("–", "-") in text, (kpi_id, shown)
    # Charts: an SVG per monthly KPI in the HTML, drawn bars (filled rectangles) in the PDF.
    monthly = {f.kpi.id for f in definitions.kpi_list(period=period_events, by_month=True, fresh=False)
               if f.period not in (period_events, "now")}
    assert {"digital_end_to_end", "officer_digital_literacy", "data_fusion_days"} <= monthly
    assert html.count('role="img"') == len(monthly)
    assert 'id="digital_end_to_end-months"' in html
    digital_page = next(p for p in reader.pages if "Transactions completed digitally" in p.extract_text()
                        and "Formula" in p.extract_text())
    assert b" re" in digital_page.get_contents().get_data()  # rectangles: the chart's bars
    assert "75.0%" in digital_page.extract_text()


def test_a_bad_period_is_a_clear_command_error(nation, warehouse_dir, tmp_path):
    with pytest.raises(CommandError, match="Use all, a year"):
        call_command("kpi", "report", "--period", "last-summer", "--out", str(tmp_path))
    assert not list(tmp_path.iterdir())
