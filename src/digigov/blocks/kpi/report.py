"""The periodic KPI report (`digigov kpi report --period 2026-Q3`): every Blueprint KPI for the period with its
definition, target, exclusions, monthly trend chart and table, and figures by agency; written as a standalone
HTML file and as a PDF (fpdf2, charts drawn with its vector shapes) from the same figures."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace

from digigov.blocks.kpi import definitions, warehouse
from digigov.blocks.kpi.charts import Chart, chart_build, value_text

# fpdf2's built-in fonts cover Latin-1 only; a few typographic characters the texts use are spelled plainly.
_PLAIN = str.maketrans({"–": "-", "—": "-", "≤": "<=", "≥": ">=", "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x"})


@dataclass(frozen=True)
class Section:
    kpi: definitions.Kpi
    figure: definitions.KpiFigure | None
    value: str
    months: list[tuple[str, str, int | None, int | None]]  # month, value, counted, out of
    chart: Chart | None
    agencies: list[tuple[str, str, int | None, int | None]]  # agency name, value, counted, out of


@dataclass(frozen=True)
class Report:
    period: str
    generated_at: dt.datetime
    sections: list[Section]


def report_build(*, period: str) -> Report:
    """The report's figures: the same computations the dashboard and `GET /api/kpi/kpis` use."""
    from digigov.blocks.registries.queries import agency_list

    parsed = definitions.period_parse(text=period)
    warehouse.refresh(blocking=True)
    names = {agency.code: agency.name for agency in agency_list()}
    sections = []
    for kpi in definitions.KPIS.values():
        figures = definitions.kpi_compute(kpi=kpi, period=parsed, by_month=True)
        figure, months = (figures[0], figures[1:]) if figures else (None, [])
        by_agency = definitions.kpi_breakdown(kpi=kpi, period=parsed, group="agency_code")
        sections.append(Section(
            kpi=kpi, figure=figure, value=value_text(figure.value if figure else None, kpi.unit),
            months=[(f.period, value_text(f.value, kpi.unit), f.numerator, f.denominator) for f in months],
            chart=chart_build(points=[(f.period, f.value) for f in months], target=kpi.target_value,
                              share=kpi.unit == "share") if months else None,
            agencies=sorted((names.get(code, code), value_text(f.value, kpi.unit), f.numerator, f.denominator)
                            for code, f in by_agency.items()),
        ))
    return Report(period=parsed.label, generated_at=timezone.localtime(), sections=sections)


def report_html(*, report: Report) -> str:
    return render_to_string("kpi/report.html", {"report": report})


