"""Application submissions per second through the HTTP API, against a minimal one-row insert view.

For each database (SQLite always; PostgreSQL when it answers on 127.0.0.1:5432): seed 100,000 residents,
serve with gunicorn (2 worker processes), then drive both endpoints with the same client for the same time.
A submission is the whole path: session, consent + pre-fill from the registries (with its access record),
validation, persist, reference number, audit entries and the outbox event.

Last lines: `BENCH submit db=<sqlite|postgresql> rps=<n> baseline_rps=<n> ratio=<r> p99_ms=<n>`.
"""

import argparse
import base64
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGIGOV = str(ROOT / ".venv" / "bin" / "digigov")
PORT = 8765
SAMPLE_ANSWERS = {
    "text": "Sample answer",
    "textarea": "A longer answer.",
    "date": "2026-01-15",
    "integer": "2",
    "money": "1200.50",
    "yesno": "yes",
    "email": "someone@example.org",
    "phone": "+65 8123 4567",
}

PREPARE = """
import json, os
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from digigov.blocks.identity.models import Account
from digigov.blocks.identity.seeding import person_accounts_create
from digigov.blocks.registries.models import Person

count = int(os.environ["BENCH_ACCOUNTS"])
ids = list(Person.objects.filter(date_of_birth__year__lt=2000).order_by("id").values_list("id", flat=True)[:count])
person_accounts_create(person_ids=ids, password="bench-password-2026")
sessions = []
for account in Account.objects.filter(person_id__in=ids):
    store = SessionStore()
    store["_auth_user_id"] = str(account.pk)
    store["_auth_user_backend"] = "digigov.blocks.identity.backends.SignInIdBackend"
    store["_auth_user_hash"] = account.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_baseline_row (id bigserial PRIMARY KEY, body text)")
    else:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline_row (id integer PRIMARY KEY AUTOINCREMENT, body text)"
        )
print(json.dumps(sessions))
"""


def _run(args: list[str], env: dict) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


def _load(*, path: str, make_request, seconds: float, concurrency: int) -> tuple[float, list[float], int]:
    """Each client thread sends requests back to back for `seconds`; returns (rps, latencies, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            headers, body = make_request(index)
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status in (200, 201):
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors[0]


def _p99_ms(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) >= 100 else max(latencies) * 1000


def database_prepare(*, env: dict, residents: int, concurrency: int) -> list[str]:
    """Migrate and seed the bench database; return signed-in session keys for the load's clients."""
    _run([DIGIGOV, "migrate", "--no-input"], env)
    _run([DIGIGOV, "seed", "--residents", str(residents), "--seed", "1"], env)
    prepared = _run([DIGIGOV, "shell", "-c", PREPARE], {**env, "BENCH_ACCOUNTS": str(concurrency * 50)})
    return json.loads(prepared.strip().splitlines()[-1])


def server_start(*, env: dict) -> tuple[subprocess.Popen, dict]:
    """Start gunicorn on PORT and wait until it answers; return it and the baby-bonus service's description."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "digigov.platform.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/api/services/baby-bonus")
            return server, json.loads(conn.getresponse().read())
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def service_answers(*, service: dict) -> dict:
    return {
        f["key"]: (f["choices"][0][0] if f["field_type"] == "choice" else SAMPLE_ANSWERS[f["field_type"]])
        for f in service["fields"]
    }


def submission_requests(*, answers: dict, sessions: list[str]):
    """A request maker for _load: one idempotent submission by one of the signed-in clients."""
    csrf = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and header

    def submission(index: int):
        session = sessions[(index * 7919 + int(time.perf_counter_ns() // 1000)) % len(sessions)]
        return {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Idempotency-Key": uuid.uuid4().hex,
            "Referer": f"http://127.0.0.1:{PORT}/",
        }, json.dumps({"answers": answers, "consent_to_prefill": True})

    return submission


def bench_database(*, label: str, database_url: str, residents: int, seconds: float, concurrency: int) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DIGIGOV_ENV": "production",
        "DEBUG": "0",
        "DIGIGOV_HTTPS": "0",
        "DIGIGOV_RATE_LIMITS": "0",  # throughput of the submission path, not of the rate limiter
        "DIGIGOV_BENCH": "1",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DIGIGOV_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DIGIGOV_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DIGIGOV_KEK": base64.b64encode(os.urandom(32)).decode(),
        "DIGIGOV_SEALING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DIGIGOV_BACKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
    }
    print(f"[{label}] migrating and seeding {residents:,} residents ...", flush=True)
    sessions = database_prepare(env=env, residents=residents, concurrency=concurrency)
    server, service = server_start(env=env)
    try:
        answers = service_answers(service=service)
        submission = submission_requests(answers=answers, sessions=sessions)

        def baseline(index: int):
            return {"Content-Type": "application/json"}, json.dumps({"answers": answers})

        _load(path="/bench/baseline", make_request=baseline, seconds=2, concurrency=concurrency)  # warm up
        base_rps, _base_lat, base_err = _load(
            path="/bench/baseline", make_request=baseline, seconds=seconds, concurrency=concurrency
        )
        _load(path="/api/services/baby-bonus/applications", make_request=submission, seconds=2, concurrency=concurrency)
        rps, latencies, errors = _load(
            path="/api/services/baby-bonus/applications",
            make_request=submission,
            seconds=seconds,
            concurrency=concurrency,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    if errors or base_err or not latencies:
        print(f"[{label}] errors: submissions={errors} baseline={base_err}", file=sys.stderr)
    print(
        f"[{label}] baseline {base_rps:.0f} rps; submissions {rps:.0f} rps, p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 {_p99_ms(latencies):.1f} ms",
        flush=True,
    )
    return (
        f"BENCH submit db={label} rps={rps:.0f} baseline_rps={base_rps:.0f} ratio={rps / base_rps:.2f} "
        f"p99_ms={_p99_ms(latencies):.1f}"
    )


def _postgres_available() -> bool:
    return (
        shutil.which("pg_isready") is not None
        and subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as workdir:
        lines.append(
            bench_database(
                label="sqlite",
                database_url=f"sqlite:///{workdir}/bench.sqlite3",
                residents=args.residents,
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
        )
    if _postgres_available():
        name = f"digigov_bench_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        try:
            lines.append(
                bench_database(
                    label="postgresql",
                    database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
                    residents=args.residents,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                )
            )
        finally:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
