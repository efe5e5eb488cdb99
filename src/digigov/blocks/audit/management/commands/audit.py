"""`digigov audit verify | proof | public-key | seal`: check and export the tamper-evident audit log."""

import os
import resource
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.blocks.audit import actions, queries
from digigov.blocks.audit.sealing import public_key_bytes, public_key_pem
from digigov.platform.errors import DomainError


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the parallel verifier's processes): the
    machine-independent part of the speed, when other work shares the CPUs."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and seals, export inclusion proofs and the sealing public key."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        verify = commands.add_parser("verify", help="Exit 0 when the log is intact, 1 naming the first problem.")
        verify.add_argument("--from", dest="from_id", type=int, default=None, help="First entry id to check.")
        verify.add_argument("--to", dest="to_id", type=int, default=None, help="Last entry id to check.")
        verify.add_argument(
            "--processes", type=int, default=os.cpu_count() or 1, help="Check whole seals in parallel processes."
        )
        proof = commands.add_parser("proof", help="Print the JSON inclusion proof of one sealed entry.")
        proof.add_argument("entry_id", type=int)
        key = commands.add_parser("public-key", help="Print the public key that checks the seals.")
        key.add_argument("--format", choices=["base64", "pem"], default="base64")
        seal = commands.add_parser("seal", help="Chain and seal every settled entry now (the worker does this).")
        seal.add_argument("--settle", type=float, default=1.0, help="Seconds to let open transactions commit.")

    def handle(self, *args: object, command: str, **options: object) -> None:
        if command == "verify":
            self._verify(from_id=options["from_id"], to_id=options["to_id"], processes=int(options["processes"]))
        elif command == "proof":
            try:
                self.stdout.write(queries.proof_json(entry_id=int(options["entry_id"])))
            except DomainError as error:
                raise CommandError(error.message) from error
        elif command == "public-key":
            if options["format"] == "pem":
                self.stdout.write(public_key_pem().rstrip())
            else:
                self.stdout.write(queries.integrity.b64(public_key_bytes()))
        elif command == "seal":
            self._seal(settle=float(options["settle"]))

    def _verify(self, *, from_id: int | None, to_id: int | None, processes: int) -> None:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        result = queries.chain_verify_parallel(from_id=from_id, to_id=to_id, processes=processes)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        rate = result.checked / seconds if seconds else 0.0
        if not result.ok:
            self.stderr.write(f"TAMPERED {result.kind} entry={result.entry_id}: {result.problem}")
            self.stdout.write(f"checked {result.checked:,} entries before the problem")
            sys.exit(1)
        self.stdout.write(
            f"OK {result.checked:,} entries and {result.seals:,} seals verified in {seconds:.2f} s "
            f"({rate:,.0f} entries/s; {result.checked / cpu if cpu else 0:,.0f} per CPU-second); "
            f"{result.unchained:,} newer entries not chained yet"
        )

    def _seal(self, *, settle: float) -> None:
        horizon = actions.ChainHorizon(settle_seconds=settle)
        target, total = queries.entry_last_id(), 0
        while True:
            chained = actions.chain_and_seal(horizon=horizon)
            total += chained
            if not chained:
                if horizon.settled_max_id >= target or not settings.DIGIGOV_AUDIT_SEALING:
                    break
                time.sleep(min(settle / 2, 0.5))
        self.stdout.write(f"Chained and sealed {total:,} entries.")
