"""The statistics package must import no Django, checked in a clean interpreter.

The imports run in a subprocess so that nothing loaded by the test runner (pytest-django,
the project's conftest) can hide or cause a Django import. Modules are imported one after
another and ``sys.modules`` is inspected after each, so the first offender is named.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import neuroregen.stats

MODULES = ["neuroregen.stats"] + [
    f"neuroregen.stats.{info.name}" for info in pkgutil.iter_modules(neuroregen.stats.__path__)
]

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
    if loaded:
        print(name, "loaded", ",".join(loaded[:5]))
        sys.exit(1)
print("clean")
"""


def _probe(*modules: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_stats_package_and_every_submodule_import_no_django() -> None:
    assert len(MODULES) > 5
    result = _probe(*MODULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "clean"


def test_probe_detects_django() -> None:
    # The check itself must be able to fail.
    result = _probe("neuroregen.stats.results", "django.utils.timezone")
    assert result.returncode == 1
    assert result.stdout.startswith("django.utils.timezone loaded django")
