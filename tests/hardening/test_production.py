"""The production profile: `check --deploy` is clean, and `serve --production` runs gunicorn.

Settings are read once per process, so these tests start `neuroregen` in a child process with
the production environment a deployment would have.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import neuroregen

pytestmark = pytest.mark.slow


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEUROREGEN_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        NEUROREGEN_PRODUCTION="1",
        NEUROREGEN_SECRET_KEY=secrets.token_urlsafe(64),
        NEUROREGEN_FIELD_KEYS=Fernet.generate_key().decode(),
        NEUROREGEN_BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        NEUROREGEN_ALLOWED_HOSTS="127.0.0.1,neuroregen.example.org",
        NEUROREGEN_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    env.update(extra)
    return env


def neuroregen_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "neuroregen", *args]


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = subprocess.run(  # noqa: S603 - our own command
        neuroregen_cmd("check", "--deploy", "--fail-level", "WARNING"),
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_hsts_is_switched_off(tmp_path):
    result = subprocess.run(  # noqa: S603
        neuroregen_cmd("check", "--deploy", "--fail-level", "WARNING"),
        env=production_env(tmp_path, NEUROREGEN_HSTS_SECONDS="0"),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_production_requires_keys_and_forces_two_factor(tmp_path):
    probe = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.NEUROREGEN_REQUIRE_2FA, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.TASKS['default']['BACKEND'])"
    )
    env = production_env(tmp_path, NEUROREGEN_2FA="0", DJANGO_SETTINGS_MODULE="neuroregen.settings")
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup(); " + probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert shown.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "neuroregen.reports.queue.ReportJobBackend",  # reports wait for `neuroregen db_worker`
    ]
    del env["NEUROREGEN_SECRET_KEY"]
    missing = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode != 0
    assert "NEUROREGEN_SECRET_KEY must be set" in missing.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    try:
        return opener.open(request, timeout=90)  # workers import the app on first start
    except urllib.error.HTTPError as error:
        return error


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_production_runs_gunicorn_workers_with_whitenoise_and_security_headers(tmp_path):
    # A stand-in for `collectstatic` output (the real one takes minutes on a small machine).
    css = Path(neuroregen.__file__).parent / "static" / "neuroregen" / "neuroregen.css"
    (tmp_path / "static" / "neuroregen").mkdir(parents=True)
    shutil.copy(css, tmp_path / "static" / "neuroregen" / "neuroregen.css")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        neuroregen_cmd(
            "serve",
            "--production",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--skip-collectstatic",
        ),
        env=production_env(tmp_path, NEUROREGEN_BEHIND_PROXY="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start listening"
                time.sleep(0.5)

        plain = _get(f"{base}/login/")
        assert plain.status in (301, 302)
        assert plain.headers["Location"].startswith("https://")

        page = _get(f"{base}/login/", **{"X-Forwarded-Proto": "https"})
        assert page.status == 200
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "Secure" in page.headers["Set-Cookie"]

        static = _get(f"{base}/static/neuroregen/neuroregen.css", **{"X-Forwarded-Proto": "https"})
        assert static.status == 200
        assert static.read() == css.read_bytes()

        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(_children(server.pid)) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
