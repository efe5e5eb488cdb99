"""Envelope encryption: data keys wrapped by a KEK, rotation online and resumable, values bound to place."""

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.db import connection

from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.identity.actions import TOTP_CONTEXT, totp_secret_of
from digigov.blocks.identity.models import Account
from digigov.blocks.registries.bindings import monthly_income_of, national_id_of
from digigov.blocks.registries.models import Person
from digigov.blocks.services.actions import document_upload
from digigov.blocks.services.models import Document
from digigov.blocks.services.queries import document_content
from digigov.platform import crypto, keys
from digigov.platform.backends.kms import KeyUnavailable, kek_id_of
from digigov.platform.key_rotation import rotation_run
from digigov.platform.models import DataKey, KeyRotation


@pytest.fixture(autouse=True)
def fresh_key_cache(settings):
    """Keys made inside a test are rolled back with it: no process cache may outlive them. No grace period
    for demoted keys, since no other process is running."""
    settings.DIGIGOV_KEY_CACHE_SECONDS = 0
    keys.cache_clear()
    yield
    keys.cache_clear()


class Interrupted(Exception):
    pass


def every_secret() -> dict[tuple[str, int], object]:
    """Every encrypted value in the database, decrypted through the blocks' own readers."""
    values: dict[tuple[str, int], object] = {}
    for person in Person.objects.order_by("id"):
        values["national_id", person.pk] = national_id_of(person)
        values["income", person.pk] = monthly_income_of(person)
    for account in Account.objects.exclude(totp_secret_encrypted=None).exclude(totp_secret_encrypted=b""):
        values["totp", account.pk] = totp_secret_of(account=account)
    for document in Document.objects.order_by("pk"):
        values["document", document.pk] = document_content(document=document)
    return values


def keys_in_use() -> set[int | None]:
    ciphertexts = [
        bytes(v)
        for pair in Person.objects.values_list("national_id_encrypted", "monthly_income_encrypted")
        for v in pair
    ]
    return {crypto.key_id_of(c) for c in ciphertexts}


def test_sensitive_values_are_stored_under_the_primary_data_key_and_never_in_clear(nation, citizen):
    primary = DataKey.objects.get(state="primary")
    person = Person.objects.get(pk=citizen.person_id)
    assert crypto.key_id_of(bytes(person.national_id_encrypted)) == primary.id
    assert crypto.key_id_of(bytes(person.monthly_income_encrypted)) == primary.id
    income = monthly_income_of(person)
    assert income > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registries_person WHERE id = %s", [citizen.person_id])
        row = cursor.fetchone()
        columns = [c[0] for c in cursor.description]
    assert "monthly_income" not in columns
    assert str(income).encode().hex() not in " ".join(bytes(v).hex() for v in row if isinstance(v, bytes | memoryview))


def test_an_interrupted_rotation_keeps_every_value_readable_and_resuming_completes_it(nation, ssa_officer):
    # Uploaded documents too: more than one batch of them (UUID keys, a smaller batch for large values).
    for n in range(45):
        document_upload(owner=ssa_officer, filename=f"scan-{n}.pdf", content=b"%PDF-1.4\n" + bytes([n]) * 64)
    before = every_secret()
    old_key = DataKey.objects.get(state="primary").id

    def interrupt_after_three(batches: int) -> None:
        assert every_secret() == before  # reads work in the middle of the rotation
        if batches == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotation_run(batch=40, on_batch=interrupt_after_three)
    rotation = KeyRotation.objects.get(finished_at=None)
    assert rotation.watermarks  # progress was saved after each committed batch
    assert keys_in_use() == {old_key, rotation.target_key_id}  # half-way: both keys in use
    assert every_secret() == before
    assert keys.keys_retire_unused() == []  # the old key still decrypts values, so it stays
    assert DataKey.objects.get(pk=old_key).state == "active"

    report = rotation_run(batch=40)

    assert report.resumed and report.key_id == rotation.target_key_id
    assert keys_in_use() == {rotation.target_key_id}
    assert report.retired == [old_key]
    retired = DataKey.objects.get(pk=old_key)
    assert retired.state == "retired" and bytes(retired.wrapped) == b""  # the key material is destroyed
    assert AuditEntry.objects.filter(action="platform:keys:rotate", object_id=str(report.key_id)).exists()
    assert AuditEntry.objects.filter(action="platform:keys:retire", object_id=str(old_key)).exists()
    keys.cache_clear()
    assert every_secret() == before
    assert not KeyRotation.objects.filter(finished_at=None).exists()


