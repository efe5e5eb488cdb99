"""`digigov keys rotate|rotate-index|status|generate-kek`: the data keys of envelope encryption and the
blind-index key (docs/security.md)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.platform import keys
from digigov.platform.backends.kms import KeyUnavailable, key_wrapper
from digigov.platform.index_rotation import index_rotation_run, rows_total
from digigov.platform.key_rotation import rotation_run


class Command(BaseCommand):
    help = "Rotate, list or generate the keys that encrypt sensitive data at rest."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser(
            "rotate",
            help="Re-encrypt every sensitive value under a new data key (online, resumable); with --new-kek, "
            "re-wrap the data keys under the KEK now configured instead.",
        )
        rotate.add_argument(
            "--new-kek",
            action="store_true",
            help="Re-wrap every data key under the current KEK (DIGIGOV_KEK / first line of DIGIGOV_KEK_FILE); "
            "the previous KEK must still be configured as DIGIGOV_KEK_PREVIOUS or a later line of the file.",
        )
        rotate.add_argument(
            "--data-key",
            action="store_true",
            help="With --new-kek, also rotate the data key (without --new-kek this is what rotate does).",
        )
        rotate.add_argument("--batch", type=int, default=1000, help="Values re-encrypted per transaction.")
        rotate.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")
        rotate_index = sub.add_parser(
            "rotate-index",
            help="Recompute every blind index under DIGIGOV_BLIND_INDEX_KEY after moving the old key to "
            "DIGIGOV_BLIND_INDEX_KEY_PREVIOUS (online, resumable; lookups try both keys meanwhile).",
        )
        rotate_index.add_argument("--batch", type=int, default=1000, help="Rows per transaction.")
        rotate_index.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")
        sub.add_parser("status", help="List the data keys, their KEK and how many values each encrypts.")
        sub.add_parser("generate-kek", help="Print a new random KEK (base64) for DIGIGOV_KEK or a KEK file.")

    def handle(self, *args: object, action: str, **options: object) -> None:
        try:
            if action == "rotate":
                self._rotate(**options)
            elif action == "rotate-index":
                self._rotate_index(**options)
            elif action == "status":
                self._status()
            else:
                self.stdout.write(keys.kek_generate())
        except KeyUnavailable as error:
            raise CommandError(str(error)) from None

    def _rotate(self, *, new_kek: bool, data_key: bool, batch: int, no_progress: bool, **options: object) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if new_kek:
            rewrapped = keys.keys_rewrap()
            keys.cache_clear()
            self.stdout.write(
                f"Re-wrapped {len(rewrapped)} data key(s) under KEK {key_wrapper().current_kek_id()}. "
                "Earlier KEKs can now be removed from the configuration."
            )
            if not data_key:
                return
        report = rotation_run(batch=batch, progress=not no_progress)
        verb = "Resumed the rotation to" if report.resumed else "Rotated to"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} data key {report.key_id}: {report.reencrypted:,} value(s) re-encrypted in "
                f"{report.batches} batch(es); retired key(s): {', '.join(map(str, report.retired)) or 'none'}."
            )
        )
        if legacy := keys.legacy_values():
            self.stdout.write(f"{legacy} value(s) still use DIGIGOV_DATA_KEY (version 1).")

    def _rotate_index(self, *, batch: int, no_progress: bool, **options: object) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        from tqdm import tqdm

        with tqdm(total=rows_total(), unit=" rows", desc="Recomputing blind indexes", disable=no_progress) as bar:
            report = index_rotation_run(batch=batch, on_batch=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {report.checked:,} row(s); {report.rewritten:,} index(es) moved onto the current key. "
                "Once no process uses the earlier key, remove DIGIGOV_BLIND_INDEX_KEY_PREVIOUS."
            )
        )

    def _status(self) -> None:
        self.stdout.write(f"Current KEK: {key_wrapper().current_kek_id()}")
        self.stdout.write(f"{'data key':>12}  {'state':<8} {'KEK':<17} {'created':<20} values")
        for key in keys.key_status():
            created = f"{key.created_at:%Y-%m-%d %H:%M:%S}"
            self.stdout.write(f"{key.id:>12}  {key.state:<8} {key.kek_id or '-':<17} {created:<20} {key.values:,}")
        self.stdout.write(f"Values under the legacy DIGIGOV_DATA_KEY: {keys.legacy_values():,}")
