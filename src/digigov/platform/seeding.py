"""Seeding a synthetic nation: each block loads its own part, in dependency order, in one transaction.

registries (agencies, data standard, people, households, addresses, businesses) -> identity (officers, demo
accounts) -> services (life events, catalogue, e-forms) -> messaging (templates).

Re-running is safe. The seed run is recorded in the audit log with its parameters: the same parameters again
print the demo sign-ins and change nothing; different parameters on a seeded database are refused unless
`reset=True`, which empties the database first (never silently: a reset loses every application).
"""

import random
import time
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import transaction

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.audit.queries import entries_for_object
from digigov.blocks.capability.synthetic import capability_seed
from digigov.blocks.identity.seeding import (
    OfficerSignIn,
    OfficerSpec,
    demo_totp_secret,
    officer_sign_ins,
    officers_create,
    person_accounts_create,
)
from digigov.blocks.kpi.synthetic import ServiceRef, history_generate
from digigov.blocks.messaging.actions import templates_load
from digigov.blocks.registries import catalogue as registry_catalogue
from digigov.blocks.registries import synthetic
from digigov.blocks.services.catalogue import catalogue_load
from digigov.blocks.services.queries import service_list
from digigov.platform.errors import Conflict

DEMO_PASSWORD = "digigov-demo-2026"  # noqa: S105 (published demo credential, printed by `digigov seed`)
OFFICER_ROLES = [
    # username suffix, roles
    ("case", ("case_officer",)),
    ("supervisor", ("supervisor",)),
    ("owner", ("service_owner",)),
]
_RECORD = {"object_type": "nation", "object_id": "seed"}
# Synthetic history: about one transaction a month for every 40 residents.
HISTORY_RESIDENTS_PER_TRANSACTION = 40


@dataclass(frozen=True)
class SeedSummary:
    residents: int
    households: int
    businesses: int
    seed: int
    demo_citizen_national_id: str
    demo_spouse_national_id: str
    demo_business_owner_national_id: str
    demo_password: str
    officers: list[OfficerSignIn] = field(default_factory=list)
    created: bool = True  # False when the nation was already there
    seconds: float = 0.0


class NationAlreadySeeded(Conflict):
    code = "nation_already_seeded"


def officer_usernames() -> list[str]:
    return [f"{code.lower()}.{suffix}" for code, *_rest in registry_catalogue.AGENCIES for suffix, _r in OFFICER_ROLES]


def _officer_specs(*, seed: int, agency_ids: dict[str, int]) -> list[OfficerSpec]:
    rng = random.Random(f"officers:{seed}")  # noqa: S311 (synthetic names, not security)
    specs = []
    for code, *_rest in registry_catalogue.AGENCIES:
        for suffix, roles in OFFICER_ROLES:
            username = f"{code.lower()}.{suffix}"
            specs.append(
                OfficerSpec(
                    username=username,
                    full_name=synthetic.officer_name_generate(rng=rng),
                    agency_id=agency_ids[code],
                    roles=roles,
                    totp_secret=demo_totp_secret(seed=seed, username=username),
                    email=f"{username}@agencies.example.gov",
                )
            )
    return specs


def _seed_record() -> dict | None:
    """The parameters of the seed run recorded in the audit log, if the database has been seeded."""
    entry = entries_for_object(**_RECORD).filter(action="platform:nation:seed").last()
    return entry.detail if entry else None


def _summary(*, record: dict, created: bool, seconds: float = 0.0) -> SeedSummary:
    demo = record["demo"]
    national_ids = synthetic.national_ids_of(person_ids=[demo["citizen"], demo["spouse"], demo["business_owner"]])
    counts = synthetic.nation_counts()
    return SeedSummary(
        residents=counts["residents"],
        households=counts["households"],
        businesses=counts["businesses"],
        seed=record["seed"],
        demo_citizen_national_id=national_ids.get(demo["citizen"], ""),
        demo_spouse_national_id=national_ids.get(demo["spouse"], ""),
        demo_business_owner_national_id=national_ids.get(demo["business_owner"], ""),
        demo_password=DEMO_PASSWORD,
        officers=officer_sign_ins(usernames=officer_usernames()),
        created=created,
        seconds=seconds,
    )


