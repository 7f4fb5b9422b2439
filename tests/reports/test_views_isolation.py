"""Report pages under the site-isolation battery; families reach no staff page."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from neuroregen.reports import services
from tests.helpers import make_user
from tests.reports.builders import child_with_data, released_report
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_n = itertools.count(1)


def _named():
    return {"family_name": IDENTITY_NAME, "given_name": f"Rep{next(_n)}"}


class TestFamilyReportPageIsolation(SiteIsolationBattery):
    """The page a family reads (staff of the site may open it to see what the family sees)."""

    family_page = True

    def make_object(self, user, site):
        participant = child_with_data(user, site, identity_overrides=_named())
        return released_report(user, participant)

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [reverse("family_report", args=[obj.pk])]


class TestStaffReportPagesIsolation(SiteIsolationBattery):
    list_urls = ("/reports/",)

    def make_object(self, user, site):
        participant = child_with_data(user, site, identity_overrides=_named())
        return services.family_report_draft(user=user, participant=participant, phase="late")

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [
            reverse("report_detail", args=[obj.pk]),
            reverse("report_child", args=[obj.participant.study_code]),
        ]

    def write_requests(self, obj):
        return [
            (
                reverse("report_edit", args=[obj.pk]),
                {"clinician_note": "x", "reason": "y", "row_version": obj.row_version},
            ),
            (reverse("report_discard", args=[obj.pk]), {"reason": "z"}),
        ]

    def test_family_sees_only_own_child(self, world, site_a, coordinator_a):
        # Staff pages refuse a family account outright, even for its own child.
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=world["own"].participant)
        client = client_for(family)
        for url in [*self.list_urls, *self.read_urls(world["own"])]:
            assert client.get(url).status_code in self.refused, url
        before = self.state(world["own"])
        for url, data in self.write_requests(world["own"]):
            assert client.post(url, data).status_code in self.refused, url
        assert self.state(world["own"]) == before


@pytest.mark.django_db
class TestFamilyPortal:
    @pytest.fixture
    def family_world(self, site_a, coordinator_a):
        own = child_with_data(coordinator_a, site_a, identity_overrides=_named())
        other = child_with_data(coordinator_a, site_a, identity_overrides=_named())
        family = make_user(Role.FAMILY, site_a)
        family.preferred_language = "uk"
        family.save()
        FamilyLink.objects.create(user=family, participant=own)
        return {
            "own": own,
            "other": other,
            "family": family,
            "own_report": released_report(coordinator_a, own),
            "other_report": released_report(coordinator_a, other),
            "own_draft": services.family_report_draft(
                user=coordinator_a, participant=own, phase="mid"
            ),
        }

    def test_home_lists_own_released_reports_in_the_familys_language(self, family_world):
        client = client_for(family_world["family"])
        page = client.get(reverse("family_home"))
        text = page.content.decode()
        assert page.status_code == 200
        assert page["Content-Language"] == "uk"
        assert "Звіти про прогрес" in text or "Ваша сторінка" in text
        assert reverse("family_report", args=[family_world["own_report"].pk]) in text
        assert reverse("family_report", args=[family_world["other_report"].pk]) not in text
        assert family_world["other"].study_code not in text
        assert IDENTITY_NAME not in text

    def test_unreleased_and_other_childs_reports_are_unreachable(self, family_world):
        client = client_for(family_world["family"])
        for report in (family_world["own_draft"], family_world["other_report"]):
            for name in ("family_report", "family_report_pdf"):
                assert client.get(reverse(name, args=[report.pk])).status_code in (403, 404)

    def test_no_staff_page_is_open_to_a_family(self, family_world):
        client = client_for(family_world["family"])
        own = family_world["own"]
        for url in (
            "/reports/",
            "/reports/program/",
            "/reports/program/dsmb/",
            reverse("report_child", args=[own.study_code]),
            reverse("report_detail", args=[family_world["own_report"].pk]),
            reverse("report_job", args=[1]),
            "/evidence/",
            "/safety/dsmb/",
        ):
            assert client.get(url).status_code in (403, 404), url
        # Pages of other apps that scope to the family's own child must still show no other
        # child and no identity.
        page = client.get(reverse("participant_list")).content.decode()
        assert family_world["other"].study_code not in page
        assert IDENTITY_NAME not in page

    def test_family_reads_the_report_in_ukrainian(self, family_world):
        client = client_for(family_world["family"])
        page = client.get(reverse("family_report", args=[family_world["own_report"].pk]))
        text = page.content.decode()
        assert page.status_code == 200
        assert "Порівняльної групи" in text  # the attribution statement, in Ukrainian
        assert "знизився на 7 балів" in text  # the CARS-2 change, with the Ukrainian plural
