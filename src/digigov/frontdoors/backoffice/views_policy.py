"""Policy simulation pages: a supervisor or service owner submits a reform (pasted, uploaded or one of the
shipped examples) to cost against today's rules for the whole population; the worker computes it in the
background while the run's page shows where it stands, then the results as charts and tables, to download as
CSV or Parquet."""

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from digigov.blocks.identity.queries import officer_roles
from digigov.blocks.rules.actions import simulation_request
from digigov.blocks.rules.queries import access_simulation_run, simulation_runs_for_agency
from digigov.blocks.rules.reform import MAX_TEXT_CHARS, example_reforms
from digigov.blocks.rules.schemes import SCHEMES_BY_KEY
from digigov.blocks.rules.simulation import ALL, SimulationResult, simulation_file, simulation_get
from digigov.frontdoors.backoffice.decorators import officer_required
from digigov.platform.errors import NotFound, ValidationFailed

POLICY_ROLES = {"supervisor", "service_owner"}
# GOV.UK tag colours of a run's status (rules SimulationRun.Status values).
STATUS_TAGS = {
    "queued": "govuk-tag--grey",
    "running": "govuk-tag--blue",
    "done": "govuk-tag--green",
    "failed": "govuk-tag--red",
}
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 280, 72, 16, 16, 48


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str  # "baseline" or "reform": the bar's fill
    label: str


@dataclass(frozen=True)
class ComparisonChart:
    """Baseline and reform side by side for each category, as SVG geometry."""

    key: str
    title: str
    width: int
    height: int
    left: int
    right_edge: int
    baseline_y: float
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    categories: list[tuple[float, str]]


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if value <= step * magnitude)


def _money(value: float) -> str:
    return number_format(round(value), decimal_pos=0, force_grouping=True)


