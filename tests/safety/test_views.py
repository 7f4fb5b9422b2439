"""Safety pages: site isolation (inherited battery) and the behaviour of the forms."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.safety import services as s
from neuroregen.safety.models import AdverseEvent, BiomarkerSignalRule, SafetyReviewTask
from tests.helpers import PASSWORD, make_user, screen
from tests.safety.builders import record
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_names = itertools.count()


def _child(user, site):
    return screen(
        user,
        site,
        identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Child{next(_names)}"},
    )


class TestAdverseEventIsolation(SiteIsolationBattery):
    list_urls = ("/safety/", "/safety/clocks/?all=1", "/safety/dsmb/?by=overall")

    def make_object(self, user, site):
        return record(
            user,
            _child(user, site),
            grade=3,
            serious=True,
            serious_hospitalisation=True,
            relatedness_product="possible",
            expectedness="unexpected",
        )

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [reverse("safety_event_detail", args=[obj.code])]

    def write_requests(self, obj):
        now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        clock = obj.clocks.first()
        form = {
            "term": "attack",
            "soc": "other",
            "onset_date": obj.onset_date.isoformat(),
            "grade": 1,
            "serious": "no",
            "relatedness_product": "not_related",
            "relatedness_procedure": "not_related",
            "expectedness": "expected",
            "action_taken": "none",
            "outcome": "recovering",
            "aware_at": now,
        }
        return [
            (
                reverse("safety_event_edit", args=[obj.code]),
                {**form, "row_version": obj.row_version, "reason": "attack"},
            ),
            (reverse("safety_event_follow_up", args=[obj.code]), {"note": "attack"}),
            (reverse("safety_event_sign_off", args=[obj.code]), {"password": PASSWORD}),
            (
                reverse("safety_clock_submit", args=[clock.pk]),
                {"submitted_at": now, "reference": "attack"},
            ),
            (reverse("safety_event_create", args=[obj.participant.study_code]), form),
        ]

    def state(self, obj):
        obj.refresh_from_db()
        return (
            obj.row_version,
            obj.history.count(),
            obj.follow_ups.count(),
            obj.sign_offs.count(),
            obj.clocks.filter(submitted_at__isnull=False).count(),
            obj.participant.adverse_events.count(),
        )


class TestSignalReviewIsolation(SiteIsolationBattery):
    list_urls = ("/safety/reviews/?status=",)

    def make_object(self, user, site):
        n = next(_names)
        if not BiomarkerSignalRule.objects.filter(code="il6-battery").exists():
            s.signal_rule_create(
                user=make_user(Role.ADMINISTRATOR, None),
                code="il6-battery",
                name="IL-6 high",
                analyte="IL-6",
                comparison="gt",
                threshold="7",
                unit="pg/mL",
            )
        child = _child(user, site)
        tasks = s.biomarker_signal_evaluate(
            user=user,
            participant=child,
            analyte="IL-6",
            value=Decimal("12"),
            unit="pg/mL",
            observed_at=timezone.now(),
            source_reference=f"R{n}",
        )
        return tasks[0]

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return []

    def write_requests(self, obj):
        return [
            (
                reverse("safety_review_close", args=[obj.pk]),
                {"outcome": "no_action", "note": "attack"},
            )
        ]


@pytest.fixture
def child(site_a, coordinator_a):
    return _child(coordinator_a, site_a)


def _form(**overrides):
    values = {
        "term": "Vomiting",
        "soc": "gastro",
        "onset_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "grade": "2",
        "serious": "no",
        "relatedness_product": "unlikely",
        "relatedness_procedure": "possible",
        "expectedness": "expected",
        "action_taken": "none",
        "outcome": "recovering",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    values.update(overrides)
    return values


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"resolution_date": "2020-01-01", "outcome": "recovered"}, "before the onset date"),
        (
            {"grade": "5", "outcome": "recovered", "serious": "yes", "serious_death": "on"},
            "Grade 5 means the event caused death",
        ),
        ({"serious": "yes"}, "no seriousness criterion is ticked"),
    ],
)
def test_report_form_shows_the_specific_message_and_saves_nothing(
    child, coordinator_a, overrides, message
):
    client = client_for(coordinator_a)
    url = reverse("safety_event_create", args=[child.study_code])
    response = client.post(url, _form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert AdverseEvent.objects.count() == 0


@pytest.mark.django_db
def test_report_then_detail_shows_clock_and_awaiting_sign_off(child, coordinator_a):
    client = client_for(coordinator_a)
    url = reverse("safety_event_create", args=[child.study_code])
    response = client.post(url, _form(serious="yes", serious_hospitalisation="on", grade="3"))
    event = AdverseEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("safety_event_detail", args=[event.code])
    page = client.get(response["Location"]).content.decode()
    assert "Investigator → sponsor (24 hours)" in page
    assert 'data-testid="awaiting-sign-off"' in page
    assert event.aware_at.tzinfo is not None


@pytest.mark.django_db
def test_awareness_typed_as_site_local_time(child, coordinator_a):
    client = client_for(coordinator_a)
    url = reverse("safety_event_create", args=[child.study_code])
    day = timezone.localdate() - dt.timedelta(days=1)
    client.post(url, _form(aware_at=f"{day.isoformat()}T23:30", onset_date=day.isoformat()))
    event = AdverseEvent.objects.get()
    local = event.aware_at.astimezone(dt.UTC)
    # Site A is Europe/Kyiv (UTC+2 or +3): 23:30 there is 20:30 or 21:30 UTC the same day.
    assert local.date() == day
    assert local.hour in (20, 21)


@pytest.mark.django_db
def test_investigator_signs_off_through_the_page(child, coordinator_a, investigator_a):
    event = record(coordinator_a, child, grade=3)
    client = client_for(investigator_a)
    client.post(reverse("safety_event_sign_off", args=[event.code]), {"password": "nope"})
    assert not event.sign_offs.exists()
    client.post(reverse("safety_event_sign_off", args=[event.code]), {"password": PASSWORD})
    page = client.get(reverse("safety_event_detail", args=[event.code])).content.decode()
    assert 'data-testid="signed-off"' in page


@pytest.mark.django_db
def test_site_alerts_snippet_lists_only_own_site(site_a, site_b, coordinator_a, coordinator_b):
    overdue = timezone.now() - dt.timedelta(days=3)
    record(
        coordinator_a,
        _child(coordinator_a, site_a),
        serious=True,
        serious_hospitalisation=True,
        aware_at=overdue,
        onset_date=timezone.localdate() - dt.timedelta(days=4),
    )
    record(coordinator_b, _child(coordinator_b, site_b), serious=True, serious_hospitalisation=True)
    request = RequestFactory().get("/")
    request.user = coordinator_a
    html = Template("{% load safety_tags %}{% safety_alerts %}").render(
        Context({"request": request})
    )
    assert 'data-site="SITE-A"' in html
    assert "1 overdue report" in html
    assert "SITE-B" not in html


@pytest.mark.django_db
def test_dsmb_page_is_refused_to_family(site_a, coordinator_a, child):
    from neuroregen.participants.models import FamilyLink

    family = make_user(Role.FAMILY, site_a)
    FamilyLink.objects.create(user=family, participant=child)
    assert client_for(family).get("/safety/dsmb/").status_code == 403


@pytest.mark.django_db
def test_review_closed_by_investigator_only(site_a, coordinator_a, investigator_a, child):
    admin = make_user(Role.ADMINISTRATOR, None)
    s.signal_rule_create(
        user=admin,
        code="il6",
        name="IL-6",
        analyte="IL-6",
        comparison="gt",
        threshold="7",
        unit="pg/mL",
    )
    task = s.biomarker_signal_evaluate(
        user=coordinator_a,
        participant=child,
        analyte="IL-6",
        value="9.5",
        unit="pg/mL",
        observed_at=timezone.now(),
    )[0]
    url = reverse("safety_review_close", args=[task.pk])
    assert client_for(coordinator_a).post(url, {"outcome": "no_action"}).status_code == 403
    client_for(investigator_a).post(url, {"outcome": "repeat_test", "note": "repeat in 7 d"})
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_by) == ("closed", "repeat_test", investigator_a)
    assert SafetyReviewTask.objects.count() == 1
