"""Settings for the test suite: the same as production settings, with the test environment selected."""

import os
import tempfile

os.environ.setdefault("DIGIGOV_ENV", "test")
# Tests never write into the repository's own var/warehouse.
os.environ.setdefault("DIGIGOV_WAREHOUSE_DIR", tempfile.mkdtemp(prefix="digigov-test-warehouse-"))
# Tests that check email start a real local SMTP server and switch to the SMTP backend (tests/conftest.py).
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from digigov.platform.settings import *  # noqa: E402, F403
