"""The demo command builds a labelled synthetic cohort and one account per role."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from neuroregen.core.models import Site, User
from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink, Participant


@pytest.fixture
def demo(db):
    out = io.StringIO()
    call_command("demo_setup", participants=24, sites=2, seed=7, stdout=out)
    return out.getvalue()


def test_demo_builds_synthetic_cohort_and_prints_accounts(demo):
    assert "SYNTHETIC" in demo
    assert Site.objects.count() == 2
    assert all(site.is_synthetic for site in Site.objects.all())
    assert Participant.objects.count() == 24
    for role in Role:
        assert f"demo-{role.value}" in demo
        assert User.objects.filter(username=f"demo-{role.value}").exists()
    statuses = set(Participant.objects.values_list("status", flat=True))
    assert {"enrolled", "screen_failed"} <= statuses


def test_demo_is_idempotent(demo):
    call_command("demo_setup", participants=24, sites=2, seed=7, stdout=io.StringIO())
    assert Participant.objects.count() == 24


def test_every_page_says_synthetic(demo):
    client = Client()
    client.login(username="demo-coordinator", password="coordinator-demo-2026!")
    for url in ("/", "/participants/"):
        assert "SYNTHETIC DATA" in client.get(url).content.decode(), url
    family = Client()
    family.login(username="demo-family", password="family-demo-2026!")
    page = family.get("/family/").content.decode()
    assert "SYNTHETIC DATA" in page
    child = FamilyLink.objects.get(user__username="demo-family").participant
    assert child.study_code in page
    others = Participant.objects.exclude(pk=child.pk).values_list("study_code", flat=True)
    assert not any(code in page for code in others)
