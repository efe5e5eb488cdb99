"""`digigov backup` / `digigov restore`: a consistent snapshot of the database, encrypted and checksummed.

The snapshot is SQLite's online backup API (one step, so one consistent state even while others write)
or `pg_dump --format=custom` (one repeatable-read transaction). It goes into a tar stream with
`manifest.json` (engine, time, versions, SHA-256 and size of each file), and the stream is encrypted with
AES-256-GCM in chunks under DIGIGOV_BACKUP_KEY.

Archive: MAGIC, a 4-byte length and the JSON header (format, chunk size, nonce prefix, the backup key's
fingerprint), then records of a 4-byte length and one sealed chunk each. A chunk's nonce is the header's
8-byte prefix plus the chunk's number, and its associated data is the header's digest, the number and a
last-chunk flag: a chunk that is altered, reordered, swapped in from another archive, or missing from
the end fails verification. Restore verifies every tag and every checksum before it touches the database.
"""

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection, connections

from digigov.platform import keys

MAGIC = b"DIGIGOV-BACKUP\x00\x01"
FORMAT = 1
CHUNK = 1 << 20
_LENGTH = struct.Struct(">I")
_DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupInvalid(Exception):
    """The archive does not verify (altered, truncated, another key, or not a DigiGov backup)."""


class BackupRefused(Exception):
    """The backup or restore cannot run here (tool versions, engine mismatch, in-memory database)."""


@dataclass(frozen=True)
class Manifest:
    engine: str
    created_at: str
    files: dict[str, dict[str, Any]]  # name -> {"sha256", "size"}
    details: dict[str, Any]

    def to_json(self) -> bytes:
        body = {"format": FORMAT, "engine": self.engine, "created_at": self.created_at, "files": self.files}
        return json.dumps({**body, **self.details}, indent=2, sort_keys=True).encode()


def _key() -> bytes:
    key = settings.DIGIGOV_BACKUP_KEY
    if len(key) != 32:
        raise BackupRefused("DIGIGOV_BACKUP_KEY must be 32 bytes (base64)")
    return key


def key_fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"digigov:backup-key-id:" + key).hexdigest()[:16]


def _engine(db: dict) -> str:
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return "sqlite"
    if engine == "postgresql":
        return "postgresql"
    raise BackupRefused(f"Backups support SQLite and PostgreSQL, not {db['ENGINE']}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# The encrypted, chunked stream
# ---------------------------------------------------------------------------------------------------------


class _SealingWriter(io.RawIOBase):
    """A write-only stream that seals what it is given in CHUNK-sized records."""

    def __init__(self, out: IO[bytes], *, key: bytes) -> None:
        self._out = out
        self._aead = AESGCM(key)
        self._prefix = os.urandom(8)
        header = json.dumps(
            {
                "format": FORMAT,
                "cipher": "AES-256-GCM",
                "chunk_size": CHUNK,
                "nonce_prefix": self._prefix.hex(),
                "key_fingerprint": key_fingerprint(key),
            }
        ).encode()
        out.write(MAGIC + _LENGTH.pack(len(header)) + header)
        self._header_digest = hashlib.sha256(MAGIC + header).digest()
        self._buffer = bytearray()
        self._counter = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last record carries the flag
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._counter)
        aad = self._header_digest + struct.pack(">Q", self._counter) + (b"\x01" if last else b"\x00")
        sealed = self._aead.encrypt(nonce, plaintext, aad)
        self._out.write(_LENGTH.pack(len(sealed)) + sealed)
        self._counter += 1

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()


