"""Back office test helpers: officers' signed-in clients and a task waiting in the social security queue."""

import pytest
from django.test import Client

SIGN_IN_BACKEND = "digigov.blocks.identity.backends.SignInIdBackend"


@pytest.fixture
def signed_in():
    """A test client signed in as `account` with both factors done, as the sign-in pages leave it."""

    def make(account, *, mfa_verified: bool = True) -> Client:
        client = Client()
        client.force_login(account, backend=SIGN_IN_BACKEND)
        if mfa_verified:
            session = client.session
            session["mfa_verified"] = True
            session.save()
        return client

    return make


@pytest.fixture
def task(submitted_application, deliver_events):
    """The demo citizen's baby bonus application, delivered by the worker into the SSA queue."""
    from digigov.blocks.workflow.models import Task

    deliver_events()
    return Task.objects.select_related("application").get(application_id=submitted_application.pk)
