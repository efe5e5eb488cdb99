"""The cost of the tamper-evident audit log: submissions per second with the worker chaining and sealing
entries versus with that step off, and `digigov audit verify` speed over a log of 1,000,000 entries.

Part 1 seeds a small nation in SQLite, serves it with gunicorn (2 processes) and runs `digigov worker`
beside it, in rounds with DIGIGOV_AUDIT_SEALING=0 and =1 in the order off, on, on, off, ... (same database,
same client as bench_submit.py), and compares the median rates. Part 2 fills a fresh database with synthetic
audit entries, chains and seals them, then times `digigov audit verify`.

Last line: `BENCH trust sealing_overhead_pct=<n> verify_eps=<n>`.
"""

import argparse
import base64
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_submit import (  # noqa: E402
    DIGIGOV,
    _load,
    _run,
    database_prepare,
    server_start,
    service_answers,
    submission_requests,
)

ACTIONS = ["services:application:submit", "registries:person:read", "identity:session:sign-in", "workflow:task:done"]


def _env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DIGIGOV_ENV": "demo",  # keys derived from the random SECRET_KEY below
        "DEBUG": "0",
        "DIGIGOV_HTTPS": "0",
        "DIGIGOV_RATE_LIMITS": "0",  # throughput of the submission path, not of the rate limiter
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DIGIGOV_SEALING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",  # no SMTP server here
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "digigov.platform.settings",
    }


def sealing_overhead(*, workdir: str, residents: int, seconds: float, concurrency: int, rounds: int) -> float:
    env = _env(f"sqlite:///{workdir}/trust.sqlite3")
    print(f"[overhead] migrating and seeding {residents:,} residents ...", flush=True)
    sessions = database_prepare(env=env, residents=residents, concurrency=concurrency)
    server, service = server_start(env=env)
    rates: dict[bool, list[float]] = {False: [], True: []}
    try:
        submission = submission_requests(answers=service_answers(service=service), sessions=sessions)
        path = "/api/services/baby-bonus/applications"
        _load(path=path, make_request=submission, seconds=2, concurrency=concurrency)  # warm up
        # Off, on, on, off, off, on, ...: a drift in speed over the run (the database growing, other work on
        # the machine) weighs on both sides alike.
        for sealing in [(round_ + 1) // 2 % 2 == 1 for round_ in range(rounds * 2)]:
            # Every round starts with nothing pending: the events of the rounds before delivered and their audit
            # entries chained and sealed. Otherwise a round's worker also works off what earlier rounds left,
            # more or less at random, and that swayed the rates more than sealing does.
            _run([DIGIGOV, "worker", "--once"], {**env, "DIGIGOV_AUDIT_SEALING": "1"})
            worker = subprocess.Popen(
                [DIGIGOV, "worker"],
                env={**env, "DIGIGOV_AUDIT_SEALING": "1" if sealing else "0"},
                stdout=subprocess.DEVNULL,
            )
            try:
                time.sleep(3)  # the worker's start-up (loading Django) is not part of either side
                rps, _latencies, errors = _load(
                    path=path, make_request=submission, seconds=seconds, concurrency=concurrency
                )
            finally:
                worker.terminate()
                worker.wait(timeout=30)
            rates[sealing].append(rps)
            print(
                f"[overhead] sealing {'on ' if sealing else 'off'}: {rps:.0f} submissions/s ({errors} errors)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
    _run([DIGIGOV, "audit", "seal", "--settle", "0"], env)
    print("[overhead] after the run:", _run([DIGIGOV, "audit", "verify"], env).strip(), flush=True)
    # Medians: now and then a round runs at a third of the others' speed whichever way sealing is set (the
    # machine busy elsewhere), and one such round would otherwise decide the result.
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    mean_off, mean_on = statistics.mean(rates[False]), statistics.mean(rates[True])
    print(
        f"[overhead] median {off:.1f} off, {on:.1f} on; mean {mean_off:.1f} off, {mean_on:.1f} on "
        f"({(mean_off - mean_on) / mean_off * 100:.1f} % by the means)",
        flush=True,
    )
    return (off - on) / off * 100


def verify_speed(*, workdir: str, entries: int) -> tuple[float, float]:
    path = f"{workdir}/verify.sqlite3"
    env = _env(f"sqlite:///{path}")
    _run([DIGIGOV, "migrate", "--no-input"], env)
    print(f"[verify] writing {entries:,} audit entries ...", flush=True)
    database = sqlite3.connect(path)
    database.executemany(
        "INSERT INTO audit_auditentry (at, actor_id, actor_label, agency_code, action, object_type, object_id, "
        "request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                f"2026-11-{1 + i // 86_400 % 28:02d} {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
                f".{i % 999_983:06d}",
                i % 5000 or None,
                f"person:{i % 5000}",
                "SSA" if i % 2 else "",
                ACTIONS[i % 4],
                "application",
                str(i),
                f"{i:032x}",
                '{"elements": ["date_of_birth", "full_name"], "purpose": "pre-fill"}' if i % 3 == 0 else "{}",
            )
            for i in range(entries)
        ),
    )
    database.commit()
    database.close()
    started = time.perf_counter()
    _run([DIGIGOV, "audit", "seal", "--settle", "0"], env)
    print(f"[verify] chained and sealed in {time.perf_counter() - started:.1f} s", flush=True)
    output = _run([DIGIGOV, "audit", "verify"], env).strip()
    print(f"[verify] {output}", flush=True)
    match = re.search(r"\(([\d,]+) entries/s; ([\d,]+) per CPU-second\)", output)
    return float(match.group(1).replace(",", "")), float(match.group(2).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=3_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=6, help="Rounds with sealing off and on each.")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        overhead = sealing_overhead(
            workdir=workdir,
            residents=args.residents,
            seconds=args.seconds,
            concurrency=args.concurrency,
            rounds=args.rounds,
        )
        eps, cpu_eps = verify_speed(workdir=workdir, entries=args.entries)
    # Wall-clock figures depend on what else runs: say how busy the machine was.
    print(
        f"verify: {eps:,.0f} entries/s wall clock, {cpu_eps:,.0f} per CPU-second; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"BENCH trust sealing_overhead_pct={overhead:.1f} verify_eps={eps:.0f}")


if __name__ == "__main__":
    main()