def _opened_records(archive: IO[bytes], *, key: bytes) -> Iterator[bytes]:
    """The plaintext chunks of an archive, each verified; raises BackupInvalid at the first fault."""
    if archive.read(len(MAGIC)) != MAGIC:
        raise BackupInvalid("Not a DigiGov backup archive (or an unknown format version)")
    (length,) = _LENGTH.unpack(archive.read(4) or b"\x00\x00\x00\x00")
    header_bytes = archive.read(length)
    try:
        header = json.loads(header_bytes)
        prefix = bytes.fromhex(header["nonce_prefix"])
    except (ValueError, KeyError):
        raise BackupInvalid("The archive's header is damaged") from None
    if header.get("key_fingerprint") != key_fingerprint(key):
        raise BackupInvalid(
            f"The archive was encrypted with another backup key (fingerprint {header.get('key_fingerprint')}, "
            f"configured {key_fingerprint(key)}): set DIGIGOV_BACKUP_KEY to the key it was made with"
        )
    aead, digest, counter = AESGCM(key), hashlib.sha256(MAGIC + header_bytes).digest(), 0
    while True:
        raw_length = archive.read(4)
        if len(raw_length) < 4:
            raise BackupInvalid("The archive is truncated: its last chunk is missing")
        sealed = archive.read(_LENGTH.unpack(raw_length)[0])
        nonce = prefix + struct.pack(">I", counter)
        for last in (False, True):
            try:
                plaintext = aead.decrypt(nonce, sealed, digest + struct.pack(">Q", counter) + bytes([last]))
            except InvalidTag:
                continue
            break
        else:
            raise BackupInvalid(f"Chunk {counter} of the archive does not verify: the archive was altered")
        yield plaintext
        counter += 1
        if last:
            if archive.read(1):
                raise BackupInvalid("The archive has data after its last chunk")
            return


# ---------------------------------------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------------------------------------


def _snapshot_sqlite(dest: Path) -> dict[str, Any]:
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)  # all pages in one step: one consistent state
    finally:
        target.close()
    return {"sqlite_version": sqlite3.sqlite_version}


def _pg_env(db: dict) -> dict[str, str]:
    """libpq's environment for the Django database settings (keeps the password off the command line)."""
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for setting, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(setting):
            env[variable] = str(db[setting])
    return env


def _tool(name: str) -> tuple[str, int, str]:
    """(path, major version, version line) of a PostgreSQL client tool found on PATH."""
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    version = subprocess.run([path, "--version"], check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603
    match = re.search(r"(\d+)(?:\.\d+)?", version)
    if match is None:
        raise BackupRefused(f"Cannot read the version of {name}: {version!r}")
    return path, int(match.group(1)), version


def _snapshot_postgresql(dest: Path) -> dict[str, Any]:
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    pg_dump, tool_major, tool_version = _tool("pg_dump")
    # pg_dump reads servers of its own major version or older; an older pg_dump refuses a newer server.
    if tool_major < server_major:
        raise BackupRefused(f"{tool_version} cannot dump PostgreSQL {server_major}: install pg_dump {server_major}")
    subprocess.run(  # noqa: S603 (fixed arguments; the database comes from the environment)
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(dest)],
        env=_pg_env(connection.settings_dict),
        check=True,
        capture_output=True,
    )
    return {"pg_dump_version": tool_version, "server_version": connection.pg_version}


def backup_create(*, out: Path) -> Manifest:
    """Write an encrypted, checksummed archive of the configured database to `out` (replaced atomically)."""
    engine = _engine(connection.settings_dict)
    if connection.in_atomic_block:
        # SQLite's backup would wait forever on this connection's own write lock, and pg_dump would not
        # see the uncommitted rows: a backup is taken from outside any transaction.
        raise BackupRefused("A backup cannot run inside a database transaction")
    key = _key()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="digigov-backup-") as workdir:
        dump = Path(workdir) / _DATABASE_FILE[engine]
        details = _snapshot_sqlite(dump) if engine == "sqlite" else _snapshot_postgresql(dump)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        manifest = Manifest(
            engine=engine,
            created_at=created,
            files={dump.name: {"sha256": _sha256(dump), "size": dump.stat().st_size}},
            details={**details, "migrations": _migrations_applied()},
        )
        partial = out.with_name(out.name + ".partial")
        with partial.open("wb") as raw:
            sealing = _SealingWriter(raw, key=key)
            with tarfile.open(fileobj=sealing, mode="w|") as tar:
                info = tarfile.TarInfo("manifest.json")
                body = manifest.to_json()
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
                tar.add(dump, arcname=dump.name)
            sealing.finish()
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(out)
    return manifest


