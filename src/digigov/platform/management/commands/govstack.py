"""`digigov govstack client-add | client-revoke | load`: register agencies' calling systems for the GovStack APIs
and stand up a test instance from a JSON fixture (docs/govstack.md)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from digigov.blocks.identity import actions as identity_actions
from digigov.blocks.identity import queries as identity_queries
from digigov.blocks.registries.queries import agency_get
from digigov.frontdoors.govstack import messaging, registration, registries
from digigov.frontdoors.govstack.access import Caller
from digigov.platform.errors import DomainError, NotFound

# Loaded in this order: registries first; then services, their e-forms, applications and tasks; then templates.
LOADERS = (registries, registration, messaging)


class Command(BaseCommand):
    help = "Calling systems of the GovStack APIs, and loading a GovStack test fixture."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("client-add", help="Register an agency's calling system; prints its API key.")
        add.add_argument("name")
        add.add_argument("--agency", required=True, help="Code of the agency the system belongs to.")
        add.add_argument("--api", action="append", required=True, dest="apis", help="registries/registration/messaging")
        add.add_argument("--role", action="append", default=[], dest="roles", help="case_officer, supervisor, ...")
        add.add_argument("--mediator-client", default="", help="INSTANCE/CLASS/MEMBER/SUBSYSTEM behind a mediator.")
        add.add_argument("--jwks-file", type=Path, help="Public keys for OAuth client credentials (private_key_jwt).")
        add.add_argument("--sandbox", action="store_true", help="A system under test: synthetic people only.")
        revoke = commands.add_parser("client-revoke", help="Stop a calling system's key, tokens and mediator id.")
        revoke.add_argument("name")
        load = commands.add_parser("load", help="Load registries, services, e-forms, applications, tasks, templates.")
        load.add_argument("file", type=Path)
        load.add_argument("--as", dest="client", default="", help="The calling system to load as (else the file's).")

    def handle(self, *args: object, action: str, **options: Any) -> None:
        try:
            if action == "client-add":
                self._client_add(**options)
            elif action == "client-revoke":
                client = identity_queries.api_client_by_name(name=options["name"])
                if client is None:
                    raise CommandError(f"No active calling system named {options['name']}.")
                identity_actions.api_client_revoke(actor=None, client=client)
                self.stdout.write(f"Revoked {client.name}.")
            else:
                self._load(path=options["file"], client_name=options["client"])
        except DomainError as error:
            details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
            raise CommandError(f"{error.message} {details}".strip()) from None

    def _agency(self, code: str) -> Any:
        try:
            return agency_get(code=code)
        except NotFound:
            raise CommandError(f"No agency with code {code}.") from None

    def _client_add(self, **options: Any) -> None:
        jwks_file = options["jwks_file"]
        client, key = identity_actions.api_client_create(
            actor=None,
            name=options["name"],
            agency=self._agency(options["agency"]),
            apis=options["apis"],
            roles=options["roles"],
            mediator_client=options["mediator_client"],
            oidc_jwks=json.loads(jwks_file.read_text()) if jwks_file else None,
            is_sandbox=options["sandbox"],
        )
        sandbox = " (sandbox: synthetic people only)" if client.is_sandbox else ""
        self.stdout.write(f"Registered {client.name} for {', '.join(client.apis)}{sandbox}.")
        self.stdout.write(f"API key (shown once; send it as the Authorization header): {key}")

    def _load(self, *, path: Path, client_name: str) -> None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        if not isinstance(data, dict):
            raise CommandError("The fixture must be a JSON object.")
        with transaction.atomic():  # all or nothing: a half-loaded instance has ids nobody can rely on
            client = self._loading_client(data=data, client_name=client_name)
            caller = Caller(
                account=client.account,
                agency=client.account.agency,
                client_id=client.pk,
                label=f"fixture:{client.name}",
                via="fixture",
                sandbox=client.is_sandbox,
            )
            counts: dict[str, int] = {}
            for adapter in LOADERS:
                try:
                    counts |= adapter.fixture_load(caller=caller, data=data)
                except (KeyError, TypeError, AttributeError) as error:
                    shape = "The fixture is not in the documented shape (docs/govstack.md)"
                    raise CommandError(f"{shape}: {error!r}") from None
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count) or "nothing"
        self.stdout.write(f"Loaded {summary} as {client.name}.")

    def _loading_client(self, *, data: dict, client_name: str) -> Any:
        if client_name:
            client = identity_queries.api_client_by_name(name=client_name)
            if client is None:
                raise CommandError(f"No active calling system named {client_name}.")
            return client
        spec = data.get("client")
        if not isinstance(spec, dict) or not spec.get("name") or not spec.get("agency"):
            raise CommandError('Give --as NAME, or a "client": {"name", "agency", "apis", "roles"} in the file.')
        existing = identity_queries.api_client_by_name(name=str(spec["name"]))
        if existing is not None:
            return existing
        client, key = identity_actions.api_client_create(
            actor=None,
            name=str(spec["name"]),
            agency=self._agency(str(spec["agency"])),
            apis=list(spec.get("apis") or identity_actions.API_NAMES),
            roles=list(spec.get("roles") or []),
            mediator_client=str(spec.get("mediator_client", "")),
            is_sandbox=bool(spec.get("sandbox", False)),
        )
        self.stdout.write(f"Registered {client.name}; API key (shown once): {key}")
        return client
