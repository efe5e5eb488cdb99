"""Back office test helpers: officers' signed-in clients and a task waiting in the social security queue."""

import pytest
from django.test import Client

from tests.support import signed_in_client

SIGN_IN_BACKEND = "digigov.blocks.identity.backends.SignInIdBackend"


@pytest.fixture
def signed_in():
    """A test client signed in as `account` as signing in leaves it (tests.support.signed_in_client), or with
    mfa_verified=False after the password only: signed in at the provider, not in the back office."""

    def make(account, *, mfa_verified: bool = True) -> Client:
        if mfa_verified:
            return signed_in_client(account)
        client = Client()
        client.force_login(account, backend=SIGN_IN_BACKEND)
        return client

    return make


@pytest.fixture
def task(submitted_application, deliver_events):
    """The demo citizen's baby bonus application, delivered by the worker into the SSA queue."""
    from digigov.blocks.workflow.models import Task

    deliver_events()
    return Task.objects.select_related("application").get(application_id=submitted_application.pk)
