"""Open data: every KPI and the daily rollup as CSV, JSON and Parquet under stable names, each with its dictionary.

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
        description="Each KPI over all time, and each transaction KPI per month, with its target and exclusions.",
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


def dataset_file(*, dataset: str, file_format: str) -> tuple[bytes, str]:
    """The dataset's bytes in the format, and its content type."""
    spec = dataset_get(dataset=dataset)
    if file_format not in FORMATS:
        raise NotFound()
    options = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true",
               "parquet": "FORMAT parquet, COMPRESSION zstd"}[file_format]
    con = warehouse.connect()
    columns = ", ".join(column.name for column in spec.columns)
    if dataset == "kpis":
        rows = kpi_rows()
        con.execute("CREATE TEMP TABLE source (" + ", ".join(f"{c.name} {c.type}" for c in spec.columns) + ")")
        if rows:
            marks = ", ".join("?" for _ in spec.columns)
            con.executemany(f"INSERT INTO source VALUES ({marks})", rows)  # noqa: S608 (placeholders only)
        query = f"SELECT {columns} FROM source"  # noqa: S608 (column names are the dataset's own constants)
    else:
        warehouse.refresh(max_batches=5, blocking=False)
        warehouse.views_create(con=con)
        query = f"SELECT {columns} FROM rollup ORDER BY day, agency_code, service_slug, channel, audience"  # noqa: S608
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / f"{dataset}.{file_format}"
        con.execute(f"COPY ({query}) TO '{target}' ({options})")
        con.close()
        return target.read_bytes(), FORMATS[file_format]
