import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_MEDIATOR_CLIENT = "DIGIGOV/GOV/SSA/demo-integrator"


class Command(BaseCommand):
    help = "Run the local demo: a local SMTP server that prints every email, the event worker and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("EMAIL_PORT", "1025")))

    def handle(self, *args, bind: str, smtp_port: int, **options):
        from digigov.platform.seeding import demo_sign_ins_text

        self.stdout.write(demo_sign_ins_text())
        self.stdout.write(self._govstack_demo_system())
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
        # SMS go to a local stand-in speaking the provider's HTTP API (settings DIGIGOV_SMS_*), which prints them.
        sms_sink = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            [sys.executable, "-m", "digigov.blocks.messaging.sms_standin", "--port", "8025"]
        )
        self.stdout.write("SMS go to the local SMS provider stand-in at 127.0.0.1:8025 and are printed below.")
        try:
            call_command("serve", bind=bind)
        finally:
            for sink in (mail_sink, sms_sink):
                sink.terminate()
                sink.wait(timeout=10)

    def _govstack_demo_system(self) -> str:
        """A calling system of the Social Support Agency that the demo's trusted mediator (127.0.0.1) vouches for,
        so the GovStack APIs can be tried with curl (docs/govstack.md)."""
        from digigov.blocks.identity import actions as identity_actions
        from digigov.blocks.identity import queries as identity_queries
        from digigov.blocks.registries.queries import agency_get

        if identity_queries.api_client_by_mediator(mediator_client=DEMO_MEDIATOR_CLIENT) is None:
            identity_actions.api_client_create(
                actor=None,
                name="demo-integrator",
                agency=agency_get(code="SSA"),
                apis=list(identity_actions.API_NAMES),
                roles=["case_officer"],
                mediator_client=DEMO_MEDIATOR_CLIENT,
            )
        return (
            "GovStack APIs (docs/govstack.md), as the Social Support Agency's demo system behind a mediator:\n"
            f"  curl -H 'Information-Mediator-Client: {DEMO_MEDIATOR_CLIENT}' "
            "http://127.0.0.1:8000/api/govstack/registration/services\n"
        )
