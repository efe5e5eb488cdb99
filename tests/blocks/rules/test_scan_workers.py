"""The scan as `digigov rules scan` runs it, outside any transaction, with local worker processes: they read
their chunks through their own connections and record them too. The offers are the same as when the scanning
process reads and records every chunk itself."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from digigov.blocks.rules.models import Offer, Scan, ScanChunk
from digigov.blocks.rules.scan import scan_run
from digigov.platform.models import Event
from digigov.platform.seeding import nation_seed

AS_OF = dt.date(2026, 6, 15)


@pytest.fixture
def small_nation(transactional_db):
    # A transactional test ends by flushing the database: start from an empty one and seed a small nation.
    call_command("flush", interactive=False, verbosity=0)
    return nation_seed(residents=120, seed=11)


def _offers() -> set[tuple[int, str]]:
    return set(Offer.objects.values_list("person_id", "scheme_key"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQLite test database is in memory: see below")
def test_workers_that_read_and_record_their_chunks_make_the_offers_the_scanning_process_would(small_nation):
    outcome = scan_run(as_of=AS_OF, chunk_size=8, workers=2, progress=False)
    by_workers = _offers()
    assert outcome.finished and outcome.scan.chunks_total > 3
    assert outcome.offers == len(by_workers) > 0
    assert not ScanChunk.objects.filter(scan=outcome.scan, done_at__isnull=True).exists()
    announced = [tuple(pair) for e in Event.objects.filter(type="rules.offers_made") for pair in e.payload["offers"]]
    assert sorted(announced) == sorted((str(pk), person) for pk, person in Offer.objects.values_list("id", "person_id"))

    Offer.objects.all().delete()
    Event.objects.filter(type="rules.offers_made").delete()
    Scan.objects.all().delete()
    with transaction.atomic():  # inside a transaction the scanning process reads and records every chunk itself
        in_process = scan_run(as_of=AS_OF, chunk_size=8, workers=2, progress=False)
    assert in_process.offers == outcome.offers
    assert _offers() == by_workers


IN_PROCESS_SCAN = """
import datetime as dt, sys, django
django.setup()
from django.db import transaction
from digigov.blocks.rules.scan import scan_run
with transaction.atomic():  # inside a transaction the scanning process reads and records every chunk itself
    print(scan_run(as_of=dt.date.fromisoformat(sys.argv[1]), chunk_size=8, workers=2, progress=False).offers)
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the PostgreSQL case is the test above")
def test_on_sqlite_workers_take_turns_writing_and_make_the_offers_the_scanning_process_would(tmp_path):
    # A database file (the test database is in memory, which other processes cannot open), seeded once and
    # copied, so both ways of scanning start from the same nation.
    digigov = str(Path(sys.executable).parent / "digigov")
    env = {
        **os.environ,
        "DIGIGOV_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
    }

    def run(*args: str, database: str) -> None:
        url = f"sqlite:///{tmp_path / database}"
        subprocess.run(args, env={**env, "DATABASE_URL": url}, check=True, capture_output=True)  # noqa: S603

    run(digigov, "migrate", "--no-input", database="workers.sqlite3")
    run(digigov, "seed", "--residents", "120", "--seed", "11", "--no-progress", database="workers.sqlite3")
    with sqlite3.connect(tmp_path / "workers.sqlite3") as source, sqlite3.connect(tmp_path / "alone.sqlite3") as copy:
        source.backup(copy)

    def offers(name: str) -> set[tuple[int, str, int]]:
        with sqlite3.connect(tmp_path / name) as database:
            return set(database.execute("SELECT person_id, scheme_key, scan_id FROM rules_offer").fetchall())

    # A first scan, its offers dismissed, then a scan four years on, which offers only to people newly eligible:
    # the workers compare with the first scan's results, which they inherit from the scanning process (without
    # them, everyone still eligible would be offered again, nobody holding an open offer any more).
    for as_of in (AS_OF, AS_OF.replace(year=AS_OF.year + 4)):
        run(digigov, "rules", "scan", "--as-of", as_of.isoformat(), "--chunk-size", "8", database="workers.sqlite3")
        run(sys.executable, "-c", IN_PROCESS_SCAN, as_of.isoformat(), database="alone.sqlite3")
        for name in ("workers.sqlite3", "alone.sqlite3"):
            with sqlite3.connect(tmp_path / name) as database:
                database.execute("UPDATE rules_offer SET status = 'dismissed' WHERE scan_id = 1")
    with sqlite3.connect(tmp_path / "workers.sqlite3") as database:
        chunks, undone = database.execute("SELECT count(*), sum(done_at IS NULL) FROM rules_scanchunk").fetchone()
    assert chunks > 6 and undone == 0
    by_workers = offers("workers.sqlite3")
    assert by_workers == offers("alone.sqlite3")
    assert {scan for _person, _scheme, scan in by_workers} == {1, 2}, "both scans made offers"
