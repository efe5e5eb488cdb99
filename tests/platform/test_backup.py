"""`digigov backup` and `digigov restore` round-trip the test database on its own engine (SQLite or
PostgreSQL): every table's rows come back identical, a damaged archive is refused before anything changes,
and the restored audit log verifies. Restores run as real `digigov` processes against a scratch database."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.db import connection

from digigov.platform.backup import MAGIC, backup_create, restore

DIGIGOV = str(Path(sys.executable).with_name("digigov"))


def rows_fingerprint(dbapi_connection, *, vendor: str) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the sorted rows) of every table, read through a plain DB-API connection."""
    cursor = dbapi_connection.cursor()
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = sorted(name for (name,) in cursor.fetchall())
    fingerprint = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the catalogue)
        rows = sorted(
            repr(tuple(bytes(v).hex() if isinstance(v, bytes | memoryview) else v for v in row))
            for row in cursor.fetchall()
        )
        fingerprint[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return fingerprint


class Scratch:
    """A second database of the test database's engine, addressed by DATABASE_URL in child processes."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / "restored.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            db = connection.settings_dict
            self.name = f"digigov_restore_{uuid.uuid4().hex[:10]}"
            auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@"
            self.url = f"postgresql://{auth}{db['HOST']}:{db['PORT'] or 5432}/{self.name}"
            self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(
            dbname="postgres",
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            host=db["HOST"],
            port=db["PORT"] or 5432,
            autocommit=True,
        ) as admin:
            admin.execute(sql)

    def connect(self):
        if self.vendor == "sqlite":
            return sqlite3.connect(self.path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        import psycopg

        return psycopg.connect(self.url)

    def fingerprint(self) -> dict[str, tuple[int, str]]:
        with self.connect() as dbapi:
            return rows_fingerprint(dbapi, vendor=self.vendor)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
            "DIGIGOV_ENV": "test",
            **(env or {}),
        }
        return subprocess.run([DIGIGOV, *args], env=env, capture_output=True, text=True, timeout=300)  # noqa: S603

    def drop(self) -> None:
        if self.vendor != "sqlite":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def live_fingerprint() -> dict[str, tuple[int, str]]:
    """The test database's committed rows (the session's seeded nation)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return rows_fingerprint(connection.connection, vendor="sqlite")
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"],
        port=db["PORT"] or 5432,
    ) as dbapi:
        return rows_fingerprint(dbapi, vendor="postgresql")


@pytest.fixture(scope="module")
def committed_db(django_db_setup, django_db_blocker):
    """The seeded test database outside any test transaction, as `digigov backup` meets a live database
    (a backup refuses to run inside a transaction). These tests only read it."""
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        # pytest-django creates the test database only when a collected test asks for `db`; without it
        # these tests would read the development database.
        assert str(name).startswith("test_") or "mode=memory" in str(name), name
        from digigov.blocks.registries.synthetic import nation_counts

        if not nation_counts()["residents"]:
            # Live-server tests elsewhere commit and flush; put the session's nation back if one left it empty.
            from digigov.platform.seeding import nation_seed
            from tests.conftest import NATION_RESIDENTS, NATION_SEED

            nation_seed(residents=NATION_RESIDENTS, seed=NATION_SEED)
        yield pytest.nation_summary


@dataclass(frozen=True)
class Backup:
    path: Path
    fingerprint: dict[str, tuple[int, str]]  # of the test database just before the backup


@pytest.fixture(scope="module")
def archive(committed_db, tmp_path_factory) -> Backup:
    path = tmp_path_factory.mktemp("backup") / "nation.dgbackup"
    fingerprint = live_fingerprint()
    backup_create(out=path)
    return Backup(path=path, fingerprint=fingerprint)


@pytest.fixture(scope="module")
def restored(archive, tmp_path_factory):
    """A scratch database the archive was restored into by `digigov restore FILE --yes`."""
    database = Scratch(tmp_path_factory.mktemp("scratch"))
    result = database.run("restore", str(archive.path), "--yes")
    assert result.returncode == 0, result.stderr
    yield database
    database.drop()


def test_a_backup_restores_every_table_row_for_row(archive, restored):
    before = archive.fingerprint
    assert before["registries_person"][0] > 0 and before["audit_auditentry"][0] > 0

    after = restored.fingerprint()

    assert {table: (before[table], after.get(table)) for table in before if before[table] != after.get(table)} == {}
    assert set(after) == set(before)


def test_a_backup_inside_a_transaction_is_refused_rather_than_left_waiting(db, tmp_path):
    from digigov.platform.backup import BackupRefused

    with pytest.raises(BackupRefused, match="transaction"):
        backup_create(out=tmp_path / "never.dgbackup")
    assert not (tmp_path / "never.dgbackup").exists()


def test_the_archive_is_encrypted_and_names_no_table_or_person(archive, committed_db):
    data = archive.path.read_bytes()
    assert data.startswith(MAGIC)
    for clear in (
        b"registries_person",
        b"SQLite format 3",
        b"PGDMP",
        committed_db.demo_citizen_national_id.encode(),
        b"demo.citizen@example.org",
    ):
        assert clear not in data


@pytest.mark.parametrize("damage", ["flip_a_byte", "drop_the_last_chunk", "wrong_key"])
def test_a_damaged_archive_is_refused_and_the_database_is_left_as_it_was(archive, restored, tmp_path, damage):
    before = restored.fingerprint()
    data = bytearray(archive.path.read_bytes())
    env = {}
    if damage == "flip_a_byte":
        data[len(data) // 2] ^= 0x01
    elif damage == "drop_the_last_chunk":
        del data[-40:]  # the last chunk is short: cutting it leaves whole chunks but no final one
    elif damage == "wrong_key":
        env["DIGIGOV_BACKUP_KEY"] = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    damaged = tmp_path / f"{damage}.dgbackup"
    damaged.write_bytes(bytes(data))

    result = restored.run("restore", str(damaged), "--yes", env=env)

    assert result.returncode != 0
    assert "Refused" in result.stderr and "was not changed" in result.stderr
    if damage == "wrong_key":
        assert "another backup key" in result.stderr
    assert restored.fingerprint() == before


def test_backup_command_writes_an_archive_that_verifies(restored, tmp_path):
    again = tmp_path / "again.dgbackup"

    made = restored.run("backup", "--out", str(again))

    assert made.returncode == 0, made.stderr
    manifest = restore(archive=again, verify_only=True)
    assert manifest.engine == connection.vendor and len(manifest.files) == 1


def test_the_audit_chain_verifies_after_a_restore(restored):
    if "audit" not in get_commands():
        pytest.skip("`digigov audit verify` does not exist yet (issue 7, item 1)")

    result = restored.run("audit", "verify")

    assert result.returncode == 0, result.stdout + result.stderr
