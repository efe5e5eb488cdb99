import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the local demo: a local SMTP server that prints every email, the event worker and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("EMAIL_PORT", "1025")))

    def handle(self, *args, bind: str, smtp_port: int, **options):
        from digigov.platform.seeding import demo_sign_ins_text

        self.stdout.write(demo_sign_ins_text())
        # A real SMTP conversation: the platform's SMTP backend delivers to this local server, which
        # prints each message (a stand-in for the nation's mail relay).
        mail_sink = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
                "-l",
                f"127.0.0.1:{smtp_port}",
            ]
        )
        os.environ["EMAIL_PORT"] = str(smtp_port)
        self.stdout.write(f"Emails are delivered over SMTP to 127.0.0.1:{smtp_port} and printed below.")
        try:
            call_command("serve", bind=bind)
        finally:
            mail_sink.terminate()
            mail_sink.wait(timeout=10)