def _plain(text: object) -> str:
    return str("-" if text is None else text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _status(figure: definitions.KpiFigure | None) -> str:
    if figure is None or figure.value is None:
        return _("no data")
    return {True: _("meets target"), False: _("below target")}.get(figure.met, _("no target"))


def _chart_draw(pdf: FPDF, chart: Chart, *, title: str) -> None:
    scale = (pdf.w - pdf.l_margin - pdf.r_margin) / chart.width
    height = chart.height * scale
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()

    def x(value: float) -> float:
        return x0 + value * scale

    def y(value: float) -> float:
        return y0 + value * scale

    pdf.set_font("Helvetica", size=7)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(177, 180, 182)
    for tick in chart.ticks:
        pdf.line(x(chart.left), y(tick.y), x(chart.right_edge), y(tick.y))
        pdf.text(x(chart.left - 4) - pdf.get_string_width(_plain(tick.label)), y(tick.y) + 1, _plain(tick.label))
    pdf.set_fill_color(29, 112, 184)
    for bar in chart.bars:
        pdf.rect(x(bar.x), y(bar.y), bar.width * scale, bar.height * scale, style="F")
    if chart.target_y is not None:
        pdf.set_draw_color(212, 53, 28)
        pdf.set_line_width(0.5)
        pdf.set_dash_pattern(dash=1.5, gap=1)
        pdf.line(x(chart.left), y(chart.target_y), x(chart.right_edge), y(chart.target_y))
        pdf.set_dash_pattern()
    pdf.set_draw_color(11, 12, 12)
    pdf.set_line_width(0.2)
    pdf.line(x(chart.left), y(chart.baseline), x(chart.right_edge), y(chart.baseline))
    for month in chart.months:
        pdf.text(x(month.x) - pdf.get_string_width(month.label) / 2, y(chart.baseline) + 5, month.label)
    pdf.set_y(y0 + height + 2)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _plain(_("Chart: %(name)s by month; bars are months, the dashed line is the target. The "
                                  "same figures are in the table below.") % {"name": title}),
                   new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, header: tuple[str, ...], rows: list[tuple], widths: tuple[int, ...]) -> None:
    pdf.set_font("Helvetica", size=8)
    pdf.set_draw_color(177, 180, 182)
    pdf.set_fill_color(243, 242, 241)  # headings: light grey, as GOV.UK tables
    with pdf.table(col_widths=widths, text_align=("LEFT", *("RIGHT",) * (len(header) - 1)), line_height=4.5,
                   first_row_as_headings=True, borders_layout="HORIZONTAL_LINES",
                   headings_style=FontFace(emphasis="BOLD", fill_color=(243, 242, 241))) as table:
        for values in (header, *rows):
            row = table.row()
            for value in values:
                row.cell(_plain(value))
    pdf.ln(3)


def report_pdf(*, report: Report) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    title = _("Blueprint KPI report: %(period)s") % {"period": report.period}
    pdf.set_title(_plain(title))
    pdf.set_author("DigiGov")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _plain(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, _plain(_("Generated %(moment)s. Every figure is computed from what happened on the platform; "
                                  "the open data is at /api/kpi/datasets/.")
                                % {"moment": f"{report.generated_at:%Y-%m-%d %H:%M %Z}"}),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, (_("KPI"), _("Value"), _("Target"), _("Status")),
           [(s.kpi.name, s.value, s.kpi.target, _status(s.figure)) for s in report.sections], (90, 25, 45, 30))
    for section in report.sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 7, _plain(section.kpi.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _plain(_("%(value)s (target %(target)s; %(status)s)") % {
            "value": section.value, "target": section.kpi.target, "status": _status(section.figure)}),
            new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        exclusions = [f"{e['service_slug'] or _('a group of people')}: {e['reason']}"
                      + (f" ({e['legal_reference']})" if e["legal_reference"] else "")
                      for e in (section.figure.exclusions if section.figure else [])]
        for label, text in ((_("Formula"), section.kpi.formula), (_("Source"), section.kpi.source),
                            (_("Left out by definition"), section.kpi.exclusion_rules or "-"),
                            (_("Recorded exclusions"), "; ".join(exclusions) or _("none"))):
            pdf.multi_cell(0, 4.5, _plain(f"{label}: {text}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        if section.chart:
            _chart_draw(pdf, section.chart, title=section.kpi.name)
            _table(pdf, (_("Month"), _("Value"), _("Counted"), _("Out of")), section.months, (40, 50, 40, 40))
        if section.agencies:
            _table(pdf, (_("Agency"), _("Value"), _("Counted"), _("Out of")), section.agencies, (80, 40, 25, 25))
    return bytes(pdf.output())


def report_write(*, period: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Write `kpi-report-<period>.html` and `.pdf`; returns their paths."""
    directory = directory or Path(settings.DIGIGOV_WAREHOUSE_DIR).parent / "reports"
    directory.mkdir(parents=True, exist_ok=True)
    report = report_build(period=period)
    html_path, pdf_path = directory / f"kpi-report-{report.period}.html", directory / f"kpi-report-{report.period}.pdf"
    html_path.write_text(report_html(report=report), encoding="utf-8")
    pdf_path.write_bytes(report_pdf(report=report))
    return html_path, pdf_path
