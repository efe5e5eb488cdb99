from digigov.blocks.kpi import queries
from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.kpi.synthetic import ServiceRef, history_generate

SERVICES = [ServiceRef(slug="baby-bonus", agency_code="SSA", audience="citizen"),
            ServiceRef(slug="register-business", agency_code="BIZ", audience="business")]


def _snapshot() -> list[tuple]:
    return list(TransactionEvent.objects.order_by("source_event_id").values_list(
        "source_event_id", "kind", "service_slug", "channel", "prefilled", "satisfaction", "seconds_to_decision"
    ))


def test_history_spans_the_requested_months_and_feeds_every_kpi(db):
    TransactionEvent.objects.all().delete()
    created = history_generate(services=SERVICES, months=4, per_month=200, seed=5)
    assert created == TransactionEvent.objects.count() > 4 * 180
    assert len(queries.monthly()) >= 4
    figures = queries.figures()
    assert 0.5 < figures.prefilled_share < 1 and 0.7 < figures.digital_share < 1
    assert 0.4 < figures.satisfied_share < 1 and figures.median_days_to_decision > 0
    assert set(queries.figures_by(group="agency_code")) == {"SSA", "BIZ"}


def test_history_is_the_same_for_the_same_seed(db):
    TransactionEvent.objects.all().delete()
    history_generate(services=SERVICES, months=2, per_month=50, seed=9)
    first = _snapshot()
    TransactionEvent.objects.all().delete()
    history_generate(services=SERVICES, months=2, per_month=50, seed=9)
    assert _snapshot() == first