def test_values_written_with_the_old_key_during_a_rotation_are_swept_before_it_is_retired(nation, citizen):
    old_key = keys.primary_key()
    person = Person.objects.get(pk=citizen.person_id)
    income = monthly_income_of(person)

    def another_process_writes_with_its_cached_key(batches: int) -> None:
        if batches == 2:
            # Like a web process that has not yet noticed the new primary key: it writes with the old one,
            # behind the rotation's watermark.
            stale = crypto.encrypt_many(
                plaintexts=[str(income + 1)],
                contexts=[crypto.row_context(context=b"person.monthly_income", row_id=person.pk)],
                key=old_key,
            )[0]
            Person.objects.filter(pk=person.pk).update(monthly_income_encrypted=stale)

    report = rotation_run(batch=50, on_batch=another_process_writes_with_its_cached_key)

    assert report.retired == [old_key.id]
    person.refresh_from_db()
    assert crypto.key_id_of(bytes(person.monthly_income_encrypted)) == report.key_id
    assert monthly_income_of(person) == income + 1  # the concurrent write survived the rotation


def test_a_demoted_key_is_not_retired_while_processes_may_still_use_it(nation, settings):
    old_key = DataKey.objects.get(state="primary").id
    settings.DIGIGOV_KEY_CACHE_SECONDS = 3600
    keys.data_key_create()
    Person.objects.update(national_id_encrypted=b"")  # no value uses the old key ...
    Person.objects.update(monthly_income_encrypted=b"")
    Account.objects.update(totp_secret_encrypted=None)
    assert keys.keys_retire_unused() == []  # ... but another process may still encrypt with it
    settings.DIGIGOV_KEY_CACHE_SECONDS = 0
    assert keys.keys_retire_unused() == [old_key]


def test_a_new_kek_rewraps_the_data_keys_and_the_old_kek_is_then_not_needed(nation, settings, citizen):
    number = nation.demo_citizen_national_id
    old_kek, new_kek = settings.DIGIGOV_KEK, os.urandom(32)
    settings.DIGIGOV_KEK, settings.DIGIGOV_KEK_PREVIOUS = new_kek, [old_kek]

    rewrapped = keys.keys_rewrap()

    assert rewrapped and set(DataKey.objects.exclude(state="retired").values_list("kek_id", flat=True)) == {
        kek_id_of(new_kek)
    }
    assert AuditEntry.objects.filter(action="platform:keys:rewrap", detail__kek_id=kek_id_of(new_kek)).exists()
    settings.DIGIGOV_KEK_PREVIOUS = []
    keys.cache_clear()
    assert national_id_of(Person.objects.get(pk=citizen.person_id)) == number


def test_the_kek_can_come_from_a_key_file_with_earlier_keks_below_the_current_one(nation, settings, citizen, tmp_path):
    new_kek = os.urandom(32)
    kek_file = tmp_path / "kek"
    kek_file.write_text(f"{base64.b64encode(new_kek).decode()}\n{base64.b64encode(settings.DIGIGOV_KEK).decode()}\n")
    settings.DIGIGOV_KEK_FILE = str(kek_file)
    call_command("keys", "rotate", "--new-kek", stdout=open(os.devnull, "w"))  # noqa: SIM115
    kek_file.write_text(base64.b64encode(new_kek).decode() + "\n")
    keys.cache_clear()
    assert national_id_of(Person.objects.get(pk=citizen.person_id)) == nation.demo_citizen_national_id


