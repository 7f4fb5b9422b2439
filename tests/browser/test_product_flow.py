"""Lab releases a lot with an e-signature; a nurse scans it at the bedside: the wrong child is
refused, the right child receives it."""

from __future__ import annotations

import urllib.request

import pytest

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.products.models import Administration
from tests.helpers import PASSWORD, make_user
from tests.products import builders as b
from tests.protocols import builders as pb
from tests.security.twofactor import confirmed_totp_device, current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.NEUROREGEN_REQUIRE_2FA = True


def sign_in(page, username):
    """Password, then the current code of the user's authenticator (staff need both)."""
    device = confirmed_totp_device(User.objects.get(username=username))
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/two-factor/verify/**")
    page.fill("#id_token", current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def scan(page, code):
    # A keyboard-wedge scanner types the code and presses Enter.
    page.fill("#id_scan", code)
    page.press("#id_scan", "Enter")
    page.wait_for_load_state()


def test_release_then_bedside_identity_check(
    page, live_server, site_a, coordinator_a, investigator_a
):
    # The first request imports every app's views; on a busy machine that outlasts a page timeout.
    urllib.request.urlopen(live_server.url + "/login/", timeout=120).close()  # noqa: S310
    page.set_default_timeout(30_000)
    protocol = pb.active_protocol()
    arm = protocol.arms.get(code="ipsc-it")
    right = pb.enrolled_participant(coordinator_a, site_a)
    wrong = pb.enrolled_participant(coordinator_a, site_a)
    for child in (right, wrong):
        pb.confirmed(investigator_a, child, protocol, arm=arm, override_reason="browser test")
    lab = make_user(Role.LAB, site_a, "lab-browser")
    # Another lab member tested the lot: release is a second person's signed review.
    tester = make_user(Role.LAB, site_a, "lab-tester")
    lot = b.autologous_lot(tester, right, status="qc_passed", product_type="ipsc_mix")
    container = lot.containers.first()

    sign_in(page, lab.username)
    page.goto(f"/products/lots/{lot.code}/")
    page.click("text=Release (sign)")
    page.fill("#id_password", "wrong-password")
    page.click("main button[type=submit]")
    assert "password is not correct" in page.get_by_test_id("form-errors").inner_text()
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/products/lots/{lot.code}/")
    assert page.get_by_test_id("lot-status").inner_text() == "Released"
    assert "lab-browser" in page.get_by_test_id("release").inner_text()
    page.click("nav button[type=submit]")  # sign out

    sign_in(page, coordinator_a.username)
    page.set_viewport_size({"width": 800, "height": 1200})  # tablet
    page.goto("/products/bedside/")
    scan(page, wrong.study_code)
    assert page.get_by_test_id("bedside-participant").inner_text() == wrong.study_code
    scan(page, container.code)
    refused = page.get_by_test_id("bedside-refused").inner_text()
    assert "DO NOT ADMINISTER" in refused
    assert "WRONG PARTICIPANT" in refused
    assert page.locator("#id_volume_ml").count() == 0

    scan(page, right.study_code)
    scan(page, container.code)
    assert "checks passed" in page.get_by_test_id("bedside-ok").inner_text()
    page.fill("#id_weight_kg", "22")
    page.fill("#id_volume_ml", "2.2")
    page.fill("#id_premedication", "paracetamol")
    page.click("main button[type=submit]")
    page.wait_for_url("**/products/administrations/AD-*/")
    assert right.study_code in page.get_by_test_id("administration").inner_text()
    administration = Administration.objects.get()
    assert administration.participant == right
    assert administration.is_first
