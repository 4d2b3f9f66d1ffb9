"""The `tribune` console command: Django's manage.py under Tribune's name.

`tribune demo`, `tribune import-page` and every Django management command
(`tribune migrate`, `tribune createsuperuser` …) run through here.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "tribune"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
