from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # E-signatures re-check passwords; a fast hasher keeps these tests quick. The production
    # hashers are exercised by tests/core.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
