"""A lab user works only through the lab pages: collects a child's skin biopsy, derives an iPSC
line, starts a lot, fills dose containers and completes manufacture, then finds the lot in the
list by its chain-of-identity code."""

from __future__ import annotations

import re
import urllib.request

import pytest

from neuroregen.core.roles import Role
from neuroregen.products.models import IPSCLine, Lot, SourceMaterial
from tests.browser.test_product_flow import sign_in
from tests.helpers import make_user
from tests.products import builders as b
from tests.protocols import builders as pb

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.NEUROREGEN_REQUIRE_2FA = True


def test_lab_user_creates_source_line_lot_and_containers(page, live_server, site_a, coordinator_a):
    urllib.request.urlopen(live_server.url + "/login/", timeout=120).close()  # noqa: S310
    page.set_default_timeout(30_000)
    child = pb.enrolled_participant(coordinator_a, site_a)
    lab = make_user(Role.LAB, site_a, "lab-pages")
    b.spec(lab)  # an active specification for iPSC neurons

    sign_in(page, lab.username)
    page.goto("/products/")
    page.click("main a[href='/products/lab/']")
    page.wait_for_url("**/products/lab/")
    page.click("main a[href='/products/lab/sources/new/']")
    page.check("input[name=origin][value=participant]")
    page.fill("#id_participant_code", child.study_code)
    page.select_option("#id_kind", "skin_biopsy")
    page.fill("#id_quantity", "4 mm punch")
    page.click("main button[type=submit]")
    page.wait_for_url("**/products/lab/#sources")
    source = SourceMaterial.objects.get()
    assert source.participant_id == child.pk
    row = page.locator(f"[data-testid=source-table] tr[data-code='{source.code}']")
    assert child.study_code in row.inner_text()

    row.locator("text=derive iPSC line").click()
    page.select_option("#id_reprogramming_method", "sendai")
    page.fill("#id_clone", "C3")
    page.fill("#id_passage", "12")
    page.select_option("#id_bank", "mcb")
    page.click("main button[type=submit]")
    page.wait_for_url("**/products/lab/#lines")
    line = IPSCLine.objects.get()
    line_row = page.locator(f"[data-testid=line-table] tr[data-code='{line.code}']")
    assert "C3" in line_row.inner_text()

    line_row.locator("text=start lot").click()
    assert page.locator("#id_ipsc_line").input_value() == line.code
    page.select_option("#id_product_type", "ipsc_neurons")
    page.fill("#id_concentration", "10000000")
    page.fill("#id_volume_ml", "20")
    # An expiry before manufacture starts is refused on the form, nothing is saved.
    page.fill("#id_expires_at", "2020-01-01T10:00")
    page.click("main button[type=submit]")
    assert "Expiry must follow" in page.locator("[data-field-error=expires_at]").inner_text()
    assert not Lot.objects.exists()
    page.fill("#id_expires_at", "2099-01-01T10:00")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/products/lots/LT-[^/]+/$"))
    lot = Lot.objects.get()
    assert lot.participant_id == child.pk
    assert lot.ipsc_line_id == line.pk

    page.click("text=Fill containers")
    page.fill("#id_count", "3")
    page.fill("#id_volume_ml", "5")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/products/lots/{lot.code}/")
    assert page.locator("[data-testid=containers] tr").count() == 3
    page.click("text=Complete manufacture")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/products/lots/{lot.code}/")
    assert page.get_by_test_id("lot-status").inner_text() == "Quarantine"

    page.goto("/products/")
    listed = page.get_by_test_id("lot-table").inner_text()
    assert lot.code in listed
    assert child.study_code in listed
