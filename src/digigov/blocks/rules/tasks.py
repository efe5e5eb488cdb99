"""Background jobs of the rules block: computing a queued policy simulation.

The worker runs `simulation_execute` when it delivers `rules.simulation_requested` (subscribers.py); an
operator can run it by hand with `digigov rules simulate --run-id ID`.
"""

import logging
from typing import Any

from django.utils.translation import gettext as _

from digigov.blocks.rules import actions
from digigov.blocks.rules.models import SimulationRun
from digigov.blocks.rules.reform import reform_parse
from digigov.blocks.rules.simulation import simulation_run

logger = logging.getLogger(__name__)


def simulation_execute(*, run_id: Any, resume_running: bool = False) -> SimulationRun | None:
    """Compute a queued run and record its results, or its failure. None when the run was not there to take
    (see `actions.simulation_start`)."""
    run = actions.simulation_start(run_id=run_id, resume_running=resume_running)
    if run is None:
        return None
    as_of = run.as_of
    try:
        reform = reform_parse(text=run.reform_text)
        as_of = as_of or reform.last_start
        result = simulation_run(actor=run.requested_by, reform=reform, as_of=as_of, agency_code=run.agency.code)
    except Exception as error:
        # Whatever stops the computation (a date the rules do not cover, a full disk) ends the run as failed
        # with its reason, rather than leaving the officer's page saying "running" for ever.
        logger.exception("policy simulation %s failed", run.pk)
        return actions.simulation_fail(
            run=run,
            error=_("The rules could not be computed as of %(date)s (%(error)s).")
            % {"date": as_of.isoformat() if as_of else "?", "error": f"{type(error).__name__}: {error}"},
        )
    return actions.simulation_finish(run=run, result_id=result.run_id, summary=result.summary)