def _migrations_applied() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0]


# ---------------------------------------------------------------------------------------------------------
# Verify and restore
# ---------------------------------------------------------------------------------------------------------


def backup_verify(*, archive: Path, workdir: Path) -> tuple[Manifest, Path]:
    """Decrypt and check `archive` into `workdir`: every chunk's tag, the tar's members, every checksum.

    Returns the manifest and the database file; raises BackupInvalid if anything does not match."""
    plain = workdir / "archive.tar"
    with archive.open("rb") as source, plain.open("wb") as sink:
        for chunk in _opened_records(source, key=_key()):
            sink.write(chunk)
    try:
        with tarfile.open(plain, mode="r:") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if "manifest.json" not in members or not all(m.isfile() for m in members.values()):
                raise BackupInvalid("The archive does not hold a manifest and plain files only")
            body = json.loads(tar.extractfile(members["manifest.json"]).read())
            files = body.get("files", {})
            if set(members) != {"manifest.json", *files}:
                raise BackupInvalid("The archive's files do not match its manifest")
            for name in files:
                if name not in _DATABASE_FILE.values():
                    raise BackupInvalid(f"Unexpected file in the archive: {name}")
                tar.extract(members[name], path=workdir, filter="data")
    except (tarfile.TarError, json.JSONDecodeError) as error:
        raise BackupInvalid(f"The archive's contents are damaged: {error}") from None
    plain.unlink()
    for name, expected in files.items():
        path = workdir / name
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupInvalid(f"{name} does not match its SHA-256 in the manifest")
    engine = body["engine"]
    manifest = Manifest(
        engine=engine,
        created_at=body["created_at"],
        files=files,
        details={k: v for k, v in body.items() if k not in {"format", "engine", "created_at", "files"}},
    )
    return manifest, workdir / _DATABASE_FILE[engine]


def _restore_sqlite(source: Path, db: dict) -> None:
    name = str(db["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupRefused("The configured SQLite database is in memory; there is nothing to restore into")
    snapshot = sqlite3.connect(source)
    try:
        if snapshot.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupInvalid("The SQLite snapshot in the archive fails its integrity check")
        # The backup API writes the whole database in one transaction under SQLite's lock, so readers see
        # the old or the new database, never a mix; replacing the file itself would race with the WAL and
        # shared-memory files of processes that have it open.
        target = sqlite3.connect(name, timeout=60)
        try:
            snapshot.backup(target)
        finally:
            target.close()
    finally:
        snapshot.close()


def _restore_postgresql(source: Path, db: dict) -> None:
    pg_restore, _major, _version = _tool("pg_restore")
    result = subprocess.run(  # noqa: S603 (fixed arguments and the configured database name)
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            db["NAME"],
            str(source),
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupRefused(f"pg_restore failed; the database is unchanged (one transaction): {result.stderr[-2000:]}")


def restore(*, archive: Path, verify_only: bool = False) -> Manifest:
    """Verify `archive`, then (unless `verify_only`) restore it over the configured database."""
    db = connections["default"].settings_dict
    with tempfile.TemporaryDirectory(prefix="digigov-restore-") as workdir:
        manifest, database_file = backup_verify(archive=archive, workdir=Path(workdir))
        if verify_only:
            return manifest
        engine = _engine(db)
        if manifest.engine != engine:
            raise BackupRefused(f"The archive holds a {manifest.engine} database; this one is {engine}")
        connections.close_all()
        if engine == "sqlite":
            _restore_sqlite(database_file, db)
        else:
            _restore_postgresql(database_file, db)
    keys.cache_clear()  # the restored database may hold other data keys
    return manifest