def nation_seed(
    *, residents: int, seed: int, progress: bool = False, reset: bool = False, history_months: int = 0
) -> SeedSummary:
    """Build the synthetic nation of `residents` people from `seed` (deterministic), or report the one there.
    With `history_months`, also that many months of past transactions, so the KPI pages have trends."""
    record = _seed_record()
    if record and record.get("residents") == residents and record.get("seed") == seed and not reset:
        return _summary(record=record, created=False)
    if not reset and (record or synthetic.nation_counts()["residents"]):
        existing = f"{record['residents']:,} residents, seed {record['seed']}" if record else "unrecorded data"
        raise NationAlreadySeeded(
            f"This database already holds a nation ({existing}). Run with --reset to empty it and seed again."
        )
    if reset:
        call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    with transaction.atomic():
        agency_ids = synthetic.reference_data_load()
        loaded = synthetic.population_load(residents=residents, seed=seed, agency_ids=agency_ids, progress=progress)
        demo = loaded.demo
        officers_create(officers=_officer_specs(seed=seed, agency_ids=agency_ids), password=DEMO_PASSWORD)
        person_accounts_create(
            person_ids=[demo.citizen_id, demo.spouse_id, demo.business_owner_id],
            password=DEMO_PASSWORD,
            emails=demo.emails,
        )
        catalogue_load()
        templates_load()
        capability_seed(residents=residents, seed=seed)
        if history_months:
            history_generate(
                services=[
                    ServiceRef(slug=s.slug, agency_code=s.agency.code, audience=s.audience) for s in service_list()
                ],
                months=history_months,
                per_month=max(50, residents // HISTORY_RESIDENTS_PER_TRANSACTION),
                seed=seed,
            )
        record = {
            "residents": residents,
            "seed": seed,
            "history_months": history_months,
            "demo": {
                "citizen": demo.citizen_id,
                "spouse": demo.spouse_id,
                "baby": demo.baby_id,
                "business_owner": demo.business_owner_id,
                "business": demo.business_id,
            },
        }
        entry_record(actor=None, action="platform:nation:seed", detail=record, **_RECORD)
    return _summary(record=record, created=True, seconds=time.perf_counter() - started)


def nation_summary() -> SeedSummary | None:
    """The seeded nation's demo sign-ins, or None before the first seed."""
    record = _seed_record()
    return _summary(record=record, created=False) if record else None


def demo_sign_ins_text(summary: SeedSummary | None = None) -> str:
    summary = summary or nation_summary()
    if summary is None:
        return "No nation has been seeded yet: run `digigov seed --residents 10000 --seed 42` first.\n"
    rule = "-" * 78
    lines = [
        rule,
        "Demo sign-ins",
        rule,
        f"Nation: {summary.residents:,} residents, {summary.households:,} households, "
        f"{summary.businesses:,} businesses (seed {summary.seed}).",
        "",
        f"Everyone's password: {summary.demo_password}",
        "",
        "Citizens sign in with their national ID number:",
        f"  {summary.demo_citizen_national_id}  Nur Aisyah binte Abdul Rahman - mother of a six-week-old baby",
        f"  {summary.demo_spouse_national_id}  Muhammad Hafiz bin Ismail - her husband",
        f"  {summary.demo_business_owner_national_id}  Tan Wei Ming - owner of Harbourlight Coffee Pte. Ltd.",
        "",
        "Officers sign in with their username, then a code from an authenticator app set up with their",
        "TOTP secret (add it as a time-based key):",
        f"  {'username':<16}{'agency':<8}{'roles':<28}TOTP secret",
    ]
    for officer in summary.officers:
        lines.append(
            f"  {officer.username:<16}{officer.agency_code:<8}{', '.join(officer.roles):<28}{officer.totp_secret}"
        )
    example = summary.officers[0].totp_secret if summary.officers else "SECRET"
    lines += [
        "",
        "No authenticator app? Print the current code for a secret with:",
        f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{example}').now())\"",
        rule,
    ]
    return "\n".join(lines) + "\n"
