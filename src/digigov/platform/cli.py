"""`digigov <command>`: the platform's command line, a thin wrapper over Django management commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digigov.platform.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    execute_from_command_line(["digigov", *argv])


if __name__ == "__main__":
    main()
