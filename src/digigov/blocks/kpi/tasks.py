"""Background work of the kpi block: keeping the warehouse current from the worker's loop."""

import logging
import time
from collections.abc import Callable

from digigov.blocks.kpi import warehouse

REFRESH_EVERY_SECONDS = 60.0
logger = logging.getLogger(__name__)


class WarehouseRefresh:
    """Fold new transaction events into the KPI warehouse at most once every `every` seconds.

    Called on every turn of `digigov worker`'s loop. It never waits: while another worker (or a `digigov kpi
    refresh` from cron) holds the warehouse lock it skips the turn, so any number of workers may run it. A failing
    refresh is logged and retried at the next interval: it must never stop event delivery."""

    def __init__(self, *, every: float = REFRESH_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self.next_at: float | None = None  # the first turn refreshes at once

    def run_if_due(self) -> int:
        """Events exported this turn (0 when not due, locked elsewhere or failed)."""
        now = self.clock()
        if self.every <= 0 or (self.next_at is not None and now < self.next_at):
            return 0
        self.next_at = now + self.every
        try:
            return warehouse.refresh(blocking=False).exported
        except Exception:
            logger.exception("KPI warehouse refresh failed; retrying in %s s", self.every)
            return 0
