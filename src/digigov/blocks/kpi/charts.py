"""KPI figures as people read them: monthly trend chart geometry, drawn as SVG on the pages and the HTML report
(no script; screen readers get <title>/<desc>; always followed by a table of the same numbers) and with fpdf2's
shapes in the PDF report, and each figure written in its unit."""

import math
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import ngettext

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class MonthLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    months: list[MonthLabel]
    target_y: float | None
    target_label: str


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _format(value: float, *, share: bool) -> str:
    if share:
        return f"{number_format(value * 100, decimal_pos=0)}%"
    return number_format(value, decimal_pos=1 if value < 10 else 0)


def chart_build(*, points: list[tuple[str, float | None]], target: float | None, share: bool) -> Chart:
    """Bars for each month's value (a gap where there is none) and a dashed line at the target."""
    values = [v for _label, v in points if v is not None]
    top = 1.0 if share else _nice_max(max([*values, target or 0, 0]) * 1.1)

    def y_of(value: float) -> float:
        return TOP + PLOT_H * (1 - min(value, top) / top)

    slot = PLOT_W / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 12))  # at most 12 month labels
    bars, months = [], []
    for i, (label, value) in enumerate(points):
        x = LEFT + i * slot
        if value is not None:
            y = y_of(value)
            bars.append(Bar(x=round(x + slot * 0.15, 1), y=round(y, 1), width=round(slot * 0.7, 1),
                            height=round(TOP + PLOT_H - y, 1), label=f"{label}: {_format(value, share=share)}"))
        if i % every == 0:
            months.append(MonthLabel(x=round(x + slot / 2, 1), label=label))
    ticks = [Tick(y=round(y_of(top * f), 1), label=_format(top * f, share=share)) for f in (0, 0.25, 0.5, 0.75, 1)]
    return Chart(
        width=WIDTH, height=HEIGHT, left=LEFT, right_edge=WIDTH - RIGHT, baseline=TOP + PLOT_H,
        bars=bars, ticks=ticks, months=months,
        target_y=round(y_of(target), 1) if target is not None else None,
        target_label=_format(target, share=share) if target is not None else "",
    )


def value_text(value: float | None, unit: str) -> str:
    """A KPI figure in its unit: a share as a percentage, otherwise a count of days, working days or projects."""
    if value is None:
        return "–"
    if unit == "share":
        # number_format cuts digits off; round first so 0.6667 reads 66.7%.
        return f"{number_format(round(value * 100, 1), decimal_pos=1)}%"
    amount = number_format(round(value, 1), decimal_pos=0 if float(value).is_integer() else 1)
    count = 1 if value == 1 else 2  # the plural form; amounts are never read as words
    if unit == "working days":
        return ngettext("%(n)s working day", "%(n)s working days", count) % {"n": amount}
    if unit == "projects":
        return ngettext("%(n)s project", "%(n)s projects", count) % {"n": amount}
    return ngettext("%(n)s day", "%(n)s days", count) % {"n": amount}
