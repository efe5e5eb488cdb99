"""`digigov restore FILE [--yes] [--verify-only]`: verify a backup archive, then restore it."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from digigov.platform.backup import BackupInvalid, BackupRefused, restore


class Command(BaseCommand):
    help = "Verify a backup archive completely, then replace the configured database with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--verify-only", action="store_true", help="Check the archive; change nothing.")

    def handle(self, *args: object, archive: Path, yes: bool, verify_only: bool, **options: object) -> None:
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        try:
            manifest = restore(archive=archive, verify_only=True)
            self.stdout.write(f"{archive} verifies: a {manifest.engine} backup made at {manifest.created_at}.")
            if verify_only:
                return
            target = connection.settings_dict["NAME"]
            if not yes:
                if not sys.stdin.isatty():
                    raise CommandError("Restoring replaces the database; pass --yes to confirm.")
                answer = input(f"This replaces every table of database {target}. Type 'yes' to continue: ")
                if answer.strip().lower() != "yes":
                    raise CommandError("Nothing restored.")
            # Verified again as it is restored: the file could have changed since the check above.
            restore(archive=archive)
        except (BackupInvalid, BackupRefused) as error:
            raise CommandError(f"Refused: {error}. The database was not changed.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Restored {target} from {archive}. Check the audit log with `digigov audit verify`.")
        )
