"""The import contracts in pyproject.toml hold, and they would catch a wrong import.

The second half runs the real contract configuration against a small fake project tree (the
same apps, a few modules each), so a contract written too loosely — a missing layer, a
forbidden module misspelt, an ignore that covers more than one line — fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
FAKE = "nrfake"

# A tree that keeps every contract: each app imports only below itself.
CLEAN_TREE = {
    "settings.py": "",
    "urls.py": "from nrfake.api import api\n",
    "stats/meta.py": "from nrfake.stats import core\n",
    "stats/core.py": "import math\n",
    "core/models.py": "import django\n",
    "core/api_base/schemas.py": "from nrfake.core import models\n",
    "participants/services.py": "from nrfake.core import models\n",
    "protocols/timeline.py": "from nrfake.core import models\n",
    "protocols/services.py": "from nrfake.participants import services\n",
    "protocols/selectors.py": "from nrfake.protocols import timeline\n",
    "visits/services.py": "from nrfake.protocols import services, timeline\n",
    "visits/api.py": "from nrfake.core.api_base import schemas\n",
    "biomarkers/models.py": "from nrfake.visits import services\n",
    "biomarkers/services.py": "from nrfake.biomarkers import models\n",
    "instruments/services.py": "from nrfake.biomarkers import models\n",
    "products/services.py": "from nrfake.instruments import services\n",
    "safety/models.py": "from nrfake.products import services\n",
    "safety/services.py": "from nrfake.safety import models\n",
    "evidence/selectors.py": "from nrfake.protocols import selectors, timeline\n"
    "from nrfake.safety import models\n",
    "evidence/services.py": "from nrfake.evidence import selectors\n"
    "from nrfake.stats import meta\n",
    "reports/services.py": "from nrfake.evidence import services\n",
    "interop/services.py": "from nrfake.visits import services\n",
    "accounts/services.py": "from nrfake.core import models\n",
    "api/api.py": "from nrfake.visits import api\n",
    "synthetic/cohort.py": "from nrfake.reports import services\n",
}


def _contracts() -> list[dict]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]["contracts"]


def _names(*ids: str) -> set[str]:
    by_id = {contract["id"]: contract["name"] for contract in _contracts()}
    return {by_id[i] for i in ids}


def _fake_config() -> str:
    """The [tool.importlinter] tables of pyproject.toml, pointed at the fake root package."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    end = text.find("\n[tool.", start + 1)
    while end != -1 and text.startswith("\n[tool.importlinter", end):
        end = text.find("\n[tool.", end + 1)
    section = text[start:] if end == -1 else text[start:end]
    return re.sub(r"\bneuroregen\b", FAKE, section)


def _lint(cwd: Path, *, pythonpath: Path, config: Path | None = None) -> tuple[int, str]:
    args = [LINT_IMPORTS, "--no-logo", "--no-cache"]
    if config is not None:
        args.append(str(config))
    done = subprocess.run(  # noqa: S603 - our own venv's lint-imports, fixed arguments
        args,
        cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _broken(output: str) -> set[str]:
    # Summary lines read "<contract name> BROKEN", perhaps followed by "(n ignored imports)".
    found = (re.fullmatch(r"(.+) BROKEN( \(.*\))?", line) for line in output.splitlines())
    return {match.group(1) for match in found if match}


@pytest.fixture
def fake_project(tmp_path: Path):
    """Write the clean fake tree; returns a function that adds one module and lints."""
    for relative, source in CLEAN_TREE.items():
        path = tmp_path / FAKE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for directory in [tmp_path / FAKE, *(tmp_path / FAKE).rglob("*")]:
        if directory.is_dir():
            (directory / "__init__.py").touch()
    config = tmp_path / "pyproject.toml"
    config.write_text(_fake_config(), encoding="utf-8")

    def lint(extra: dict[str, str] | None = None) -> tuple[int, str]:
        for relative, source in (extra or {}).items():
            (tmp_path / FAKE / relative).write_text(source, encoding="utf-8")
        return _lint(tmp_path, pythonpath=tmp_path, config=config)

    return lint


def test_the_project_keeps_its_contracts():
    code, output = _lint(ROOT, pythonpath=ROOT / "src")
    assert code == 0, output
    assert _broken(output) == set()
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in output


def test_the_clean_fake_tree_keeps_every_contract(fake_project):
    # Without this the wrong-import cases below could pass for a reason of their own.
    code, output = fake_project()
    assert code == 0, output
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in output


# An import up the order also closes a circle with the imports the clean tree has going down.
@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("stats/bad.py", "import django\n", {"stats-pure"}),
        (
            "stats/bad.py",
            "from nrfake.evidence import services\n",
            {"stats-pure", "layers", "no-circles"},
        ),
        (
            "core/bad.py",
            "from nrfake.participants import services\n",
            {"core-no-domain", "layers", "no-circles"},
        ),
        ("core/bad.py", "from nrfake.api import api\n", {"core-no-domain", "layers", "no-circles"}),
        # An import inside a function counts; the lower app reaching up to the higher one.
        (
            "protocols/bad.py",
            "def f():\n    from nrfake.visits import services\n",
            {"layers", "no-circles"},
        ),
        (
            "biomarkers/bad.py",
            "from nrfake.instruments import services\n",
            {"layers", "no-circles"},
        ),
        # Several steps down the order still counts: participants -> products.
        ("participants/bad.py", "import nrfake.products.services\n", {"layers", "no-circles"}),
        # Siblings at the top stay independent of each other.
        ("reports/bad.py", "from nrfake.interop import services\n", {"layers"}),
        # A lower app calling up into safety (biomarkers sends a signal instead).
        ("biomarkers/views.py", "from nrfake.safety import services\n", {"layers", "no-circles"}),
        # evidence reads selectors and models; it never calls another app's services.
        ("evidence/bad.py", "from nrfake.safety import services\n", {"evidence-reads"}),
        # Two modules of one app importing each other (selectors imports timeline), even lazily.
        (
            "protocols/timeline.py",
            "def f():\n    from nrfake.protocols import selectors\n",
            {"no-circles"},
        ),
    ],
)
def test_a_wrong_import_is_reported(fake_project, module, source, broken):
    code, output = fake_project({module: source})
    assert code == 1, output
    assert _broken(output) == _names(*broken), output
    # The report names the offending module (a circle, relative to its package).
    dotted = f"{FAKE}.{module.removesuffix('.py').replace('/', '.')}"
    assert dotted in output or f".{dotted.rsplit('.', 1)[1]} -> " in output, output
