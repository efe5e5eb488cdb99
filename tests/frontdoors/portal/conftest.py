"""Portal test helpers: signed-in clients and the baby bonus form's questions."""

import pytest
from django.test import Client

from tests.support import signed_in_client

SIGN_IN_BACKEND = "digigov.blocks.identity.backends.SignInIdBackend"
PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def client_for():
    """A test client signed in as `account`, as signing in leaves it (tests.support.signed_in_client)."""

    def make(account) -> Client:
        return signed_in_client(account)

    return make


@pytest.fixture
def citizen_password(citizen):
    """A password we know for the demo citizen (the seed's own may change)."""
    citizen.set_password(PASSWORD)
    citizen.save(update_fields=["password"])
    return PASSWORD


@pytest.fixture
def baby_bonus_fields(baby_bonus):
    from digigov.blocks.services.queries import service_fields

    return service_fields(service=baby_bonus)
