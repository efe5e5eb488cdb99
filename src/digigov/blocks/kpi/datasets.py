"""Open data: every KPI (overall, by month, by agency), the rollups behind them and the capability records behind
the officer, cloud and project KPIs, as CSV, JSON and Parquet under stable names, each with its dictionary.

All three formats are written by DuckDB from the same rows, so a figure reads the same whichever file is taken.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from digigov.blocks.kpi import definitions, warehouse
from digigov.platform.errors import NotFound


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the DuckDB / Parquet type
    description: str


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    columns: tuple[Column, ...]


FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json", "parquet": "application/vnd.apache.parquet"}

_ROLLUP_MEASURES = {
    "submitted": "Applications submitted that day.",
    "prefilled": "Of those, applications with at least one answer filled from verified records.",
    "decided": "Applications decided that day.",
    "digital_end_to_end": "Of those, applied for online and decided and notified on the platform.",
    "ratings": "Satisfaction ratings given that day (6-point scale).",
    "satisfied": "Of those, ratings of 5 or 6.",
    "decision_seconds_sum": "Sum of seconds from submission to decision over the day's decisions.",
    "decision_count": "Decisions with a known time to decision (divide the sum by this for the mean).",
}

DATASETS: dict[str, Dataset] = {
    "kpis": Dataset(
        id="kpis", title="Blueprint KPIs",
        description="Each KPI over all time, and per month (transaction KPIs: months with transactions; officer, "
                    "cloud and project KPIs: the last 24 months), with its target, definition and exclusions.",
        columns=(
            Column("id", "VARCHAR", "Stable KPI identifier."),
            Column("name", "VARCHAR", "What the KPI measures."),
            Column("period", "VARCHAR", "all (every event so far), a month YYYY-MM, or now (catalogue KPIs)."),
            Column("value", "DOUBLE", "The figure: a share between 0 and 1, or days for a median."),
            Column("target", "DOUBLE", "The value the figure must reach (lower end of the Blueprint's range)."),
            Column("target_text", "VARCHAR", "The target as the Blueprint states it."),
            Column("unit", "VARCHAR", "share or days."),
            Column("numerator", "BIGINT", "Count behind a share (e.g. satisfied ratings)."),
            Column("denominator", "BIGINT", "Count it is divided by (e.g. all ratings)."),
            Column("met", "BOOLEAN", "Whether the figure meets the target; empty when there is no target or data."),
            Column("source", "VARCHAR", "transactions, service catalogue or data standards catalogue."),
            Column("formula", "VARCHAR", "How the figure is computed."),
            Column("exclusion_rules", "VARCHAR", "What the definition itself leaves out, and why."),
            Column("exclusions", "VARCHAR", "Services or groups left out, with reason and legal reference; "
                                            "entries separated by ' | '."),
        ),
    ),
    "rollup-daily": Dataset(
        id="rollup-daily", title="Daily transaction rollup",
        description="Transaction counts per day, agency, service, channel and audience, from which the transaction "
                    "KPIs are computed. Days are cut in the platform's time zone.",
        columns=(
            Column("day", "DATE", "Calendar day (ISO 8601) in the platform's time zone."),
            Column("agency_code", "VARCHAR", "Agency that owns the service."),
            Column("service_slug", "VARCHAR", "Service identifier in the service catalogue."),
            Column("channel", "VARCHAR", "online or counter (where the application was made)."),
            Column("audience", "VARCHAR", "citizen or business."),
            *(Column(name, "BIGINT", text) for name, text in _ROLLUP_MEASURES.items()),
        ),
    ),
    "kpis-by-agency": Dataset(
        id="kpis-by-agency", title="Blueprint KPIs by agency",
        description="Each KPI over all time (catalogue KPIs: now; officer, cloud and project KPIs: as of today) for "
                    "each agency, the drill-down of the dashboard.",
        columns=(
            Column("id", "VARCHAR", "Stable KPI identifier."),
            Column("agency_code", "VARCHAR", "Agency the figure is for."),
            Column("period", "VARCHAR", "all, or now (catalogue KPIs)."),
            Column("value", "DOUBLE", "The figure, in the KPI's unit."),
            Column("target", "DOUBLE", "The value the figure must reach (lower end of the Blueprint's range)."),
            Column("unit", "VARCHAR", "share, days, working days or projects."),
            Column("numerator", "BIGINT", "Count behind a share."),
            Column("denominator", "BIGINT", "Count it is divided by."),
            Column("met", "BOOLEAN", "Whether the figure meets the target."),
        ),
    ),
    "rollup-monthly": Dataset(
        id="rollup-monthly", title="Monthly transaction rollup",
        description="The daily rollup added up by month, agency, service, channel and audience.",
        columns=(
            Column("month", "VARCHAR", "Calendar month, YYYY-MM, in the platform's time zone."),
            Column("agency_code", "VARCHAR", "Agency that owns the service."),
            Column("service_slug", "VARCHAR", "Service identifier in the service catalogue."),
            Column("channel", "VARCHAR", "online or counter."),
            Column("audience", "VARCHAR", "citizen or business."),
            *(Column(name, "BIGINT", text.replace("that day", "that month").replace("the day's", "the month's"))
              for name, text in _ROLLUP_MEASURES.items()),
        ),
    ),
    "decision-time-histogram": Dataset(
        id="decision-time-histogram", title="Time to decision, histogram",
        description="Decisions per month, agency, service and time-to-decision bucket, from which the median days "
                    "to decision are read (buckets are eight per doubling of the time, about 9% wide).",
        columns=(
            Column("month", "VARCHAR", "Calendar month of the decision, YYYY-MM."),
            Column("agency_code", "VARCHAR", "Agency that owns the service."),
            Column("service_slug", "VARCHAR", "Service identifier in the service catalogue."),
            Column("bucket", "SMALLINT", "floor(log2(seconds + 1) * 8)."),
            Column("from_seconds", "DOUBLE", "Shortest time to decision in the bucket, in seconds."),
            Column("to_seconds", "DOUBLE", "Time to decision where the next bucket starts, in seconds."),
            Column("decisions", "BIGINT", "Decisions that took a time in the bucket."),
        ),
    ),
    "systems": Dataset(
        id="systems", title="Government IT systems and their hosting",
        description="The system inventory behind the commercial-cloud KPI: each system's agency, data classification "
                    "(which decides whether it may run on commercial cloud) and hosting.",
        columns=(
            Column("code", "VARCHAR", "System identifier."),
            Column("name", "VARCHAR", "System name."),
            Column("agency_code", "VARCHAR", "Agency that runs the system."),
            Column("classification", "VARCHAR", "Highest classification of the data it holds: open, restricted, "
                                                "confidential or sensitive."),
            Column("eligible_for_commercial_cloud", "BOOLEAN", "Open, restricted or confidential."),
            Column("hosting", "VARCHAR", "on_premises, government_cloud or commercial_cloud."),
            Column("commercial_cloud_since", "DATE", "When it moved to commercial cloud (empty if it has not)."),
            Column("commissioned_on", "DATE", "When it went into service."),
            Column("retired_on", "DATE", "When it was retired (empty while in service)."),
        ),
    ),
    "cross-agency-projects": Dataset(
        id="cross-agency-projects", title="Cross-agency AI and data-analytics projects",
        description="The project records behind the project KPIs: agencies taking part and how long the core data "
                    "took to fuse and share.",
        columns=(
            Column("code", "VARCHAR", "Project identifier."),
            Column("name", "VARCHAR", "Project name."),
            Column("kind", "VARCHAR", "ai or analytics."),
            Column("lead_agency_code", "VARCHAR", "Agency leading the project."),
            Column("agency_codes", "VARCHAR", "Every agency taking part, separated by spaces."),
            Column("started_on", "DATE", "Start date."),
            Column("data_requested_on", "DATE", "When the project asked for the core data."),
            Column("data_shared_on", "DATE", "When the fused data reached the project team (empty while waiting)."),
            Column("fusion_working_days", "INTEGER", "Working days (Monday to Friday) from request to sharing."),
        ),
    ),
}


def dataset_get(*, dataset: str) -> Dataset:
    if dataset not in DATASETS:
        raise NotFound()
    return DATASETS[dataset]


def _exclusions_text(exclusions: list[dict[str, str]]) -> str:
    def one(e: dict[str, str]) -> str:
        reference = f" ({e['legal_reference']})" if e["legal_reference"] else ""
        return f"{e['service_slug'] or 'people'}: {e['reason']}{reference}"

    return " | ".join(one(e) for e in exclusions)


def kpi_rows() -> list[tuple]:
    rows = []
    for figure in definitions.kpi_list(period="all", by_month=True):
        row = figure.as_row()
        row["exclusions"] = _exclusions_text(figure.exclusions)
        rows.append(tuple(row[column.name] for column in DATASETS["kpis"].columns))
    return rows


def _kpis_by_agency_rows() -> list[tuple]:
    from digigov.blocks.registries.queries import agency_list

    warehouse.refresh(max_batches=5, blocking=False)
    period = definitions.period_parse(text="all")
    rows = []
    for kpi in definitions.KPIS.values():
        for code, figure in sorted(definitions.kpi_breakdown(kpi=kpi, period=period, group="agency_code").items()):
            rows.append((kpi.id, code, "now" if kpi.from_catalogue else "all", figure.value, kpi.target_value,
                         kpi.unit, figure.numerator, figure.denominator, figure.met))
    known = {agency.code for agency in agency_list()}
    return [row for row in rows if row[1] in known]


def _system_rows() -> list[tuple]:
    from digigov.blocks.capability.queries import CLOUD_ELIGIBLE, system_list

    return [(s.code, s.name, s.agency_code, s.classification, s.classification in CLOUD_ELIGIBLE, s.hosting,
             s.commercial_cloud_since, s.commissioned_on, s.retired_on) for s in system_list()]


def _project_rows() -> list[tuple]:
    from digigov.blocks.capability.queries import project_list

    return [(p.code, p.name, p.kind, p.lead_agency_code, " ".join(p.agency_codes), p.started_on,
             p.data_requested_on, p.data_shared_on, p.fusion_working_days) for p in project_list()]


# Datasets built from rows in Python (figures and records); the others are SQL over the warehouse rollups.
_ROW_SOURCES = {"kpis": kpi_rows, "kpis-by-agency": _kpis_by_agency_rows, "systems": _system_rows,
                "cross-agency-projects": _project_rows}
_MONTH_MEASURES = ", ".join(f"sum({m})::BIGINT AS {m}" for m in _ROLLUP_MEASURES)
# Composed from this module's constants only (nothing from a request).
_WAREHOUSE_SOURCES = {
    "rollup-daily": "SELECT {columns} FROM rollup ORDER BY day, agency_code, service_slug, channel, audience",
    "rollup-monthly": f"SELECT strftime(day, '%Y-%m') AS month, agency_code, service_slug, "  # noqa: S608
                      f"channel, audience, {_MONTH_MEASURES} FROM rollup GROUP BY ALL ORDER BY ALL",
    "decision-time-histogram": f"SELECT strftime(month, '%Y-%m') AS month, agency_code, "  # noqa: S608
                               f"service_slug, bucket, "
                               f"2 ** (bucket / {warehouse.BUCKETS_PER_DOUBLING}) - 1 AS from_seconds, "
                               f"2 ** ((bucket + 1) / {warehouse.BUCKETS_PER_DOUBLING}) - 1 AS to_seconds, "
                               f"sum(decisions)::BIGINT AS decisions FROM hist GROUP BY ALL ORDER BY ALL",
}


def dataset_file(*, dataset: str, file_format: str) -> tuple[bytes, str]:
    """The dataset's bytes in the format, and its content type."""
    spec = dataset_get(dataset=dataset)
    if file_format not in FORMATS:
        raise NotFound()
    options = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true",
               "parquet": "FORMAT parquet, COMPRESSION zstd"}[file_format]
    con = warehouse.connect()
    columns = ", ".join(column.name for column in spec.columns)
    if dataset in _ROW_SOURCES:
        rows = _ROW_SOURCES[dataset]()
        con.execute("CREATE TEMP TABLE source (" + ", ".join(f"{c.name} {c.type}" for c in spec.columns) + ")")
        if rows:
            marks = ", ".join("?" for _ in spec.columns)
            con.executemany(f"INSERT INTO source VALUES ({marks})", rows)  # noqa: S608 (placeholders only)
        query = f"SELECT {columns} FROM source"  # noqa: S608 (column names are the dataset's own constants)
    else:
        warehouse.refresh(max_batches=5, blocking=False)
        warehouse.views_create(con=con)
        query = _WAREHOUSE_SOURCES[dataset].format(columns=columns)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / f"{dataset}.{file_format}"
        con.execute(f"COPY ({query}) TO '{target}' ({options})")
        con.close()
        return target.read_bytes(), FORMATS[file_format]
