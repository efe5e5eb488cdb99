"""`digigov rules <subcommand>`: population-wide runs of the nation's rules.

Each subcommand is an object with `add_arguments(parser)` and `handle(*, options, stdout)`, listed in
SUBCOMMANDS; adding one is an import and an entry there.
"""

import datetime as dt
import time
from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.blocks.rules import simulation_cli
from digigov.platform.errors import DomainError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


class ScanCommand:
    """Evaluate every scheme for the whole population and offer them to people newly eligible."""

    @staticmethod
    def add_arguments(parser: CommandParser) -> None:
        from digigov.blocks.rules.scan import DEFAULT_CHUNK_SIZE

        parser.add_argument("--as-of", type=_date, required=True, help="Date the rules are applied at (YYYY-MM-DD).")
        parser.add_argument("--chunk-size", type=_positive, default=DEFAULT_CHUNK_SIZE, help="Households per chunk.")
        parser.add_argument(
            "--scheduler",
            default="",
            help="Dask scheduler address (tcp://host:8786); without it, local worker processes.",
        )
        parser.add_argument("--workers", type=_positive, default=2, help="Local worker processes.")

    @staticmethod
    def handle(*, options: dict[str, Any], stdout: Any) -> None:
        from digigov.blocks.rules.scan import scan_run

        started = time.perf_counter()
        outcome = scan_run(
            as_of=options["as_of"],
            chunk_size=options["chunk_size"],
            scheduler=options["scheduler"] or None,
            workers=options["workers"],
            progress=options.get("verbosity", 1) > 0,
        )
        scan = outcome.scan
        stdout.write(
            f"Scan {scan.pk} as of {scan.as_of}: {scan.persons_count:,} people, {scan.eligible_count:,} eligibilities, "
            f"{outcome.offers:,} new offers in this run ({scan.offers_count:,} in the scan), "
            f"{time.perf_counter() - started:.1f} s."
        )


SUBCOMMANDS: dict[str, Any] = {
    "scan": ScanCommand,
    "simulate": simulation_cli,
}


class Command(BaseCommand):
    help = "Population-wide runs of the nation's rules (proactive offers scan, policy simulation)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            summary = (subcommand.__doc__ or "").strip().splitlines()[0] if subcommand.__doc__ else name
            subcommand.add_arguments(subcommands.add_parser(name, help=summary, description=summary))

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        try:
            SUBCOMMANDS[subcommand].handle(options=options, stdout=self.stdout)
        except DomainError as error:
            raise CommandError(error.message) from None