def comparison_chart(*, key: str, title: str, points: list[tuple[str, float, float]]) -> ComparisonChart:
    """Bars for (category, baseline cost, reform cost)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_top(max([0.0, *(max(b, r) for _c, b, r in points)]) * 1.05)
    slot = plot_w / max(len(points), 1)
    bars, categories = [], []
    for index, (category, *values) in enumerate(points):
        x = LEFT + index * slot
        for offset, (series, value) in enumerate(zip(("baseline", "reform"), values, strict=True)):
            height = plot_h * max(value, 0) / top
            name = _("today's rules") if series == "baseline" else _("reform")
            bars.append(
                Bar(
                    x=round(x + slot * (0.1 + 0.4 * offset), 1),
                    y=round(TOP + plot_h - height, 1),
                    width=round(slot * 0.38, 1),
                    height=round(height, 1),
                    series=series,
                    label=f"{category}, {name}: {_money(value)}",
                )
            )
        categories.append((round(x + slot / 2, 1), category))
    ticks = [(round(TOP + plot_h * (1 - f), 1), _money(top * f)) for f in (0, 0.25, 0.5, 0.75, 1)]
    return ComparisonChart(
        key=key,
        title=title,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        baseline_y=TOP + plot_h,
        bars=bars,
        ticks=ticks,
        categories=categories,
    )


def _require_policy_role(request: HttpRequest) -> None:
    if not POLICY_ROLES & officer_roles(account=request.user):
        raise Http404()  # costing reforms is for supervisors and service owners; others need not know it is here


def _reform_text(request: HttpRequest) -> str:
    upload = request.FILES.get("reform_file")
    if upload:
        if upload.size > MAX_TEXT_CHARS:
            raise ValidationFailed(fields={"reform_file": _("A reform file must be under 64,000 characters")})
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(fields={"reform_file": _("Upload the reform as a UTF-8 YAML file")}) from None
    if text := request.POST.get("reform_text", "").strip():
        return text
    if example := request.POST.get("example"):
        examples = example_reforms()
        if example in examples:
            return examples[example]
    raise ValidationFailed(fields={"reform_text": _("Paste a reform, upload a file or choose an example")})


def _as_of(request: HttpRequest) -> dt.date | None:
    text = request.POST.get("as_of", "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(fields={"as_of": _("Enter the date as YYYY-MM-DD")}) from None


@officer_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    _require_policy_role(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            as_of = _as_of(request)
            text = _reform_text(request)
            try:
                run = simulation_request(
                    actor=request.user, agency_code=request.user.agency.code, reform_text=text, as_of=as_of
                )
            except ValidationFailed as error:
                # The form has one box for the YAML: list each problem, naming the place in the file.
                raise ValidationFailed(
                    fields={"reform_text": "; ".join(f"{field}: {message}" for field, message in error.fields.items())}
                ) from None
            return redirect("backoffice:policy-simulation", simulation_id=run.pk)
        except ValidationFailed as error:
            errors = {key: str(message) for key, message in error.fields.items()}
    return render(
        request,
        "backoffice/policy_start.html",
        {
            "errors": errors,
            "examples": sorted(example_reforms()),
            "chosen_example": request.POST.get("example", ""),
            "reform_text": request.POST.get("reform_text", ""),
            "as_of": request.POST.get("as_of", ""),
            "runs": [
                (run, STATUS_TAGS[run.status])
                for run in simulation_runs_for_agency(agency_code=request.user.agency.code)
            ],
            "nav_active": "policy",
        },
        status=400 if errors else 200,
    )


def _run_for(request: HttpRequest, run_id: str):
    try:
        result = simulation_get(run_id=run_id)
    except NotFound:
        raise Http404() from None
    if result.summary.get("agency") != request.user.agency.code:
        raise Http404()  # another agency's reform plans are not this agency's to read
    return result


def _label(scheme: str) -> str:
    return _("All schemes") if scheme == ALL else str(SCHEMES_BY_KEY[scheme].label)


def _results(result: SimulationResult) -> dict:
    """What the results page shows of a finished run: its summary, the tables and a chart before each."""
    schemes = [{**row, "label": _label(row["scheme"])} for row in result.tables["schemes"]]
    deciles = [row for row in result.tables["deciles"] if row["scheme"] == ALL]
    ages = [row for row in result.tables["age_groups"] if row["scheme"] == ALL]
    charts = [
        comparison_chart(
            key="schemes",
            title=_("Yearly cost by scheme"),
            points=[
                (row["label"], row["cost_baseline"], row["cost_reform"]) for row in schemes if row["scheme"] != ALL
            ],
        ),
        comparison_chart(
            key="deciles",
            title=_("Yearly cost by household income-per-head decile"),
            points=[(str(row["decile"]), row["cost_baseline"], row["cost_reform"]) for row in deciles],
        ),
        comparison_chart(
            key="age-groups",
            title=_("Yearly cost by age group"),
            points=[(row["age_group"], row["cost_baseline"], row["cost_reform"]) for row in ages],
        ),
    ]
    return {
        "run": result.summary,
        "total": next(row for row in schemes if row["scheme"] == ALL),
        "schemes": schemes,
        "deciles": deciles,
        "ages": ages,
        "charts": charts,
        "downloads": [(table, fmt) for table in ("schemes", "deciles", "age_groups") for fmt in ("csv", "parquet")],
        "nav_active": "policy",
    }


@officer_required
@require_GET
def policy_run(request: HttpRequest, run_id: str) -> HttpResponse:
    """The results of a finished run, by the name of its results folder (runs of the command line too)."""
    _require_policy_role(request)
    return render(request, "backoffice/policy_run.html", _results(_run_for(request, run_id)))


@officer_required
@require_GET
def policy_simulation(request: HttpRequest, simulation_id: uuid.UUID) -> HttpResponse:
    """A run submitted here: where it stands while queued or running (the officer reloads to check again, no
    script needed), why it failed, or its results once done."""
    _require_policy_role(request)
    try:
        simulation = access_simulation_run(officer=request.user, run_id=simulation_id)
    except NotFound:
        raise Http404() from None
    if simulation.status == simulation.Status.DONE:
        try:
            return render(request, "backoffice/policy_run.html", _results(simulation_get(run_id=simulation.result_id)))
        except NotFound:
            pass  # the results folder was removed from the warehouse: say so on the status page
    return render(
        request,
        "backoffice/policy_simulation.html",
        {
            "simulation": simulation,
            "status_tag": STATUS_TAGS[simulation.status],
            "in_progress": simulation.status in (simulation.Status.QUEUED, simulation.Status.RUNNING),
            "nav_active": "policy",
        },
    )


@officer_required
@require_GET
def policy_download(request: HttpRequest, run_id: str, table: str, fmt: str) -> FileResponse:
    _require_policy_role(request)
    _run_for(request, run_id)
    try:
        path = simulation_file(run_id=run_id, table=table, fmt=fmt)
    except NotFound:
        raise Http404() from None
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.apache.parquet"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{run_id}-{table}.{fmt}", content_type=content_type
    )
