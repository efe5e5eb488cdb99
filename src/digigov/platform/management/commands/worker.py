import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from digigov.blocks.audit.actions import CHAIN_BATCH, ChainHorizon, chain_and_seal
from digigov.blocks.identity.actions import lapsed_records_purge
from digigov.blocks.kpi.tasks import WarehouseRefresh
from digigov.blocks.messaging.tasks import scheduled_sends_release
from digigov.platform.outbox import dispatch_pending


class Command(BaseCommand):
    help = "Deliver outbox events to subscribers (task creation, messages, KPIs) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is pending, then exit.")
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds to wait when nothing is pending.")

    def handle(self, *args, once: bool, interval: float, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("DigiGov worker delivering events")
        audit_horizon = ChainHorizon()  # how far the audit chain may extend; see docs/audit.md
        audit_due = 0.0  # when the next chaining pass is due (monotonic clock)
        purge_due = 0.0  # when lapsed sign-in records are next deleted: hourly
        kpi_refresh = WarehouseRefresh()  # folds new events into the KPI warehouse once a minute; docs/kpi.md
        while not stopping:
            # Scheduled messages now due become events first, so they are delivered in this same round.
            delivered = scheduled_sends_release()
            delivered += dispatch_pending()
            if once or time.monotonic() >= audit_due:
                chained = chain_and_seal(horizon=audit_horizon)
                # A full batch means more entries wait: the next pass is due at once.
                pause = 0.0 if chained >= CHAIN_BATCH else settings.DIGIGOV_AUDIT_CHAIN_INTERVAL
                audit_due = time.monotonic() + pause
                delivered += chained
            if time.monotonic() >= purge_due:
                lapsed_records_purge()
                purge_due = time.monotonic() + 3600
            kpi_refresh.run_if_due()  # not counted in `delivered`, so --once still means "until nothing is pending"
            if once and not delivered:
                break
            if not delivered:
                time.sleep(interval)
        self.stdout.write("DigiGov worker stopped")
