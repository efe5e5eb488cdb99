"""Background work of the messaging block, run from the worker's loop."""

from digigov.blocks.messaging import actions


def scheduled_sends_release() -> int:
    """Queue the scheduled dispatches that have fallen due; the same turn's event delivery then sends them.
    Returns how many were queued, so `digigov worker --once` keeps turning while there are some."""
    return actions.dispatches_release_due()
