"""`digigov seed --residents N --seed S [--reset]`: build the synthetic nation and print the demo sign-ins."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.platform.seeding import NationAlreadySeeded, demo_sign_ins_text, nation_seed


class Command(BaseCommand):
    help = "Seed a deterministic synthetic nation (people, households, businesses, officers, service catalogue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=10_000, help="How many people live in the nation.")
        parser.add_argument("--seed", type=int, default=42, help="The same seed gives the same nation.")
        parser.add_argument(
            "--reset", action="store_true",
            help="Empty the database first (every table, applications included), then seed.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")
        parser.add_argument(
            "--history-months", type=int, default=12,
            help="Months of synthetic past transactions to create, so the KPI pages show trends (0 for none).",
        )

    def handle(self, *args: object, residents: int, seed: int, reset: bool, no_progress: bool, history_months: int,
               **options: object):
        if residents < 7:
            raise CommandError("--residents must be at least 7 (the demo families alone are 7 people).")
        try:
            summary = nation_seed(
                residents=residents, seed=seed, progress=not no_progress, reset=reset, history_months=history_months
            )
        except NationAlreadySeeded as error:
            raise CommandError(str(error)) from None
        if summary.created:
            self.stdout.write(self.style.SUCCESS(
                f"Seeded {summary.residents:,} residents, {summary.households:,} households and "
                f"{summary.businesses:,} businesses in {summary.seconds:.1f} s."
            ))
        else:
            self.stdout.write(f"The nation is already seeded ({summary.residents:,} residents, seed {seed}); "
                              "nothing changed.")
        self.stdout.write(demo_sign_ins_text(summary))
