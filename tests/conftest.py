from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.utils import translation

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from tests.helpers import SITE_A_ZONE, make_user


@pytest.fixture(autouse=True)
def _no_lockout(settings):
    # Lockout has its own test; elsewhere repeated logins of fixtures must not trip it.
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests sign in and e-sign hundreds of times. The production
    # hasher list is asserted in tests/core/test_login.py.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _language_of_the_test_only():
    # A request through the test client activates its language for the whole thread (the
    # LocaleMiddleware never deactivates); a page rendered in uk must not turn the next test's
    # messages Ukrainian.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reports_built_in_the_request(settings):
    # Outside production a worker thread builds queued reports after the request commits;
    # test transactions never commit, so tests build them in the request (the thread worker
    # has its own test in tests/reports/test_queue_thread.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def site_a(db):
    return site_create(code="SITE-A", name="Site A", country="UA", time_zone=SITE_A_ZONE)


@pytest.fixture
def site_b(db):
    return site_create(code="SITE-B", name="Site B", country="GB", time_zone="Europe/London")


@pytest.fixture
def coordinator_a(site_a):
    return make_user(Role.COORDINATOR, site_a, "coord-a")


@pytest.fixture
def coordinator_b(site_b):
    return make_user(Role.COORDINATOR, site_b, "coord-b")


@pytest.fixture
def investigator_a(site_a):
    return make_user(Role.INVESTIGATOR, site_a, "inv-a")


@pytest.fixture
def monitor(db):
    return make_user(Role.MONITOR, None, "monitor")


@pytest.fixture
def statistician(db):
    return make_user(Role.STATISTICIAN, None, "statistician")


# Real-browser fixtures: Playwright driving Debian's chromium (no downloaded browser). They
# live here, once, because two sync Playwright sessions cannot share a process.
CHROMIUM = os.environ.get("NEUROREGEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    # Django's live server runs in a thread; Playwright's sync API drives it from this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Between its calls Playwright's sync API marks an event loop as running in this thread,
    # and Django then keeps database connections per context instead of per thread: without
    # this, later tests would get fresh connections that lack the test database's serialized
    # contents, and serialized_rollback would silently restore nothing.
    opened = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in opened.items():
            connections[alias] = connection
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    # The live server's first request loads every URLconf and template; give it room once.
    page.goto("/login/", timeout=120_000)
    page.set_default_timeout(30_000)
    yield page
    context.close()
