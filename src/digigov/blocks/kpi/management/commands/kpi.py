"""`digigov kpi refresh | rebuild | synthesize | report`: keep the KPI warehouse (Parquet + DuckDB) up to date, and
write the periodic report."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.blocks.kpi import warehouse


class Command(BaseCommand):
    help = "Maintain the KPI warehouse: export new transaction events and update the daily rollups."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        refresh = actions.add_parser("refresh", help="Export events newer than the watermark; update their days.")
        refresh.add_argument("--batch", type=int, default=warehouse.BATCH, help="Events per Parquet file.")
        actions.add_parser("rebuild", help="Recompute every rollup from all exported events (after a repair).")
        synthesize = actions.add_parser(
            "synthesize", help="Add synthetic history straight to the warehouse (demos, benchmarks); not in the "
                               "operational database.")
        synthesize.add_argument("--events", type=int, default=1_000_000)
        synthesize.add_argument("--months", type=int, default=24)
        synthesize.add_argument("--seed", type=int, default=42)
        report = actions.add_parser("report", help="Write the HTML and PDF KPI report for a period.")
        report.add_argument("--period", required=True, help="all, 2026, 2026-Q3 or 2026-07")
        report.add_argument("--out", type=Path, default=None, help="Directory (default var/reports).")

    def handle(self, *args: object, action: str, **options: object) -> None:
        started = time.perf_counter()
        if action == "refresh":
            result = warehouse.refresh(batch=int(options["batch"]))
            self.stdout.write(f"Exported {result.exported:,} events in {result.batches} batches; months updated: "
                              f"{', '.join(result.months) or 'none'}; watermark {result.watermark}.")
        elif action == "rebuild":
            rows = warehouse.rollup_rebuild()
            self.stdout.write(f"Rebuilt {rows:,} rollup rows.")
        elif action == "report":
            self._report(period=str(options["period"]), directory=options["out"])
        elif action == "synthesize":
            self._synthesize(events=int(options["events"]), months=int(options["months"]), seed=int(options["seed"]))
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")

    def _report(self, *, period: str, directory: Path | None) -> None:
        from digigov.blocks.kpi.report import report_write
        from digigov.platform.errors import ValidationFailed

        try:
            html_path, pdf_path = report_write(period=period, directory=directory)
        except ValidationFailed as error:
            raise CommandError(error.fields.get("period", str(error))) from None
        self.stdout.write(f"Wrote {html_path} and {pdf_path}.")

    def _synthesize(self, *, events: int, months: int, seed: int) -> None:
        from digigov.blocks.kpi.synthetic import ServiceRef, history_to_parquet
        from digigov.blocks.services.queries import service_list

        services = [ServiceRef(slug=s.slug, agency_code=s.agency.code, audience=s.audience) for s in service_list()]
        if not services:
            raise CommandError("The service catalogue is empty: run `digigov seed` first.")
        files = history_to_parquet(services=services, months=months, events=events, seed=seed,
                                   directory=warehouse.warehouse_dir() / "incoming")
        months_touched = warehouse.events_import(files=files)
        self.stdout.write(f"Added about {events:,} synthetic events over {len(months_touched)} months.")
