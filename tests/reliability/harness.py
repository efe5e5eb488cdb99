"""A real DigiGov server in separate processes (gunicorn + the event worker) on its own database, for the
reliability proofs: crash it with SIGKILL, restart it, and check the database afterwards from a fresh process.

The database is a SQLite file in a temporary folder, or, when the tests run on PostgreSQL (DATABASE_URL), a
database of its own next to the test database, created and dropped here.
"""

import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "harness-password-2026"  # noqa: S105 (synthetic accounts on a throwaway database)
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

# Run inside the platform (`digigov shell -c`): person accounts with ready sessions, as a sign-in leaves them.
PREPARE = """
import json, os
from django.contrib.sessions.backends.db import SessionStore
from digigov.blocks.identity.models import Account
from digigov.blocks.identity.oidc.claims import ACR_PASSWORD
from digigov.blocks.identity.oidc.first_party import FRONT_DOOR_SESSION, PORTAL
from digigov.blocks.identity.seeding import person_accounts_create
from digigov.blocks.registries.models import Person

count = int(os.environ["HARNESS_ACCOUNTS"])
ids = list(Person.objects.filter(date_of_birth__year__lt=2000).order_by("id").values_list("id", flat=True)[:count])
person_accounts_create(person_ids=ids, password=os.environ["HARNESS_PASSWORD"])
sessions = []
for account in Account.objects.filter(person_id__in=ids).order_by("id"):
    store = SessionStore()
    store["_auth_user_id"] = str(account.pk)
    store["_auth_user_backend"] = "digigov.blocks.identity.backends.SignInIdBackend"
    store["_auth_user_hash"] = account.get_session_auth_hash()
    # ... and as the portal's own sign-in through the provider leaves it (what these runs test comes after).
    store[FRONT_DOOR_SESSION] = {PORTAL: {"account": account.pk, "acr": ACR_PASSWORD, "at": 0}}
    store.create()
    sessions.append(store.session_key)
print("HARNESS " + json.dumps(sessions))
"""

