"""The scan as `digigov rules scan` runs it, outside any transaction, with local worker processes: they read
their chunks through their own connections and, on PostgreSQL, record them too. The offers are the same as when
the scanning process reads and records every chunk itself."""

import datetime as dt

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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="workers write only on PostgreSQL (one writer on SQLite)")
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
