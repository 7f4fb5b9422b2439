import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Many users sign in and sign here; Argon2's deliberate slowness is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
