"""What the rules block does when events are delivered by the worker."""

from digigov.blocks.rules.events import SimulationRequested
from digigov.platform.outbox import subscribe


@subscribe(event_type=SimulationRequested.type, name="rules.simulate", transactional=False)
def on_simulation_requested(event) -> None:
    """Compute the simulation an officer queued. Not in a transaction: it reads the whole population and writes
    files for seconds to minutes, and holding a write transaction that long would block every other writer on
    SQLite. The run's status makes a second delivery harmless (it finds the run taken and does nothing)."""
    # Imported here so that loading the app does not load OpenFisca and DuckDB in every process.
    from digigov.blocks.rules.tasks import simulation_execute

    simulation_execute(run_id=event.payload["run_id"])
