"""The tamper-evident audit log: the worker chains and seals entries, and `digigov audit verify` names the
first altered, deleted, inserted or reordered entry."""

import functools
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from digigov.blocks.audit import actions, queries
from digigov.blocks.audit.models import AuditEntry, ChainLink, Seal
from digigov.blocks.audit.sealing import public_key_bytes

ROOT = Path(__file__).resolve().parents[3]
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def chain_and_seal_all() -> None:
    """Run the worker's audit step until every committed entry is chained and sealed."""
    horizon = actions.ChainHorizon(settle_seconds=0)
    target = AuditEntry.objects.latest("id").pk
    for _ in range(600):  # on PostgreSQL, transactions of other databases on the server may hold the horizon
        if not actions.chain_and_seal(horizon=horizon) and horizon.settled_max_id >= target:
            return
        if connection.vendor == "postgresql":
            time.sleep(0.05)
    raise AssertionError("the audit chain did not reach the last entry")


def verify(*args: str) -> tuple[int, str]:
    """`digigov audit verify`: (exit code, what it printed)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", "--processes", "1", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def tamper(sql: str, params: list) -> None:
    """Raw SQL as an attacker with database access would run it; on PostgreSQL as a superuser who switches
    the append-only triggers off for the session."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def record(action: str, detail: dict | None = None, **extra) -> AuditEntry:
    if extra:  # an entry with a chosen id, to leave a gap in the ids
        (entry,) = AuditEntry.objects.bulk_create(
            [AuditEntry(actor_label="system", action=action, object_type="test", object_id="1", **extra)]
        )
        return entry
    return actions.entry_record(actor=None, action=action, object_type="test", object_id="1", detail=detail)


@pytest.fixture(params=["one seal", "many small seals"])
def sealed_log(request, submitted_application, monkeypatch):
    """A sealed log whose last entries are known, with detail values that exercise the canonical encoding.
    Sealed once, or in seals of two entries that verify checks a few seals at a time (on SQLite, a fast check
    of each group that only clears intact groups; tampering must be named either way)."""
    if request.param == "many small seals":
        monkeypatch.setattr(actions, "seal_create", functools.partial(actions.seal_create, max_entries=2))
        monkeypatch.setattr(queries, "_GROUP_ENTRIES", 3)
    entries = [
        record(f"test:entry:{i}", {"n": i, "note": "café ✓", "nested": {"b": [1, 2.5], "a": None}}) for i in range(6)
    ]
    chain_and_seal_all()
    return entries


def test_the_worker_step_chains_and_seals_every_entry(sealed_log):
    assert ChainLink.objects.count() == AuditEntry.objects.count()
    last = Seal.objects.latest("last_entry_id")
    assert last.last_entry_id == sealed_log[-1].pk
    assert sum(Seal.objects.values_list("entries", flat=True)) == AuditEntry.objects.count()
    code, output = verify()
    assert code == 0, output
    assert output.startswith("OK ")


def test_a_range_verifies_on_its_own(sealed_log):
    code, output = verify("--from", str(sealed_log[1].pk), "--to", str(sealed_log[3].pk))
    assert code == 0, output


def test_entries_written_after_the_last_chaining_are_reported_as_not_chained_yet(sealed_log):
    record("test:later")
    code, output = verify()
    assert code == 0
    assert "1 newer entries not chained yet" in output


def test_an_altered_entry_is_named(sealed_log):
    target = sealed_log[2].pk
    tamper("UPDATE audit_auditentry SET actor_label = 'someone-else' WHERE id = %s", [target])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED altered entry={target}:" in output


def test_an_altered_detail_is_named(sealed_log):
    target = sealed_log[4].pk
    detail = '{"n": 4, "note": "cafe", "nested": {"b": [1, 2.5], "a": null}}'
    tamper("UPDATE audit_auditentry SET detail = %s WHERE id = %s", [detail, target])
    assert f"TAMPERED altered entry={target}:" in verify()[1]


def test_a_deleted_entry_is_named(sealed_log):
    target = sealed_log[3].pk
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [target])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED deleted entry={target}:" in output


