"""Timeline, visit, assignment, calendar and overdue pages under the site-isolation battery."""

from __future__ import annotations

import datetime as dt
import itertools

from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.visits import services
from neuroregen.visits.models import Visit
from tests.helpers import make_user
from tests.protocols.builders import active_protocol, confirmed, enrolled_participant
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_names = itertools.count()


def _protocol():
    return Protocol.objects.filter(code="NR-CELL-01", status="active").first() or active_protocol()


class TestVisitPagesIsolation(SiteIsolationBattery):
    list_urls = ("/visits/overdue/", "/visits/calendar/")

    def make_object(self, user, site):
        child = enrolled_participant(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Child{next(_names)}"},
        )
        investigator = make_user(Role.INVESTIGATOR, site)
        assignment = confirmed(investigator, child, _protocol())
        services.day_zero_record(
            user=investigator,
            participant=child,
            day_zero=timeline.today_at(site.time_zone) - dt.timedelta(days=10),
        )
        return assignment

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def _visit(self, obj, code):
        return Visit.objects.get(assignment=obj, code=code)

    def read_urls(self, obj):
        return [
            reverse("visit_timeline", args=[obj.participant.study_code]),
            reverse("assignment_detail", args=[obj.pk]),
            reverse("visit_detail", args=[self._visit(obj, "D14").pk]),
            reverse("visit_detail", args=[self._visit(obj, "D7").pk]),
        ]

    def write_requests(self, obj):
        today = dt.date.today().isoformat()  # noqa: DTZ011 - any plausible date
        d14 = self._visit(obj, "D14").pk
        return [
            (
                reverse("visit_day_zero", args=[obj.participant.study_code]),
                {"day_zero": today, "reason": "attack"},
            ),
            (reverse("visit_done", args=[d14]), {"done_on": today}),
            (reverse("visit_not_done", args=[d14]), {"reason": "attack"}),
            (reverse("visit_reschedule", args=[d14]), {"scheduled_for": today, "reason": "x"}),
            (
                reverse("assignment_start", args=[obj.participant.study_code]),
                {"protocol": obj.protocol_id, "coagulopathy": "no", "prior_cell_therapy": "no"},
            ),
            (reverse("assignment_detail", args=[obj.pk]), {"password": "x"}),
            (reverse("assignment_decline", args=[obj.pk]), {"reason": "attack"}),
        ]

    def state(self, obj):
        obj.refresh_from_db()
        visits = Visit.objects.filter(participant=obj.participant)
        return (
            obj.row_version,
            obj.history.count(),
            Assignment.objects.filter(participant=obj.participant).count(),
            sorted((v.pk, v.row_version) for v in visits),
        )

    def test_overdue_list_and_timeline_show_statuses(self, world, coordinator_a):
        client = client_for(coordinator_a)
        overdue = client.get("/visits/overdue/").content.decode()
        assert "D7" in overdue
        page = client.get(reverse("visit_timeline", args=[world["own"].participant.study_code]))
        html = page.content.decode()
        for phase in ("early", "mid", "late"):
            assert f'data-phase="{phase}"' in html
        assert 'data-status="overdue"' in html
        assert 'data-status="upcoming"' in html
        assert 'data-status="done_in_window"' in html  # D0, done on day 0

    def test_coordinator_records_a_visit_through_the_page(self, world, coordinator_a):
        visit = self._visit(world["own"], "D7")
        response = client_for(coordinator_a).post(
            reverse("visit_done", args=[visit.pk]),
            {"done_on": visit.window_close.isoformat(), "reason": ""},
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.done_on == visit.window_close
