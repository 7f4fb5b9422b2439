"""Every page of the Django admin opens for a superuser, and edits there are audited like the
services' edits: clinical records are read-only, definitions ask for a reason after first entry.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.instruments.choices import QueryRule
from neuroregen.instruments.models import Query
from neuroregen.interop.models import ExportRecord
from neuroregen.participants.models import Participant
from neuroregen.protocols.models import Protocol
from neuroregen.protocols.services import protocol_amend
from neuroregen.safety.models import BiomarkerSignalRule
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

# Clinical data changes only through the services (lock guard, validation, signatures): the
# admin shows these records and their history but offers no add, change or revert.
READ_ONLY = {
    "participants.Participant",
    "instruments.Response",
    "instruments.Query",
    "instruments.Field",
    "biomarkers.Measurement",
    "safety.AdverseEvent",
    "safety.ReportingClock",
    "safety.SafetyReviewTask",
    "protocols.Assignment",
    "visits.Visit",
    "products.Lot",
    "products.QCSpecification",
    "interop.ExportRecord",
    "core.ElectronicSignature",
}
# Audited definitions editable in the admin: a change needs its reason.
WITH_REASON = {
    "core.Site",
    "core.SiteMembership",
    "participants.ConsentDocument",
    "safety.StoppingRule",
    "safety.BiomarkerSignalRule",
    "protocols.Protocol",
    "protocols.Arm",
    "protocols.EligibilityRule",
    "visits.VisitDefinition",
    "instruments.Instrument",
    "instruments.Score",
    "instruments.DomainMapping",
}
# Administrators manage accounts and roles here.
EDITABLE = {"core.User", "auth.Group", *WITH_REASON}


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.org", "root-pass-2026!")


@pytest.fixture
def client_as(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def registry(superuser) -> None:
    """At least one row of every model the admin shows."""
    call_command("demo_setup", participants=6, sites=1, seed=7, stdout=io.StringIO())
    Group.objects.create(name="auditors")
    request = {"username": "x", "ip_address": "127.0.0.1", "user_agent": "t", "path_info": "/"}
    AccessAttempt.objects.create(
        **request, http_accept="*/*", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**request, http_accept="*/*")
    AccessFailureLog.objects.create(**request, http_accept="*/*", locked_out=False)
    TOTPDevice.objects.create(user=superuser, name="phone")
    StaticDevice.objects.create(user=superuser, name="backup codes")
    # Whether the small demo raises a data query depends on its random data: raise one by hand.
    Query.objects.create(
        participant=Participant.objects.first(),
        rule=QueryRule.MANUAL,
        message="Please check the date.",
        key="manual:admin-page-test",
        opened_by=superuser,
    )
    ExportRecord.objects.create(
        exported_by=superuser, channel="web", protocol_code="NR-CELL", export_format="tidy"
    )
    # A draft amendment: protocol content is editable in the admin only while a draft.
    protocol_amend(
        user=make_user(Role.ADMINISTRATOR, None, "protocol-admin"),
        protocol=Protocol.objects.filter(status="active").order_by("pk").first(),
        version="9.9",
        reason="admin page test",
    )


def _label(model: Any) -> str:
    return model._meta.label


def _url(model: Any, page: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def _row(model_admin: Any, request: Any) -> Any:
    """A row to open: for editable models one the admin lets change (protocol content is
    editable only while its version is a draft)."""
    rows = model_admin.model._default_manager.order_by("pk")
    if _label(model_admin.model) in EDITABLE:
        changeable = (r for r in rows if model_admin.has_change_permission(request, r))
        return next(changeable, None)
    return rows.first()


def test_every_admin_page_opens_and_clinical_records_are_read_only(
    registry, client_as, superuser, rf
):
    request = rf.get("/admin/")
    request.user = superuser
    problems = []
    for model, model_admin in admin.site._registry.items():
        label = _label(model)
        obj = _row(model_admin, request)
        if obj is None:
            problems.append(f"{label}: no row to open")
            continue
        pages = {
            "changelist": client_as.get(_url(model, "changelist")),
            "change": client_as.get(_url(model, "change", obj.pk)),
            "history": client_as.get(_url(model, "history", obj.pk)),
        }
        history = getattr(model, "history", None)
        if history is not None:
            # The form for one historical version (simple-history's revert page).
            version = (
                history.filter(**{model._meta.pk.attname: obj.pk}).order_by("history_id").first()
            )
            if version is None:
                problems.append(f"{label}: no history row")
            else:
                pages["historical version"] = client_as.get(
                    reverse(
                        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
                        args=[obj.pk, version.history_id],
                    )
                )
        add = client_as.get(_url(model, "add"))
        if label in READ_ONLY and add.status_code != 403:
            problems.append(f"{label}: add page answered {add.status_code}, expected 403")
        elif label in EDITABLE and add.status_code != 200:
            problems.append(f"{label}: add page answered {add.status_code}")
        elif add.status_code not in (200, 403):
            problems.append(f"{label}: add page answered {add.status_code}")
        for page, response in pages.items():
            if response.status_code != 200:
                problems.append(f"{label}: {page} page answered {response.status_code}")
        change = pages["change"].content.decode()
        if label in READ_ONLY and 'name="_save"' in change:
            problems.append(f"{label}: the change page offers to save")
        if label in EDITABLE and 'name="_save"' not in change:
            problems.append(f"{label}: the change page offers no save")
        if label in WITH_REASON and 'name="reason_for_change"' not in change:
            problems.append(f"{label}: the change page asks no reason for the change")
    assert problems == []


def test_every_model_of_the_project_is_decided(registry):
    ours = {
        _label(m)
        for m in admin.site._registry
        if m._meta.app_label not in {"auth", "axes", "otp_totp", "otp_static"}
    }
    assert ours - READ_ONLY - EDITABLE == set()
    assert READ_ONLY & EDITABLE == set()


def _rule() -> BiomarkerSignalRule:
    from neuroregen.core.audit import stamp

    rule = BiomarkerSignalRule(
        code="il6-high",
        name="IL-6 high",
        analyte="IL-6",
        comparison="gt",
        threshold=7,
        unit="pg/mL",
    )
    stamp(rule, user=None, reason="")
    rule.save()
    return rule


def _rule_post(rule: BiomarkerSignalRule, **changes: Any) -> dict[str, Any]:
    data = {
        "code": rule.code,
        "name": rule.name,
        "protocol": "",
        "analyte": rule.analyte,
        "comparison": rule.comparison,
        "threshold": "7.5",
        "unit": rule.unit,
        "within_days": "14",
        "active": "on",
    }
    return {**data, **changes}


def test_a_change_in_the_admin_needs_a_reason_and_records_it_with_the_user(client_as, superuser):
    rule = _rule()
    url = _url(BiomarkerSignalRule, "change", rule.pk)
    refused = client_as.post(url, _rule_post(rule, reason_for_change="  "))
    assert refused.status_code == 200
    assert "reason_for_change" in refused.context["adminform"].form.errors
    rule.refresh_from_db()
    assert str(rule.threshold) == "7.0000"

    done = client_as.post(url, _rule_post(rule, reason_for_change="protocol amendment 2"))
    assert done.status_code == 302
    rule.refresh_from_db()
    assert str(rule.threshold) == "7.5000"
    latest = rule.history.order_by("-history_id").first()
    assert latest.history_change_reason == "protocol amendment 2"
    assert latest.history_user == superuser
    assert rule.history.count() == 2


def test_a_new_definition_needs_no_reason(client_as):
    response = client_as.post(
        _url(BiomarkerSignalRule, "add"),
        {
            "code": "tnf-high",
            "name": "TNF-α high",
            "protocol": "",
            "analyte": "TNF-α",
            "comparison": "gt",
            "threshold": "20",
            "unit": "pg/mL",
            "within_days": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert BiomarkerSignalRule.objects.get(code="tnf-high").history.count() == 1


def test_a_definition_is_not_deleted_in_the_admin(client_as):
    rule = _rule()
    response = client_as.post(_url(BiomarkerSignalRule, "delete", rule.pk), {"post": "yes"})
    assert response.status_code == 403
    assert BiomarkerSignalRule.objects.filter(pk=rule.pk).exists()


def test_a_clinical_record_cannot_be_changed_or_reverted_in_the_admin(registry, client_as):
    participant = Participant.objects.order_by("pk").first()
    before = participant.row_version
    change = client_as.post(_url(Participant, "change", participant.pk), {"status": "withdrawn"})
    assert change.status_code == 403
    version = participant.history.order_by("history_id").first()
    revert = client_as.post(
        reverse(
            "admin:participants_participant_simple_history",
            args=[participant.pk, version.history_id],
        ),
        {"status": "withdrawn"},
    )
    assert revert.status_code == 403
    participant.refresh_from_db()
    assert participant.row_version == before


@pytest.mark.parametrize(
    ("language", "label"), [("ru", "Причина изменения"), ("uk", "Причина зміни")]
)
def test_the_reason_prompt_is_translated(client_as, superuser, language, label):
    superuser.preferred_language = language
    superuser.save()
    rule = _rule()
    page = client_as.get(
        _url(BiomarkerSignalRule, "change", rule.pk), HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    assert label in page.content.decode()
