"""The worker's periodic warehouse refresh."""

from digigov.blocks.kpi import warehouse
from digigov.blocks.kpi.tasks import WarehouseRefresh


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_refresh_runs_at_once_then_once_per_interval(nation, warehouse_dir, record_event):
    clock = Clock()
    schedule = WarehouseRefresh(every=60, clock=clock)
    record_event(kind="submitted", prefilled=True)
    assert schedule.run_if_due() == 1
    record_event(kind="submitted", prefilled=False)
    clock.now += 59
    assert schedule.run_if_due() == 0  # not due: the new event waits
    assert warehouse.figures().submitted == 1
    clock.now += 1
    assert schedule.run_if_due() == 1
    assert warehouse.figures().submitted == 2


def test_a_refresh_held_by_another_process_is_skipped_not_awaited(nation, warehouse_dir, record_event):
    import fcntl

    record_event(kind="submitted", prefilled=True)
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    with open(warehouse_dir / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert WarehouseRefresh(every=60, clock=Clock()).run_if_due() == 0
    assert WarehouseRefresh(every=60, clock=Clock()).run_if_due() == 1


def test_a_failing_refresh_does_not_raise(nation, settings, tmp_path, record_event):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the warehouse directory should be")
    settings.DIGIGOV_WAREHOUSE_DIR = blocked
    record_event(kind="submitted", prefilled=True)
    assert WarehouseRefresh(every=60, clock=Clock()).run_if_due() == 0
