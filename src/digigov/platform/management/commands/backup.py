"""`digigov backup [--out FILE]`: an encrypted, checksummed, consistent archive of the database."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.platform.backup import BackupRefused, backup_create


class Command(BaseCommand):
    help = "Write a consistent snapshot of the database, encrypted (AES-256-GCM) and checksummed (SHA-256)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="Archive to write (default: var/backups/digigov-<time>.dgbackup).")

    def handle(self, *args: object, out: Path | None, **options: object) -> None:
        if out is None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            out = settings.PROJECT_DIR / "var" / "backups" / f"digigov-{stamp}.dgbackup"
        try:
            manifest = backup_create(out=out)
        except BackupRefused as error:
            raise CommandError(str(error)) from None
        ((name, file),) = manifest.files.items()
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the {manifest.engine} database to {out} ({out.stat().st_size:,} bytes; "
                f"{name} SHA-256 {file['sha256']})."
            )
        )
