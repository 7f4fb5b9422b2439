"""The navigation menus, filtered through the routes' own access declarations.

A menu entry names a URL; it is shown exactly when that URL's view would let the user in
(``core.access``), so no role is offered a page that answers 403. An entry may narrow its
audience further (``only``) where the page opens for more people than the menu is meant for —
the landing page opens for every account but families land on their portal instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from neuroregen.core.access import Access, declared


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    url_name: str
    only: Access | None = None  # a narrower audience than the route's own


@dataclass(frozen=True)
class Section:
    label: str | Promise | None  # None: entries stand alone in the bar
    entries: tuple[Entry, ...]


STAFF = Access(staff=frozenset())

MENU: tuple[Section, ...] = (
    Section(None, (Entry(_("My child"), "family_home"),)),
    Section(None, (Entry(_("Dashboard"), "dashboard", only=STAFF),)),
    Section(None, (Entry(_("Participants"), "participant_list"),)),
    Section(
        _("Visits"),
        (
            Entry(_("Calendar"), "visit_calendar"),
            Entry(_("Overdue visits"), "visit_overdue"),
            Entry(_("Outstanding forms"), "instrument_outstanding"),
            Entry(_("Data queries"), "instrument_query_list"),
        ),
    ),
    Section(
        _("Products and lab"),
        (
            Entry(_("Product lots"), "products:lot_list"),
            Entry(_("Lab"), "products:lab_home"),
            Entry(_("Bedside administration"), "products:bedside"),
            Entry(_("Biomarkers"), "biomarker_list"),
        ),
    ),
    Section(None, (Entry(_("Safety"), "safety_event_list"),)),
    Section(None, (Entry(_("Evidence"), "evidence_index"),)),
    Section(None, (Entry(_("Reports"), "report_index"),)),
    Section(
        _("Set-up"),
        (
            Entry(_("Protocols"), "protocol_list"),
            Entry(_("Instruments"), "instrument_list"),
            Entry(_("Export and import"), "interop:index"),
            Entry(_("Users"), "accounts:list"),
        ),
    ),
)

ACCOUNT_MENU: tuple[Entry, ...] = (
    Entry(_("API tokens"), "api_tokens"),
    Entry(_("Two-factor"), "two_factor_manage"),
)


@cache
def _route(url_name: str) -> tuple[str, Access | None]:
    url = reverse(url_name)
    return url, declared(resolve(url).func)


def _visible(entry: Entry, user: Any) -> dict[str, Any] | None:
    url, access = _route(entry.url_name)
    if access is None or not access.allows(user):
        return None
    if entry.only is not None and not entry.only.allows(user):
        return None
    return {"label": entry.label, "url": url}


def menu_for(user: Any) -> dict[str, Any]:
    """Sections and account entries the user can open; empty sections are left out."""
    sections: list[dict[str, Any]] = []
    for section in MENU:
        entries = [e for e in (_visible(entry, user) for entry in section.entries) if e]
        if entries:
            sections.append({"label": section.label, "entries": entries})
    account = [e for e in (_visible(entry, user) for entry in ACCOUNT_MENU) if e]
    home = sections[0]["entries"][0]["url"] if sections else reverse("dashboard")
    return {"sections": sections, "account": account, "home": home}
