"""Policy simulations as background jobs: a submitted reform is queued with its event, the worker computes it
once and stores where its results are, a failure ends the run with its reason, and the command line computes
a queued run or one a stopped worker left running."""

import argparse
import datetime as dt
import io

import pytest
from django.core.management.base import CommandError

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.consent.models import PopulationAccess
from digigov.blocks.rules import actions, simulation_cli
from digigov.blocks.rules.models import SimulationRun
from digigov.blocks.rules.simulation import simulation_get
from digigov.blocks.rules.tasks import simulation_execute
from digigov.platform.errors import ValidationFailed
from digigov.platform.models import Event
from tests.support import officer_account

REFORM = """name: Bigger first-child bonus
changes:
  - {parameter: ssa.baby_bonus.amount.first, from: 2027-01-01, value: 20000}
"""


@pytest.fixture(autouse=True)
def warehouse(settings, tmp_path):
    settings.DIGIGOV_WAREHOUSE_DIR = tmp_path
    return tmp_path


@pytest.fixture
def supervisor(nation):
    return officer_account("ssa.supervisor")


def _request(supervisor, *, as_of: dt.date | None = None, text: str = REFORM) -> SimulationRun:
    return actions.simulation_request(actor=supervisor, agency_code="SSA", reform_text=text, as_of=as_of)


def _requested_events() -> list[Event]:
    return list(Event.objects.filter(type="rules.simulation_requested"))


def test_a_request_is_queued_with_its_event_and_nothing_is_computed_yet(supervisor):
    population_reads = PopulationAccess.objects.count()
    run = _request(supervisor)
    assert run.status == SimulationRun.Status.QUEUED and run.reform_name == "Bigger first-child bonus"
    assert run.requested_by == supervisor and run.agency.code == "SSA" and not run.result_id
    (event,) = _requested_events()
    assert event.payload == {"run_id": str(run.pk), "agency_code": "SSA"}
    assert AuditEntry.objects.filter(action="rules:simulation:request", object_id=str(run.pk)).exists()
    assert PopulationAccess.objects.count() == population_reads


def test_the_worker_computes_the_run_and_stores_where_its_results_are(supervisor, nation, deliver_events):
    run = _request(supervisor)
    deliver_events()
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.DONE
    assert run.started_at is not None and run.finished_at >= run.started_at
    result = simulation_get(run_id=run.result_id)
    assert result.summary == run.summary and run.summary["people"] == nation.residents
    baby = next(row for row in result.tables["schemes"] if row["scheme"] == "baby_bonus")
    assert baby["cost_difference"] >= 0
    # The population read is recorded in the name of the officer who asked, not of the worker.
    read = PopulationAccess.objects.latest("pk")
    assert read.accessor_id == supervisor.pk and "Bigger first-child bonus" in read.purpose
    assert Event.objects.get(type="rules.simulation_requested").dispatched_at is not None


def test_a_run_is_computed_once_however_often_its_request_is_delivered(supervisor, deliver_events):
    run = _request(supervisor)
    deliver_events()
    reads = PopulationAccess.objects.count()
    assert simulation_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.DONE and PopulationAccess.objects.count() == reads


def test_a_run_the_rules_cannot_compute_fails_with_its_reason_and_is_not_retried(supervisor, deliver_events):
    run = _request(supervisor, as_of=dt.date(2020, 1, 15))
    deliver_events()
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert run.error and run.finished_at is not None and not run.result_id
    assert "could not be computed as of 2020-01-15" in run.error
    event = Event.objects.get(type="rules.simulation_requested")
    assert event.dispatched_at is not None and event.attempts == 0
    assert AuditEntry.objects.filter(action="rules:simulation:fail", object_id=str(run.pk)).exists()


def test_a_reform_that_does_not_parse_queues_nothing(supervisor):
    with pytest.raises(ValidationFailed) as raised:
        _request(supervisor, text="name: x\nchanges: [{parameter: ssa.nothing_here, from: 2027-01-01, value: 1}]")
    assert "changes[0].parameter" in raised.value.fields
    assert not SimulationRun.objects.exists() and not _requested_events()


def _command(*arguments: str) -> str:
    parser = argparse.ArgumentParser()
    simulation_cli.add_arguments(parser)
    out = io.StringIO()
    simulation_cli.handle(options=vars(parser.parse_args(list(arguments))), stdout=out)
    return out.getvalue()


def test_the_command_computes_a_queued_run(supervisor):
    run = _request(supervisor)
    printed = _command("--run-id", str(run.pk))
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.DONE
    assert "Bigger first-child bonus" in printed and "baby_bonus" in printed and run.result_id in printed


def test_the_command_resumes_a_run_a_stopped_worker_left_running(supervisor):
    run = _request(supervisor)
    actions.simulation_start(run_id=run.pk)  # a worker took it, then stopped before finishing
    assert simulation_execute(run_id=run.pk) is None, "the worker's redelivery leaves it alone"
    _command("--run-id", str(run.pk))
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.DONE


def test_the_command_refuses_a_finished_or_failed_run(supervisor, deliver_events):
    done = _request(supervisor)
    failed = _request(supervisor, as_of=dt.date(2020, 1, 15))
    deliver_events()
    with pytest.raises(CommandError, match="not queued or running"):
        _command("--run-id", str(done.pk))
    with pytest.raises(CommandError, match="not queued or running"):
        _command("--run-id", str(failed.pk))
