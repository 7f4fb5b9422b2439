"""The ``neuroregen`` command: every Django management command, plus project ones.

``neuroregen migrate``, ``neuroregen demo_setup``, ``neuroregen rotate_identity_keys`` ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv if argv is None else ["neuroregen", *argv]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
