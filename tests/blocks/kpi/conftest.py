import datetime as dt
import uuid

import pytest
from django.utils import timezone

from digigov.blocks.kpi.actions import transaction_event_record


@pytest.fixture
def warehouse_dir(settings, tmp_path):
    """A warehouse of the test's own, so tests never touch var/warehouse or each other's files."""
    settings.DIGIGOV_WAREHOUSE_DIR = tmp_path / "warehouse"
    return settings.DIGIGOV_WAREHOUSE_DIR


@pytest.fixture
def record_event():
    """Record one transaction step as the subscribers would, with defaults for what a test does not care about."""

    def record(*, kind: str, day: dt.date | None = None, service_slug: str = "baby-bonus", agency_code: str = "SSA",
               audience: str = "citizen", channel: str = "online", **fields):
        moment = dt.datetime.combine(day or timezone.localdate(), dt.time(10), tzinfo=timezone.get_current_timezone())
        return transaction_event_record(
            source_event_id=uuid.uuid4(), kind=kind, occurred_at=moment, application_id=uuid.uuid4(),
            agency_code=agency_code, service_slug=service_slug, audience=audience, channel=channel, **fields,
        )

    return record


@pytest.fixture
def history(nation):
    """A few months of past transactions in the operational tables (rolled back with the test)."""
    from digigov.blocks.kpi.synthetic import ServiceRef, history_generate

    services = [ServiceRef(slug="baby-bonus", agency_code="SSA", audience="citizen"),
                ServiceRef(slug="register-business", agency_code="BIZ", audience="business")]
    return history_generate(services=services, months=3, per_month=300, seed=11)
