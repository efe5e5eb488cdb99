import signal
import time

from django.core.management.base import BaseCommand

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
        while not stopping:
            delivered = dispatch_pending()
            if once and not delivered:
                break
            if not delivered:
                time.sleep(interval)
        self.stdout.write("DigiGov worker stopped")
