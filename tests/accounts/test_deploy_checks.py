"""`check --deploy` refuses weak production settings (issue 16, observation 10).

It passed with lockout switched off and a one-character blind-index key. The in-process
tests run the check command with production settings overridden one at a time; one test
starts `neuroregen check` in a child process with the environment a deployment would have.
"""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.hardening.test_production import neuroregen_cmd, production_env

GOOD = {
    "PRODUCTION": True,
    "DEBUG": False,
    "SECRET_KEY": secrets.token_urlsafe(64),
    "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    "FIELD_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    "AXES_ENABLED": True,
    "AXES_FAILURE_LIMIT": 5,
    "AXES_LOCKOUT_PARAMETERS": ["username", "ip_address"],
    "NEUROREGEN_REQUIRE_2FA": True,
    "NEUROREGEN_FORWARDED_ALLOW_IPS": ["127.0.0.1"],
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "ALLOWED_HOSTS": ["neuroregen.example.org"],
}


def deploy_check_codes(settings, **changes) -> set[str]:
    for name, value in {**GOOD, **changes}.items():
        setattr(settings, name, value)
    try:
        call_command("check", "--deploy", "--tag", "neuroregen_deploy", verbosity=0)
    except SystemCheckError as error:
        return set(re.findall(r"neuroregen\.E\d{3}", str(error)))
    return set()


def test_good_production_settings_pass(settings):
    assert deploy_check_codes(settings) == set()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"AXES_ENABLED": False}, "neuroregen.E001"),
        ({"AXES_FAILURE_LIMIT": 1000}, "neuroregen.E001"),
        ({"AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]]}, "neuroregen.E001"),
        ({"SECRET_KEY": "short-secret"}, "neuroregen.E002"),
        (
            {"SECRET_KEY": "development-only-secret-key-never-use-with-real-participants-x"},
            "neuroregen.E002",
        ),
        ({"BLIND_INDEX_KEY": "x"}, "neuroregen.E003"),
        ({"FIELD_ENCRYPTION_KEYS": ["not-a-fernet-key"]}, "neuroregen.E004"),
        ({"FIELD_ENCRYPTION_KEYS": []}, "neuroregen.E004"),
        ({"DEBUG": True}, "neuroregen.E005"),
        ({"SECURE_SSL_REDIRECT": False}, "neuroregen.E006"),
        ({"SESSION_COOKIE_SECURE": False}, "neuroregen.E006"),
        ({"SECURE_HSTS_SECONDS": 0}, "neuroregen.E006"),
        ({"NEUROREGEN_REQUIRE_2FA": False}, "neuroregen.E007"),
        ({"NEUROREGEN_FORWARDED_ALLOW_IPS": ["*"]}, "neuroregen.E008"),
        ({"NEUROREGEN_FORWARDED_ALLOW_IPS": ["proxy.local"]}, "neuroregen.E008"),
    ],
)
def test_each_weak_setting_is_refused(settings, changes, code):
    assert code in deploy_check_codes(settings, **changes)


def test_blind_index_key_reused_as_secret_key_is_refused(settings):
    key = secrets.token_urlsafe(64)
    assert "neuroregen.E003" in deploy_check_codes(settings, SECRET_KEY=key, BLIND_INDEX_KEY=key)


def test_development_settings_are_not_checked_without_deploy(settings):
    settings.PRODUCTION = False
    settings.AXES_ENABLED = False
    call_command("check", "--tag", "neuroregen_deploy", verbosity=0)  # demo: lockout off


@pytest.mark.slow
def test_check_command_refuses_a_weak_production_environment(tmp_path):
    env = production_env(tmp_path, NEUROREGEN_AXES="0", NEUROREGEN_BLIND_INDEX_KEY="k")
    # Production refuses even without --deploy: migrate and serve run the same checks.
    result = subprocess.run(  # noqa: S603 - our own command
        neuroregen_cmd("check"),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "neuroregen.E001" in output
    assert "neuroregen.E003" in output
