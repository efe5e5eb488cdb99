"""Shared fixtures: a small synthetic nation built once per test session, accounts, and a real SMTP server."""

import itertools
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from digigov.blocks.identity.actions import api_client_create
from digigov.blocks.registries.queries import agency_get
from digigov.platform.outbox import dispatch_all
from tests.support import entered_answers, officer_account

NATION_RESIDENTS = 300
NATION_SEED = 7


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the test database once; each test then runs in a transaction that is rolled back."""
    from digigov.platform.seeding import nation_seed

    with django_db_blocker.unblock():
        summary = nation_seed(residents=NATION_RESIDENTS, seed=NATION_SEED)
    pytest.nation_summary = summary
    return summary


@pytest.fixture
def nation(django_db_setup, db):
    return pytest.nation_summary


@pytest.fixture
def citizen(nation):
    from digigov.blocks.identity.backends import account_for_sign_in_id

    return account_for_sign_in_id(nation.demo_citizen_national_id)


@pytest.fixture
def other_citizen(nation):
    from digigov.blocks.identity.backends import account_for_sign_in_id

    return account_for_sign_in_id(nation.demo_spouse_national_id)


@pytest.fixture
def ssa_officer(nation):
    return officer_account("ssa.case")


@pytest.fixture
def hsg_officer(nation):
    return officer_account("hsg.case")


@pytest.fixture
def deliver_events():
    """Run the worker's delivery loop once, as `digigov worker` would."""
    return dispatch_all


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on localhost; Django's SMTP backend talks to it over TCP."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


@pytest.fixture
def baby_bonus(nation):
    from digigov.blocks.services.queries import service_get

    return service_get(slug="baby-bonus")


@pytest.fixture
def submitted_application(citizen, baby_bonus):
    from digigov.blocks.services.actions import application_apply

    application, _created = application_apply(
        account=citizen, service=baby_bonus, answers=entered_answers(baby_bonus), consent_to_prefill=True,
        idempotency_key="fixture-application-1",
    )
    return application


@pytest.fixture
def in_test_transaction(db):
    """Requests go straight to the WSGI handler, which closes the database connection around each request;
    inside a test that would end the test's transaction, so keep it open as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


_system_names = itertools.count(1)


@pytest.fixture
def govstack_client_factory(nation):
    """`make(agency="REG", apis=("registries",), roles=())` -> (the system's account, request headers)."""

    def make(*, agency: str = "REG", apis: tuple[str, ...] = ("registries",), roles: tuple[str, ...] = ()):
        client, key = api_client_create(
            actor=None,
            name=f"test-system-{next(_system_names)}",
            agency=agency_get(code=agency),
            apis=list(apis),
            roles=list(roles),
        )
        return client.account, {"Authorization": key}

    return make
