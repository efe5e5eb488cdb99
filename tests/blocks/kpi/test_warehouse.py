import datetime as dt
import json
import math
import statistics

from django.utils import timezone

from digigov.blocks.kpi import warehouse
from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.kpi.synthetic import ServiceRef, history_to_parquet


def _exported_rows(directory) -> int:
    con = warehouse.connect()
    warehouse.views_create(con=con, directory=directory)
    return con.execute("SELECT count(*) FROM events").fetchone()[0]


def test_a_refresh_exports_only_new_events_and_a_second_refresh_does_nothing(history, warehouse_dir, record_event):
    first = warehouse.refresh()
    assert first.exported == TransactionEvent.objects.count() > 0
    for _ in range(3):
        record_event(kind="submitted", prefilled=True)
    second = warehouse.refresh()
    assert (second.exported, second.batches) == (3, 1)
    assert second.months == [timezone.localdate().strftime("%Y-%m")]
    state_before = (warehouse_dir / "state.json").read_text()
    files_before = sorted(p.name for p in warehouse_dir.rglob("*.parquet"))

    third = warehouse.refresh()

    assert (third.exported, third.batches, third.months) == (0, 0, [])
    assert (warehouse_dir / "state.json").read_text() == state_before
    assert sorted(p.name for p in warehouse_dir.rglob("*.parquet")) == files_before
    assert _exported_rows(warehouse_dir) == TransactionEvent.objects.count()


def test_rollups_after_several_incremental_batches_equal_a_recompute_from_scratch(history, warehouse_dir, record_event):
    warehouse.refresh(batch=700)  # the seeded history, in several batches
    for days_back in (0, 1, 40, 400):
        day = timezone.localdate() - dt.timedelta(days=days_back)
        record_event(kind="submitted", day=day, prefilled=False, channel="counter")
        record_event(kind="decided", day=day, digital_end_to_end=False, seconds_to_decision=5 * 86400)
        record_event(kind="rated", day=day, satisfaction=6, audience="business", service_slug="register-business")
        warehouse.refresh(batch=2)

    assert warehouse.rollup_rows() == warehouse.rollup_rows(recompute=True)
    before = warehouse.rollup_rows()
    warehouse.rollup_rebuild()
    assert warehouse.rollup_rows() == before
    state = json.loads((warehouse_dir / "state.json").read_text())
    assert sorted(p.name for p in (warehouse_dir / "rollup").glob("*.parquet")) == sorted(state["rollup"].values())


def test_a_row_committed_late_below_the_watermark_is_still_exported(history, warehouse_dir, record_event):
    first, late, last = (record_event(kind="submitted") for _ in range(3))
    late_fields = {f.name: getattr(late, f.name) for f in TransactionEvent._meta.concrete_fields}
    late.delete()  # as if its transaction had not committed yet when the refresh read the batch
    warehouse.refresh()
    TransactionEvent.objects.create(**late_fields)

    assert warehouse.refresh().exported == 1
    assert _exported_rows(warehouse_dir) == TransactionEvent.objects.count()
    assert warehouse.state_get().gaps == {}


def test_figures_from_rollups_match_the_live_figures(history, warehouse_dir):
    from digigov.blocks.kpi import queries

    warehouse.refresh()
    live, stored = queries.figures(), warehouse.figures()
    counts = ("submitted", "prefilled", "decided", "digital_end_to_end", "ratings", "satisfied")
    assert [getattr(stored, c) for c in counts] == [getattr(live, c) for c in counts]
    assert abs(stored.median_days_to_decision - live.median_days_to_decision) <= 0.05 * live.median_days_to_decision
    by_agency = warehouse.figures_by(group="agency_code")
    assert {k: f.submitted for k, f in by_agency.items()} == {
        k: f.submitted for k, f in queries.figures_by(group="agency_code").items()}


def test_the_histogram_median_is_within_a_few_percent_of_the_exact_median():
    seconds = [int(86400 * (0.5 + i / 37)) for i in range(500)]
    buckets: dict[int, int] = {}
    for s in seconds:
        bucket = math.floor(math.log2(s + 1) * warehouse.BUCKETS_PER_DOUBLING)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    estimate = warehouse.median_from_histogram(buckets=list(buckets.items()))
    assert abs(estimate - statistics.median(seconds)) / statistics.median(seconds) < 0.04


SERVICES = [ServiceRef(slug="baby-bonus", agency_code="SSA", audience="citizen"),
            ServiceRef(slug="register-business", agency_code="BIZ", audience="business")]


def test_synthetic_history_at_scale_is_repeatable_and_folds_into_the_rollups(tmp_path, settings):
    settings.DIGIGOV_WAREHOUSE_DIR = tmp_path / "warehouse"
    today = dt.date(2026, 7, 15)
    common = {"services": SERVICES, "months": 6, "events": 30_000, "seed": 3, "today": today}
    files = history_to_parquet(directory=tmp_path / "a", **common)
    again = history_to_parquet(directory=tmp_path / "b", **common)
    con = warehouse.connect()
    query = "SELECT * FROM read_parquet('{}') ORDER BY id"
    assert con.execute(query.format(files[0])).fetchall() == con.execute(query.format(again[0])).fetchall()

    months = warehouse.events_import(files=files)

    assert months == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"][: len(months)]
    figures = warehouse.figures()
    assert 0.95 * 30_000 < figures.submitted + figures.decided + figures.ratings < 1.05 * 30_000
    assert 0.5 < figures.prefilled_share < 1 and 0.7 < figures.digital_share < 1
    assert 2.5 < figures.median_days_to_decision < 3.6
    assert warehouse.rollup_rows() == warehouse.rollup_rows(recompute=True)