# Run inside the platform after the last crash: deliver every event as `digigov worker` would, then report
# what each application left behind.
CHECK = """
import json, os
from collections import Counter
from digigov.blocks.audit.models import AuditEntry
from digigov.blocks.kpi.models import TransactionEvent
from digigov.blocks.messaging.models import Message
from digigov.blocks.services.models import Application, ApplicationStep
from digigov.blocks.workflow.models import Task
from digigov.platform.models import Event, EventHandled
from digigov.platform.outbox import dispatch_all

import time
# As the worker would over time: events waiting out a back-off (a send whose claim a killed worker left behind)
# are delivered when it ends.
deadline = time.monotonic() + 60
dispatch_all()
while Event.objects.filter(dispatched_at__isnull=True, failed_at__isnull=True).exists() and time.monotonic() < deadline:
    time.sleep(0.5)
    dispatch_all()
keys = json.loads(open(os.environ["HARNESS_KEYS"]).read())
apps = list(Application.objects.filter(idempotency_key__in=keys).values("id", "idempotency_key", "status"))
ids = {str(a["id"]) for a in apps}


def per(queryset, column):
    return Counter(str(v) for v in queryset.values_list(column, flat=True))


steps = per(ApplicationStep.objects.filter(application_id__in=ids), "application_id")
audits = per(AuditEntry.objects.filter(action="services:application:submit", object_id__in=ids), "object_id")
submitted = [e for e in Event.objects.filter(type="application.submitted") if e.payload["application_id"] in ids]
events = Counter(e.payload["application_id"] for e in submitted)
event_ids = {e.event_id for e in submitted}
tasks = per(Task.objects.filter(application_id__in=ids), "application_id")
kpis = per(TransactionEvent.objects.filter(kind="submitted", application_id__in=ids), "application_id")
messages = per(Message.objects.filter(source_event_id__in=event_ids), "source_event_id")
handled = Counter(EventHandled.objects.filter(event__event_id__in=event_ids).values_list("event_id", "subscriber"))
print("HARNESS " + json.dumps({
    "applications": {a["idempotency_key"]: str(a["id"]) for a in apps},
    "applications_per_key": dict(Counter(a["idempotency_key"] for a in apps)),
    "steps": {i: steps[i] for i in ids}, "audits": {i: audits[i] for i in ids}, "events": {i: events[i] for i in ids},
    "tasks": {i: tasks[i] for i in ids}, "kpis": {i: kpis[i] for i in ids},
    "messages": {str(e): messages[str(e)] for e in event_ids},
    "handled_twice": [str(k) for k, n in handled.items() if n > 1],
    "undelivered": Event.objects.filter(dispatched_at__isnull=True).count(),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _output(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _marked(output: str) -> object:
    line = next(line for line in reversed(output.splitlines()) if line.startswith("HARNESS "))
    return json.loads(line.removeprefix("HARNESS "))


@dataclass
class Platform:
    """A migrated, seeded database and the environment for processes that use it."""

    env: dict
    sessions: list[str]
    answers: dict
    dropdb: list[str] = field(default_factory=list)

    def shell(self, code: str, **extra: str) -> object:
        return _marked(_output([str(BIN / "digigov"), "shell", "-c", code], {**self.env, **extra}))

    def close(self) -> None:
        if self.dropdb:
            subprocess.run(self.dropdb, check=False, capture_output=True)  # noqa: S603


def platform_create(*, folder: Path, accounts: int = 4, residents: int = 40) -> Platform:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "digigov.platform.settings_test"),
        "DIGIGOV_ENV": "test",
        "DIGIGOV_RATE_LIMITS": "0",
        "DIGIGOV_DELIVER_EVENTS_INLINE": "0",
        # A send cut off by a kill is retried once its claim lapses: within the check below, not minutes later.
        "DIGIGOV_MESSAGING_SEND_LEASE_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "DIGIGOV_WAREHOUSE_DIR": str(folder / "warehouse"),
    }
    dropdb: list[str] = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        name = parts.path.lstrip("/") + "_harness"
        host, port = parts.hostname or "127.0.0.1", str(parts.port or 5432)
        connect = ["-h", host, "-p", port, "-U", parts.username or "postgres"]
        dropdb = [shutil.which("dropdb") or "dropdb", *connect, "--if-exists", "--force", name]
        subprocess.run(dropdb, check=True, capture_output=True)  # noqa: S603
        createdb = [shutil.which("createdb") or "createdb", *connect, name]
        subprocess.run(createdb, check=True, capture_output=True)  # noqa: S603
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    else:
        env["DATABASE_URL"] = f"sqlite:///{folder / 'harness.sqlite3'}"
    digigov = str(BIN / "digigov")
    _output([digigov, "migrate", "--no-input", "-v", "0"], env)
    _output([digigov, "seed", "--residents", str(residents), "--seed", "5", "--no-progress"], env)
    platform = Platform(env=env, sessions=[], answers={}, dropdb=dropdb)
    platform.sessions = platform.shell(PREPARE, HARNESS_ACCOUNTS=str(accounts), HARNESS_PASSWORD=PASSWORD)
    return platform


class Server:
    """gunicorn (two workers) and `digigov worker`, each in its own process group that SIGKILL ends whole."""

    def __init__(self, platform: Platform, *, workers: int = 2, threads: int = 4) -> None:
        self.platform = platform
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            args, env=self.platform.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def start(self) -> None:
        """Start whichever of the two is not running, and wait until the web server answers."""
        if self.worker is None:
            self.worker = self._spawn([str(BIN / "digigov"), "worker", "--interval", "0.05"])
        if self.web is None:
            self.web = self._spawn(
                [
                    str(BIN / "gunicorn"),
                    "digigov.platform.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--log-level",
                    "warning",
                    "--preload",
                ]
            )
            self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _body = self.request("GET", "/api/services/baby-bonus", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self, *, worker: bool = True) -> None:
        """SIGKILL the web server's process group (and the event worker's): no handler runs, no transaction
        is finished."""
        victims = [self.web] + ([self.worker] if worker else [])
        for process in filter(None, victims):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        self.web = None
        if worker:
            self.worker = None

    def request(
        self, method: str, path: str, *, body: object = None, headers: dict | None = None, timeout: float = 10
    ) -> tuple[int, object]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode(errors="replace")
        finally:
            conn.close()

    def page(self, method: str, path: str, *, session: str, form: dict | None = None) -> tuple[int, str, str]:
        """A browser's request to a page, signed in: (status, Location, body). Forms carry the CSRF token."""
        csrf = secrets.token_hex(16)
        headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}"}
        data = None
        if form is not None:
            data = urlencode({**form, "csrfmiddlewaretoken": csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Location", ""), response.read().decode(errors="replace")
        finally:
            conn.close()

    def service_answers(self) -> dict:
        _status, service = self.request("GET", "/api/services/baby-bonus")
        return {
            f["key"]: (f["choices"][0][0] if f["field_type"] == "choice" else SAMPLE_ANSWERS[f["field_type"]])
            for f in service["fields"]
        }

    def apply(self, *, session: str, key: str, answers: dict, timeout: float = 10) -> tuple[int, object]:
        """Apply for the baby bonus as the signed-in person, with an idempotency key."""
        csrf = secrets.token_hex(16)  # a CSRF secret, sent as cookie and header as a browser's script would
        return self.request(
            "POST",
            "/api/services/baby-bonus/applications",
            timeout=timeout,
            body={"answers": answers, "consent_to_prefill": True},
            headers={"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf, "Idempotency-Key": key},
        )


def new_key() -> str:
    return "harness-" + uuid.uuid4().hex


class Ledger:
    """What the clients know: acknowledged keys (with the application id they got) and keys still in doubt."""

    def __init__(self, sessions: list[str]) -> None:
        self.lock = threading.Lock()
        self.acknowledged: dict[str, str] = {}
        self.in_doubt: dict[str, set[str]] = {s: set() for s in sessions}
        self.interrupted = 0
        self.unexpected: list[tuple[int, object]] = []
        self.changed_ids: list[str] = []
        self.owned: dict[str, set[str]] = {s: set() for s in sessions}

    def record(self, *, session: str, key: str, status: int | None, body: object) -> None:
        with self.lock:
            self.owned[session].add(key)
            if status in (200, 201):
                earlier = self.acknowledged.setdefault(key, body["id"])
                if earlier != body["id"]:
                    self.changed_ids.append(key)
                self.in_doubt[session].discard(key)
            elif status is None:
                self.interrupted += 1
                self.in_doubt[session].add(key)
            else:
                self.unexpected.append((status, body))

    def next_key(self, session: str, rng: random.Random) -> str:
        with self.lock:
            doubtful = sorted(self.in_doubt[session])
        return rng.choice(doubtful) if doubtful and rng.random() < 0.7 else new_key()


def _client(server: Server, ledger: Ledger, session: str, answers: dict, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        key = ledger.next_key(session, rng)
        try:
            status, body = server.apply(session=session, key=key, answers=answers, timeout=10)
        except (OSError, http.client.HTTPException):  # refused, reset or cut off: did it happen? unknown
            status, body = None, None
            time.sleep(0.01)
        ledger.record(session=session, key=key, status=status, body=body)


def crash_run(*, platform: Platform, kills: int, seed: int, pause: tuple[float, float] = (0.05, 0.5)) -> Ledger:
    """Clients apply concurrently while the server is SIGKILLed `kills` times at random moments; after the last
    restart every request still in doubt is retried with its key. Returns what the clients were told."""
    rng = random.Random(seed)
    server = Server(platform)
    ledger = Ledger(platform.sessions)
    server.start()
    answers = server.service_answers()
    try:
        for kill in range(kills):
            if kill:
                server.start()
            stop = threading.Event()
            clients = [
                threading.Thread(target=_client, args=(server, ledger, s, answers, stop, seed + kill * 100 + i))
                for i, s in enumerate(platform.sessions)
            ]
            for thread in clients:
                thread.start()
            time.sleep(rng.uniform(*pause))
            # The web server dies every time; the event worker in about a third of the crashes (restarting it
            # each time would double the run's cost without finding anything new).
            server.kill(worker=rng.random() < 0.35)
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
        server.start()
        for session, keys in ledger.in_doubt.items():
            for key in sorted(keys):
                status, body = server.apply(session=session, key=key, answers=answers)
                ledger.record(session=session, key=key, status=status, body=body)
        # Replaying acknowledged keys gives back the application each made, never a new one.
        owners = {key: s for s, keys in ledger.owned.items() for key in keys}
        for key in list(ledger.acknowledged)[:10]:
            status, body = server.apply(session=owners[key], key=key, answers=answers)
            ledger.record(session=owners[key], key=key, status=status, body=body)
    finally:
        server.kill()
    return ledger


def crash_check(*, platform: Platform, ledger: Ledger, folder: Path) -> dict:
    """Deliver every pending event, then return what each acknowledged key left in the database, and whether
    `digigov audit verify` passes."""
    keys_file = folder / "keys.json"
    keys_file.write_text(json.dumps(sorted(ledger.acknowledged)))
    state = platform.shell(CHECK, HARNESS_KEYS=str(keys_file))
    # The audit log's hash chain, sealed as the worker would, must verify after all the crashes.
    digigov = str(BIN / "digigov")
    _output([digigov, "audit", "seal", "--settle", "0"], platform.env)
    verify = subprocess.run(  # noqa: S603
        [digigov, "audit", "verify"], env=platform.env, capture_output=True, text=True, check=False
    )
    state["audit_verify"] = {"exit": verify.returncode, "output": (verify.stdout + verify.stderr)[-1000:]}
    return state
