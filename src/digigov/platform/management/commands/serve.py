import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve DigiGov with gunicorn and run the event worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Do not start the event worker.")

    def handle(self, *args, bind: str, workers: int, no_worker: bool, **options):
        python = sys.executable
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "digigov.platform.settings"),
        }
        worker = None
        if not no_worker:
            worker = subprocess.Popen([python, "-m", "digigov.platform.cli", "worker"], env=env)  # noqa: S603
        self.stdout.write(f"DigiGov is serving on http://{bind}/ (Ctrl+C to stop)")
        try:
            subprocess.run(  # noqa: S603 (our own interpreter and fixed arguments)
                [
                    python,
                    "-m",
                    "gunicorn",
                    "digigov.platform.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                ],
                env=env,
                check=False,
            )
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
