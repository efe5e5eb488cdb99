"""No personal data in logs: a whole journey (sign-in with mistakes and a lockout, applying through the portal
and the API, an officer's decision, errors of every kind) with every log record captured at DEBUG, scanned
for every seeded national ID number and email address."""

import logging
import re

import pyotp
import pytest
from django.test import Client

from digigov.blocks.registries.models import Person
from digigov.blocks.registries.synthetic import national_ids_of
from digigov.platform.outbox import dispatch_all
from tests.support import entered_answers

# The test's local SMTP server (aiosmtpd, standing in for the mail relay) logs each mail it receives; it is
# the relay's log, not the platform's, so it is left out.
RELAY_LOGGER = "mail.log"


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(RELAY_LOGGER):
            return
        text = self.format(record)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text} {record.args!r}")


@pytest.fixture
def captured_logs():
    """Every record any logger passes on, with the root at DEBUG; loggers the settings quieten stay quiet,
    as they would in production."""
    handler = _Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def _personal_data() -> set[str]:
    people = list(Person.objects.values_list("pk", "email"))
    ids = set(national_ids_of(person_ids=[pk for pk, _email in people]).values())
    return {v for v in ids | {email for _pk, email in people} if v}


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]+)"', html).group(1)


def test_a_whole_journey_logs_no_national_id_or_email(nation, captured_logs, baby_bonus, smtp_server, settings):
    settings.DIGIGOV_RATE_LIMITS_ENABLED = True
    settings.DIGIGOV_RATE_LIMITS = {
        "sign_in": {"per_ip": "100/m", "per_client": "100/m"},
        "api": {"per_ip": "100/m", "per_client": "100/m"},
    }
    citizen = Client()
    # Mistakes first: an unknown id, a wrong password, then a lockout of the spouse's id.
    citizen.post("/sign-in/", {"sign_in_id": "S0000000Z", "password": "not-the-password"})
    citizen.post("/sign-in/", {"sign_in_id": nation.demo_citizen_national_id, "password": "not-the-password"})
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post("/sign-in/", {"sign_in_id": nation.demo_spouse_national_id, "password": "wrong-again-1"})
    assert (
        citizen.post(
            "/sign-in/", {"sign_in_id": nation.demo_citizen_national_id, "password": nation.demo_password}
        ).status_code
        == 302
    )

    # Apply in the portal (with a validation error on the way) and through the API.
    response = citizen.get("/services/baby-bonus/apply/")
    while not response["Location"].endswith("/consent/"):  # the portal's own sign-in through the provider first
        response = citizen.get(response["Location"])
    consent_url = response["Location"]
    form_url = citizen.post(consent_url, {"decision": "granted"})["Location"]
    key = _hidden(citizen.get(form_url).content.decode(), "idempotency_key")
    assert citizen.post(form_url, {"idempotency_key": key, "action": "submit"}).status_code == 400
    answers = {"bank_account_number": "123-45678-9", "declaration": "yes", "idempotency_key": key, "action": "submit"}
    assert citizen.post(form_url, answers).status_code == 302
    api = citizen.post(
        "/api/services/baby-bonus/applications",
        {"answers": entered_answers(baby_bonus), "consent_to_prefill": True},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="log-scan-journey-1",
    )
    assert api.status_code in {200, 201}
    citizen.post(
        "/api/services/baby-bonus/applications",
        {"answers": {"x": 1}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="log-scan-journey-2",
    )
    citizen.get("/api/applications/not-a-uuid")
    citizen.get("/applications/00000000-0000-0000-0000-000000000000/")
    citizen.get("/my-data/")
    citizen.get("/my-data/access.csv")
    dispatch_all()

    # An officer signs in with two factors and approves; then tries someone else's agency's id.
    officer = Client()
    secret = next(o.totp_secret for o in nation.officers if o.username == "ssa.case")
    officer.post("/sign-in/", {"sign_in_id": "ssa.case", "password": nation.demo_password})
    officer.post("/sign-in/code/", {"code": "000000"})
    officer.post("/sign-in/code/", {"code": pyotp.TOTP(secret).now()})
    task = officer.get("/api/tasks").json()[0]
    officer.post(f"/api/tasks/{task['id']}/claim")
    assert (
        officer.post(
            f"/api/tasks/{task['id']}/decision", {"outcome": "approve", "reason": ""}, content_type="application/json"
        ).status_code
        == 201
    )
    officer.post(f"/api/tasks/{task['id']}/decision", {"outcome": "nonsense"}, content_type="application/json")
    dispatch_all()

    # The capture works: the failed sign-ins and refused requests were logged.
    assert any(line.startswith("axes") for line in captured_logs)
    assert any(line.startswith("django.request: Not Found") for line in captured_logs)
    secrets = _personal_data()
    assert nation.demo_citizen_national_id in secrets
    leaks = [(value, line[:200]) for line in captured_logs for value in secrets if value in line]
    assert leaks == []
