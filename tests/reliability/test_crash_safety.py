"""Crash safety: the real server (gunicorn + event worker, separate processes) takes concurrent applications
with idempotency keys and is killed with SIGKILL at random moments, again and again. Clients retry what was
not acknowledged with the same key. Afterwards every acknowledged application exists exactly once, nothing is
half-written (each application has its step, its audit entry and its event), and every event took effect
exactly once (one task, one KPI row, one message), and the audit chain verifies.
A longer run: `make bench-crash`."""

import pytest

from tests.reliability.harness import crash_check, crash_run, platform_create

KILLS = 20
CLIENTS = 4
SEED = 20261128


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = platform_create(folder=tmp_path_factory.mktemp("crash"), accounts=CLIENTS)
    yield platform
    platform.close()


def test_killing_the_server_never_loses_or_duplicates_an_application(platform, tmp_path):
    ledger = crash_run(platform=platform, kills=KILLS, seed=SEED)

    assert ledger.unexpected == []
    assert ledger.changed_ids == []  # a retried key never got a different application
    assert ledger.interrupted > 0, "no request was cut off by a kill: the harness proved nothing"
    assert all(not keys for keys in ledger.in_doubt.values())
    assert len(ledger.acknowledged) >= KILLS

    state = crash_check(platform=platform, ledger=ledger, folder=tmp_path)
    assert state["applications"] == ledger.acknowledged  # every acknowledged application, with its id
    assert set(state["applications_per_key"].values()) == {1}
    ids = set(ledger.acknowledged.values())
    assert {i for i, n in state["steps"].items() if n >= 1} == ids
    assert state["audits"] == dict.fromkeys(ids, 1)
    assert state["events"] == dict.fromkeys(ids, 1)
    assert state["tasks"] == dict.fromkeys(ids, 1)
    assert state["kpis"] == dict.fromkeys(ids, 1)
    assert len(state["messages"]) == len(ids) and set(state["messages"].values()) == {1}
    assert state["handled_twice"] == []
    assert state["undelivered"] == 0
    assert state["audit_verify"]["exit"] == 0, state["audit_verify"]["output"]
