"""Data commands run the checks they depend on before they start, and not the web server's.

``import``, ``export`` and ``dictionary`` run the model and translation checks and ours (the
stored visit schedules); loading the URL configuration (every page's libraries) is left to the
commands that serve pages (see ``neuroregen.core.checks``).
"""

from __future__ import annotations

import pytest
from django.core.checks.registry import registry
from django.core.management import call_command, load_command_class
from django.core.management.base import SystemCheckError

from neuroregen.core.checks import DATA_COMMAND_CHECKS
from neuroregen.protocols import codes
from tests.instruments.builders import active_protocol


@pytest.mark.parametrize(
    ("app", "name"),
    [
        ("neuroregen.interop", "import"),
        ("neuroregen.interop", "export"),
        ("neuroregen.instruments", "dictionary"),
    ],
)
def test_data_commands_name_their_checks(app, name):
    assert load_command_class(app, name).requires_system_checks == DATA_COMMAND_CHECKS


def test_the_data_checks_are_the_models_and_schedules_not_the_urls():
    run = {c.__name__ for c in registry.get_checks() if set(c.tags) & set(DATA_COMMAND_CHECKS)}
    assert {"check_all_models", "check_visit_schedules"} <= run
    assert not {"check_url_config", "check_url_namespaces_unique"} & run


@pytest.mark.django_db
def test_a_broken_stored_schedule_stops_an_import_before_it_reads_the_file(monkeypatch, tmp_path):
    active_protocol()
    monkeypatch.setattr(codes, "known_instruments", lambda: codes.BUILTIN_INSTRUMENTS - {"cshq"})
    with pytest.raises(SystemCheckError, match=r"visits\.E002"):
        call_command(
            "import",
            "redcap",
            str(tmp_path / "never-read.csv"),
            "--protocol",
            "NR-CELL-01",
            "--user",
            "nobody",
            skip_checks=False,
        )