def test_an_entry_deleted_with_its_chain_link_is_named(sealed_log):
    target = sealed_log[3].pk
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [target])
    tamper("DELETE FROM audit_chainlink WHERE entry_id = %s", [target])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED deleted entry={target}:" in output


def test_the_last_sealed_entry_deleted_with_its_link_is_named(sealed_log):
    target = sealed_log[-1].pk
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [target])
    tamper("DELETE FROM audit_chainlink WHERE entry_id = %s", [target])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED deleted entry={target}:" in output


def test_an_entry_inserted_into_the_chained_log_is_named(sealed_log):
    after_gap = record("test:after-gap", id=sealed_log[-1].pk + 10)
    chain_and_seal_all()
    assert verify()[0] == 0
    forged = sealed_log[-1].pk + 5
    tamper(
        "INSERT INTO audit_auditentry (id, at, actor_label, agency_code, action, object_type, object_id, "
        "request_id, detail) SELECT %s, at, actor_label, agency_code, 'test:forged', object_type, object_id, "
        "request_id, detail FROM audit_auditentry WHERE id = %s",
        [forged, after_gap.pk],
    )
    chain_and_seal_all()  # the chainer never takes an entry below its head
    assert not ChainLink.objects.filter(entry_id=forged).exists()
    code, output = verify()
    assert code == 1
    assert f"TAMPERED inserted entry={forged}:" in output


def test_two_entries_swapped_in_order_are_named(sealed_log):
    first, second = sealed_log[1].pk, sealed_log[4].pk
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [-1, first])
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [first, second])
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [second, -1])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED reordered entry={first}: entry {first} was reordered: it holds the content of entry {second}" in (
        output
    )


def test_a_rewritten_seal_is_detected(sealed_log):
    seal = Seal.objects.latest("last_entry_id")
    tamper("UPDATE audit_seal SET entries = entries + 1 WHERE id = %s", [seal.pk])
    code, output = verify()
    assert code == 1
    assert f"TAMPERED seal entry={seal.first_entry_id}:" in output


def test_an_inclusion_proof_verifies_offline_with_the_public_key_alone(sealed_log, tmp_path):
    out = io.StringIO()
    call_command("audit", "proof", str(sealed_log[2].pk), stdout=out)
    proof = json.loads(out.getvalue())
    assert proof["entry"]["action"] == "test:entry:2"
    key_out = io.StringIO()
    call_command("audit", "public-key", stdout=key_out)
    public_key = key_out.getvalue().strip()

    def offline(document: dict) -> subprocess.CompletedProcess:
        path = tmp_path / "proof.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return subprocess.run(  # noqa: S603 (our own script)
            [sys.executable, str(ROOT / "tools" / "verify_audit_proof.py"), str(path), public_key],
            capture_output=True,
            text=True,
            check=False,
        )

    assert offline(proof).returncode == 0, offline(proof).stdout
    forged = json.loads(json.dumps(proof))
    forged["canonical"] = forged["canonical"].replace("test:entry:2", "test:entry:X")
    assert offline(forged).returncode == 1
    if proof["path"]:
        moved = json.loads(json.dumps(proof))
        moved["path"][0]["hash"] = "00" * 32
        assert offline(moved).returncode == 1
    other_key = json.loads(json.dumps(proof))
    other_key["seal"]["statement"] = other_key["seal"]["statement"].replace('"entries":', '"entries":1')
    assert offline(other_key).returncode == 1


def test_the_public_key_command_prints_the_sealing_key(nation):
    out = io.StringIO()
    call_command("audit", "public-key", stdout=out)
    import base64

    assert base64.b64decode(out.getvalue().strip()) == public_key_bytes()


