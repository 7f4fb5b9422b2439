"""Our system-check tag, and the checks a command that only moves data runs before it starts.

Django runs every system check before every command unless the command names the ones it
needs (``requires_system_checks``). The URL checks load the URL configuration, which imports
every page's view module and with them the analysis and plotting libraries: seconds of start-up
that a data import or export does not use. Commands that read or write data and serve no pages
(``import``, ``export``, ``dictionary``) run the model and translation checks and ours (the
stored visit schedules they read and write against); the URL, template, admin, security and
static-files checks guard the web server and run with ``check``, ``runserver``, ``serve`` and
``migrate``, as Django's own ``collectstatic`` runs only the static-files checks.
"""

from __future__ import annotations

from django.core.checks import Tags

PROJECT = "neuroregen"

DATA_COMMAND_CHECKS = [Tags.models, Tags.translation, PROJECT]
