"""Donor codes and HLA typing are third parties' genetic data: only lab/QC and investigators
of the owning site see them, and they never leave in exports (issue 16, obs. 1)."""

from __future__ import annotations

import pytest

from neuroregen.core.roles import Role
from neuroregen.interop.dataset import ExportOptions
from neuroregen.interop.export_services import export_run
from tests.helpers import make_user
from tests.products.test_dsa_review import recipient  # noqa: F401 - fixture
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

RECIPIENT_ALLELE = "A*01:01"


@pytest.fixture
def donor_world(recipient, site_a, site_b, coordinator_a, investigator_a, monitor, statistician):  # noqa: F811
    child = recipient["child"]
    lot = child.administrations.get().lot
    return {
        "child": child,
        "lot": lot,
        "donor_code": lot.source.donor.code,
        "sees": {"lab": recipient["lab"], "investigator": investigator_a},
        "blind": {
            "coordinator": coordinator_a,
            "monitor": monitor,
            "statistician": statistician,
            "lab_elsewhere": make_user(Role.LAB, site_b),
        },
    }


def _pages(world):
    return [
        f"/products/participants/{world['child'].study_code}/",
        f"/products/lots/{world['lot'].code}/",
        "/products/lab/",
    ]


def test_lab_and_investigator_of_the_site_see_donor_and_hla(donor_world):
    for who, user in donor_world["sees"].items():
        client = client_for(user)
        page = client.get(_pages(donor_world)[0]).content.decode()
        assert donor_world["donor_code"] in page, who
        assert RECIPIENT_ALLELE in page, who


def test_others_see_neither_donor_nor_hla(donor_world):
    for who, user in donor_world["blind"].items():
        client = client_for(user)
        for url in _pages(donor_world):
            response = client.get(url)
            text = response.content.decode()
            assert donor_world["donor_code"] not in text, (who, url)
            assert RECIPIENT_ALLELE not in text, (who, url)
        assert client.get(f"/products/lookback/{donor_world['donor_code']}/").status_code in (
            403,
            404,
        ), who


@pytest.mark.parametrize("fmt", ["tidy", "fhir", "redcap", "odm", "sdtm"])
def test_exports_carry_no_donor_or_hla(donor_world, tmp_path, fmt):
    from neuroregen.protocols.selectors import current_assignment

    protocol = current_assignment(donor_world["child"]).protocol
    for user in (donor_world["blind"]["statistician"], donor_world["sees"]["investigator"]):
        out = tmp_path / user.username
        out.mkdir()
        result = export_run(
            user=user, protocol=protocol.code, fmt=fmt, out=out, options=ExportOptions()
        )
        data = b"".join(path.read_bytes() for path in result.paths if path.is_file())
        assert donor_world["donor_code"].encode() not in data, (fmt, user)
        assert RECIPIENT_ALLELE.encode() not in data, (fmt, user)
