"""Settings for the test suite: the same as production settings, with the test environment selected."""

import os

os.environ.setdefault("DIGIGOV_ENV", "test")
# Tests that check email start a real local SMTP server and switch to the SMTP backend (tests/conftest.py).
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from digigov.platform.settings import *  # noqa: E402, F403