def test_a_wrong_kek_fails_clearly_and_decrypts_nothing(nation, settings, citizen):
    settings.DIGIGOV_KEK = os.urandom(32)
    keys.cache_clear()
    with pytest.raises(KeyUnavailable, match="is wrapped by KEK .* which is not configured"):
        national_id_of(Person.objects.get(pk=citizen.person_id))


def test_a_key_row_altered_in_the_database_does_not_unwrap(nation, citizen):
    key = DataKey.objects.get(state="primary")
    wrapped = bytearray(bytes(key.wrapped))
    wrapped[-1] ^= 1
    DataKey.objects.filter(pk=key.pk).update(wrapped=bytes(wrapped))
    keys.cache_clear()
    with pytest.raises(KeyUnavailable, match="does not unwrap"):
        national_id_of(Person.objects.get(pk=citizen.person_id))


def test_a_ciphertext_moved_to_another_row_or_column_does_not_decrypt(nation, citizen, other_citizen):
    mine = Person.objects.get(pk=citizen.person_id)
    theirs = Person.objects.get(pk=other_citizen.person_id)
    theirs.national_id_encrypted = mine.national_id_encrypted  # another row
    with pytest.raises(crypto.DecryptionFailed):
        national_id_of(theirs)
    mine.monthly_income_encrypted = mine.national_id_encrypted  # another column, same row
    with pytest.raises(crypto.DecryptionFailed):
        monthly_income_of(mine)
    relabelled = bytearray(bytes(Person.objects.get(pk=citizen.person_id).national_id_encrypted))
    relabelled[1:5] = keys.data_key_create().to_bytes(4, "big")  # names another (valid) key
    mine.national_id_encrypted = bytes(relabelled)
    with pytest.raises(crypto.DecryptionFailed):
        national_id_of(mine)


def test_values_from_before_envelope_encryption_still_decrypt_and_rotation_moves_them(nation, settings, ssa_officer):
    secret = totp_secret_of(account=ssa_officer)
    nonce = os.urandom(12)
    legacy = b"\x01" + nonce + AESGCM(settings.DIGIGOV_DATA_KEY).encrypt(nonce, secret.encode(), TOTP_CONTEXT)
    Account.objects.filter(pk=ssa_officer.pk).update(totp_secret_encrypted=legacy)
    ssa_officer.refresh_from_db()
    assert keys.legacy_values() == 1
    assert totp_secret_of(account=ssa_officer) == secret

    rotation_run(batch=500)

    ssa_officer.refresh_from_db()
    assert keys.legacy_values() == 0
    assert crypto.key_id_of(bytes(ssa_officer.totp_secret_encrypted)) == DataKey.objects.get(state="primary").id
    assert totp_secret_of(account=ssa_officer) == secret


def test_keys_rotate_and_status_commands_report_what_they_did(nation, capsys):
    call_command("keys", "rotate", "--no-progress", "--batch", "200")
    out = capsys.readouterr().out
    primary = DataKey.objects.get(state="primary").id
    assert f"Rotated to data key {primary}" in out and "retired key(s): " in out
    call_command("keys", "status")
    out = capsys.readouterr().out
    assert f"{primary}  primary" in out and "retired" in out


def test_a_key_still_used_by_a_column_missing_from_the_rotation_list_is_not_retired(nation, monkeypatch, citizen):
    old_key = DataKey.objects.get(state="primary").id
    listed = [c for c in keys.ENCRYPTED_COLUMNS if c.field != "monthly_income_encrypted"]
    monkeypatch.setattr(keys, "ENCRYPTED_COLUMNS", listed)

    report = rotation_run(batch=500)

    assert report.retired == []  # incomes were left on the old key, so it must stay
    assert DataKey.objects.get(pk=old_key).state == "active"
    assert monthly_income_of(Person.objects.get(pk=citizen.person_id)) > 0


def test_a_flush_makes_the_process_forget_its_data_keys(nation):
    from django.core.management.sql import emit_post_migrate_signal

    keys.primary_key()
    assert keys._primary is not None

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # what `flush` ends with

    assert keys._primary is None and not keys._unwrapped
