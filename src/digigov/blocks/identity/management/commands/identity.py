"""`digigov identity client-add | rotate-signing-key | purge`: register OpenID Connect relying parties, rotate
the keys that sign ID tokens, and delete lapsed sign-in records (the worker also does that hourly)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digigov.blocks.identity.actions import lapsed_records_purge
from digigov.blocks.identity.oidc import actions
from digigov.blocks.registries.queries import agency_get
from digigov.platform.errors import NotFound, ValidationFailed


class Command(BaseCommand):
    help = "The OpenID Connect provider's relying parties and signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("client-add", help="Register a relying party.")
        add.add_argument("client_id")
        add.add_argument("--name", default="")
        add.add_argument("--agency", required=True, help="Code of the agency answerable for the client.")
        add.add_argument("--purpose", required=True, help="Shown to people on the consent screen.")
        add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        add.add_argument("--post-logout-redirect-uri", action="append", default=[], dest="post_logout_redirect_uris")
        add.add_argument(
            "--scope",
            action="append",
            default=["openid"],
            dest="scopes",
            help="openid, profile, email, phone, address (repeat)",
        )
        add.add_argument("--jwks-file", type=Path, help="The client's public keys (JSON Web Key Set).")
        add.add_argument("--jwks-uri", default="")
        add.add_argument("--sector", default="", help="Sector identifier for pairwise subjects.")
        add.add_argument("--id-token-alg", default="ES256", choices=actions.SIGNING_ALGS)
        add.add_argument("--sandbox", action="store_true", help="Sandbox client: may use a client secret.")
        rotate = commands.add_parser("rotate-signing-key", help="Sign with a new key; old keys stay published.")
        rotate.add_argument("--alg", default="ES256", choices=actions.SIGNING_ALGS)
        commands.add_parser("purge", help="Delete sign-in records that lapsed more than a day ago.")

    def handle(self, *args: object, action: str, **options: object) -> None:
        try:
            if action == "client-add":
                self._client_add(**options)
            elif action == "purge":
                counts = lapsed_records_purge()
                self.stdout.write("Deleted " + ", ".join(f"{count} {what}" for what, count in counts.items()) + ".")
            else:
                key = actions.signing_key_rotate(actor=None, alg=str(options["alg"]))
                self.stdout.write(f"Now signing {key.alg} ID tokens with key {key.kid}.")
        except ValidationFailed as error:
            raise CommandError("; ".join(f"{k}: {v}" for k, v in error.fields.items())) from None

    def _client_add(self, **options: object) -> None:
        try:
            agency = agency_get(code=str(options["agency"]))
        except NotFound:
            raise CommandError(f"No agency with code {options['agency']}.") from None
        jwks_file = options["jwks_file"]
        jwks = json.loads(Path(jwks_file).read_text()) if jwks_file else None
        client, secret = actions.client_register(
            actor=None,
            client_id=str(options["client_id"]),
            name=str(options["name"]),
            agency=agency,
            purpose=str(options["purpose"]),
            redirect_uris=list(options["redirect_uris"]),
            post_logout_redirect_uris=list(options["post_logout_redirect_uris"]),
            scopes=list(dict.fromkeys(options["scopes"])),
            jwks=jwks,
            jwks_uri=str(options["jwks_uri"]),
            sector_identifier=str(options["sector"]),
            id_token_alg=str(options["id_token_alg"]),
            is_sandbox=bool(options["sandbox"]),
        )
        self.stdout.write(f"Registered {client.client_id} (sector {client.sector_identifier}).")
        if secret:
            self.stdout.write(f"Client secret (shown once): {secret}")
