"""Settings for the test suite: the same as production settings, with the test environment selected."""

import os

os.environ.setdefault("DIGIGOV_ENV", "test")
os.environ.setdefault("EMAIL_PORT", "0")  # tests start their own SMTP server and point EMAIL_PORT at it

from digigov.platform.settings import *  # noqa: E402, F403