@on_postgresql
def test_an_entry_committed_late_with_a_lower_id_is_chained_in_its_place(submitted_application):
    import psycopg

    settings_dict = connection.settings_dict
    other = psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
    )
    try:
        with other.cursor() as cursor:  # a slow request: draws its id, then takes its time to commit
            cursor.execute(
                "INSERT INTO audit_auditentry (at, actor_label, agency_code, action, object_type, object_id, "
                "request_id, detail) VALUES (now(), 'system', '', 'test:late', 'test', '1', '', '{}') RETURNING id"
            )
            late_id = cursor.fetchone()[0]
        early = record("test:early")
        assert early.pk > late_id
        horizon = actions.ChainHorizon(settle_seconds=0)
        for _ in range(20):
            actions.chain_and_seal(horizon=horizon)
        assert horizon.settled_max_id < late_id
        assert not ChainLink.objects.filter(entry_id__gte=late_id).exists()
        other.commit()
        chain_and_seal_all()
        assert ChainLink.objects.get(entry_id=early.pk).previous_id == late_id
        assert verify()[0] == 0
    finally:
        with other.cursor() as cursor:  # the committed row outlives the test's rollback: remove it
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditentry WHERE action = 'test:late'")
        other.commit()
        other.close()


@on_postgresql
def test_postgresql_itself_refuses_updates_and_deletes_of_links_and_seals(sealed_log):
    for statement in (
        "UPDATE audit_chainlink SET previous_id = 0 WHERE entry_id = %s",
        "DELETE FROM audit_chainlink WHERE entry_id = %s",
        "UPDATE audit_seal SET entries = 0 WHERE last_entry_id = %s",
        "DELETE FROM audit_seal WHERE last_entry_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [sealed_log[-1].pk])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="on PostgreSQL the horizon needs passes a second apart")
def test_one_pass_of_the_worker_command_chains_and_seals(submitted_application):
    call_command("worker", "--once", stdout=io.StringIO())
    last = AuditEntry.objects.latest("id").pk
    assert ChainLink.objects.filter(entry_id=last).exists()
    assert Seal.objects.filter(last_entry_id=last).exists()


def test_the_sealing_key_can_come_from_a_file(nation, settings, tmp_path):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = bytes(range(32))
    key_file = tmp_path / "sealing.key"
    key_file.write_text(base64.b64encode(seed).decode() + "\n")
    settings.DIGIGOV_SEALING_KEY_FILE = str(key_file)
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert public_key_bytes() == expected


def test_two_far_apart_entries_swapped_are_named_as_reordered(sealed_log, monkeypatch):
    from digigov.blocks.audit import queries

    monkeypatch.setattr(queries, "_REORDER_WINDOW", 1)  # the two entries lie beyond the neighbours searched first
    first, second = sealed_log[0].pk, sealed_log[5].pk
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [-1, first])
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [first, second])
    tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [second, -1])
    code, output = verify()
    assert code == 1
    assert f"entry {first} was reordered: it holds the content of entry {second}" in output


def test_verify_counts_every_entry_and_seal(sealed_log, monkeypatch):
    checked_one_by_one = []
    entries_verify = queries._entries_verify

    def spy(*, from_id=None, to_id=None):
        checked_one_by_one.append(from_id)
        return entries_verify(from_id=from_id, to_id=to_id)

    monkeypatch.setattr(queries, "_entries_verify", spy)
    code, output = verify()
    assert code == 0, output
    assert output.startswith(f"OK {AuditEntry.objects.count():,} entries and {Seal.objects.count():,} seals verified")
    if connection.vendor == "sqlite":  # the group check cleared every seal: only the unsealed tail was left
        assert checked_one_by_one == [Seal.objects.latest("last_entry_id").last_entry_id + 1]


def test_a_detail_stored_in_another_key_order_is_not_tampering(sealed_log):
    # Same JSON value, keys in another order and spaced: SQLite's rendering of it differs from the canonical
    # encoding, so the group is checked entry by entry, where it matches; the groups after it still count.
    target = sealed_log[1].pk
    detail = '{"nested": {"a": null, "b": [1, 2.5]}, "note": "café ✓", "n": 1}'
    tamper("UPDATE audit_auditentry SET detail = %s WHERE id = %s", [detail, target])
    code, output = verify()
    assert code == 0, output
    assert output.startswith(f"OK {AuditEntry.objects.count():,} entries and {Seal.objects.count():,} seals verified")
