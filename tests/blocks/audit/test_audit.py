import pytest
from django.db import DatabaseError, connection, transaction

from digigov.blocks.audit.models import AuditEntry


def test_every_write_of_a_journey_is_audited_with_actor_and_request(citizen, submitted_application):
    entries = AuditEntry.objects.filter(object_type="application", object_id=str(submitted_application.pk))
    assert "services:application:submit" in set(entries.values_list("action", flat=True))
    assert entries.get(action="services:application:submit").actor_id == citizen.pk


def test_personal_data_reads_are_audited(citizen, submitted_application):
    assert AuditEntry.objects.filter(action="registries:person:read", object_id=str(citizen.person_id)).exists()


def test_audit_entries_cannot_be_changed_or_deleted_through_the_model(submitted_application):
    entry = AuditEntry.objects.latest("id")
    entry.action = "tampered"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL")
def test_postgresql_itself_refuses_updates_and_deletes_of_audit_entries(submitted_application):
    entry_id = AuditEntry.objects.latest("id").pk
    for statement in (
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry_id])


def test_sign_ins_and_failures_are_audited_without_the_typed_id(nation, citizen):
    from django.test import Client

    client = Client()
    client.post("/sign-in/", {"sign_in_id": nation.demo_citizen_national_id, "password": "wrong-password"})
    client.post("/sign-in/", {"sign_in_id": nation.demo_citizen_national_id, "password": nation.demo_password})
    actions = list(AuditEntry.objects.order_by("-id").values_list("action", "actor_id", "detail")[:5])
    assert ("identity:session:sign-in", citizen.pk, {}) in actions
    assert any(a == "identity:session:sign-in-failed" for a, _actor, _detail in actions)
    recorded = " ".join(f"{a.action} {a.object_id} {a.detail}" for a in AuditEntry.objects.all())
    assert nation.demo_citizen_national_id not in recorded
