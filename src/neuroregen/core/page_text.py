"""English left on translated pages: what a reader sees, and the English words in it.

A page is read as a person reads it: HTML text nodes (SVG text included), the ``title``,
``aria-label``, ``placeholder`` and ``alt`` attributes and the labels of input buttons; never
scripts, styles, ``<code>``, a textarea's value, text marked ``translate="no"`` or text
marked as English with ``lang="en"`` (the language switcher names English in English on
purpose, an instrument without a checked translation is shown in its English wording).

A Latin word on a Russian or Ukrainian page is a finding unless it is

- an acronym or code: written in capitals (ATEC, CSHQ, SAE, HLA) or with several capitals
  (iPSC, REDCap, MedDRA), or part of a token with digits or identifier punctuation (KYIV-01,
  NR-0007, report.pdf, a@b.org);
- on the allow-list (the product's name, units, symbols, standards' and products' names:
  :data:`ALLOWED_WORDS`, :data:`ALLOWED_PHRASES`);
- part of something the database holds that the page shows as it was entered (a person's or
  site's name, a protocol's visit names, free text): :class:`EnteredText` knows those.

:func:`scan_site` opens every named page as each role's demo account in each language and
returns :class:`Finding` rows; ``neuroregen check_translations --pages`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

ATTRIBUTES_READ = ("title", "aria-label", "placeholder", "alt")
# A textarea holds the value being edited (entered data, a protocol's JSON), not the page's words.
NOT_READ = {"script", "style", "code", "kbd", "samp", "template", "textarea"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip

# Words that stay Latin in a Russian or Ukrainian text. Lower case; compared case-blind.
ALLOWED_WORDS = frozenset(
    {
        "neuroregen",  # the product's name
        "vineland",  # an instrument's name (Vineland Adaptive Behavior Scales)
        # units and symbols
        "mg", "ml", "kg", "cm", "mm", "mmhg", "bpm", "µl", "ul", "dl", "µv", "nv", "mv", "mol",
        "mmol", "iu", "kpa", "sd", "ci", "df", "vs", "log", "ln", "min", "max",
        "zip",  # the archive format, as in "zip-архив"
    }
)  # fmt: skip

# Names that stay Latin in any language: standards, products, keys. Removed before the scan.
ALLOWED_PHRASES = (
    "NIMH Data Archive",
    "Google Authenticator",
    "Microsoft Authenticator",
    "FreeOTP",
    "Aegis",
    "tidy",  # the tidy-data format's name, as in "tidy CSV"
    "Ctrl",
    "Enter",  # the key's name on the keyboard
)

_LATIN_WORD = re.compile(r"[A-Za-zµ]+(?:'[A-Za-z]+)?")
_IDENTIFIER = re.compile(r"[\d_@/\\=#]|\w\.\w")
_EDGE_PUNCTUATION = ".,;:!?()[]{}«»\"'“”„…·—–-*%+<>|"


@dataclass
class Fragment:
    """One piece of visible text and where it was found (``text`` or an attribute's name)."""

    text: str
    where: str = "text"


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fragments: list[Fragment] = []
        self._open: list[tuple[str, bool]] = []  # (tag, hidden from the scan)

    @property
    def _hidden(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attrs_list}
        hidden = (
            self._hidden
            or tag in NOT_READ
            or attrs.get("translate") == "no"
            or attrs.get("lang", "").lower().startswith("en")
        )
        if not hidden:
            for name in ATTRIBUTES_READ:
                if attrs.get(name, "").strip():
                    self.fragments.append(Fragment(attrs[name], name))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.fragments.append(Fragment(attrs["value"], "value"))
        if tag not in VOID:
            self._open.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs_list)
        if tag not in VOID and self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.fragments.append(Fragment(data))


def visible_text(html: str) -> list[Fragment]:
    """The text a reader sees on ``html``, piece by piece, whitespace collapsed."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [Fragment(" ".join(f.text.split()), f.where) for f in parser.fragments]


def _acronym(word: str) -> bool:
    """Capitals (ATEC), or two or more capitals in a mixed word (iPSC, REDCap, MedDRA)."""
    return word.isupper() or sum(ch.isupper() for ch in word) >= 2


def _names_an_acronym(chunk: str) -> bool:
    """A hyphenated name built on an acronym ("hs-CRP", "IL-1β"): a code, not words."""
    parts = chunk.split("-")
    return len(parts) > 1 and any(len(p) > 1 and _acronym(p) for p in parts)


def _candidate_words(text: str) -> Iterator[str]:
    for phrase in ALLOWED_PHRASES:
        text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text)
    for chunk in text.split():
        chunk = chunk.strip(_EDGE_PUNCTUATION)
        if not chunk or _IDENTIFIER.search(chunk) or _names_an_acronym(chunk):
            continue
        for word in _LATIN_WORD.findall(chunk):
            if len(word) < 2 or _acronym(word) or word.lower() in ALLOWED_WORDS:
                continue
            yield word


@dataclass
class EnteredText:
    """Text people entered (names, visit names, free text), shown on pages as it was typed.

    A word is excused only where the fragment contains a whole entered phrase holding it, so
    an English label does not hide behind a participant's note that happens to use the word.
    """

    by_word: dict[str, set[str]] = field(default_factory=dict)

    def add(self, phrases: Iterable[str]) -> None:
        for phrase in phrases:
            phrase = " ".join(str(phrase).split())
            if len(phrase) < 2:
                continue
            for word in _LATIN_WORD.findall(phrase):
                self.by_word.setdefault(word.lower(), set()).add(phrase)

    def excuses(self, word: str, text: str) -> bool:
        return any(phrase in text for phrase in self.by_word.get(word.lower(), ()))

    @classmethod
    def from_database(cls, per_field: int = 500) -> EnteredText:
        """Every free-text value (character and text fields without choices) of the project's
        models and of the accounts; coded fields are left out, so a raw status code on a page
        is still found."""
        from django.apps import apps
        from django.db import models

        entered = cls()
        for model in apps.get_models():
            if not model.__module__.startswith(("neuroregen.", "django.contrib.auth")):
                continue
            for f in model._meta.concrete_fields:
                if not isinstance(f, models.CharField | models.TextField) or f.choices:
                    continue
                if f.name in ("password",):
                    continue
                values = (
                    model._default_manager.exclude(**{f.name: ""})
                    .values_list(f.name, flat=True)
                    .distinct()[:per_field]
                )
                entered.add(v for v in values if isinstance(v, str))
        return entered


def english_words(
    fragments: Iterable[Fragment], entered: EnteredText | None = None
) -> list[tuple[str, Fragment]]:
    """The English words of ``fragments`` with the fragment each was found in."""
    found = []
    for fragment in fragments:
        for word in _candidate_words(fragment.text):
            if entered is not None and entered.excuses(word, fragment.text):
                continue
            found.append((word, fragment))
    return found


@dataclass(frozen=True)
class Finding:
    """An English word on a page rendered in ``language``."""

    path: str
    name: str  # the URL's name
    language: str
    role: str
    word: str
    snippet: str


def page_findings(
    html: str,
    *,
    path: str,
    name: str,
    language: str,
    role: str,
    entered: EnteredText | None = None,
) -> list[Finding]:
    """The English words on one rendered page, one finding per distinct (word, snippet)."""
    seen: dict[tuple[str, str], Finding] = {}
    for word, fragment in english_words(visible_text(html), entered):
        snippet = fragment.text if len(fragment.text) <= 120 else fragment.text[:117] + "…"
        if fragment.where != "text":
            snippet = f"{fragment.where}={snippet}"
        seen.setdefault((word, snippet), Finding(path, name, language, role, word, snippet))
    return list(seen.values())


def _signed_in(user: Any) -> Any:
    """A test client signed in as ``user``, past two-factor sign-in as a staff member would be."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(raise_request_exception=False)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="page scan", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def scan_site(
    *,
    languages: Iterable[str] = ("ru", "uk"),
    roles: Iterable[Any] | None = None,
    only: str = "",
    per_page: int = 3,
    accounts: dict[Any, Any] | None = None,
) -> Iterator[Finding]:
    """Open every named page as each role's demo account (``demo_setup``) in each language.

    ``accounts`` maps roles to the users to sign in as instead of the demo accounts.

    A page taking arguments is tried with up to ``per_page`` argument sets from the database
    and read once, at the first that answers 200; ``only`` keeps pages whose path or URL name
    contains it. Findings repeat per role and language; callers group them as they need.
    """
    from django.urls import Resolver404, resolve

    from neuroregen.core.access import declared
    from neuroregen.core.models import User
    from neuroregen.core.pages import build, candidates, pages
    from neuroregen.core.roles import Role

    entered = EnteredText.from_database()
    site_pages = [p for p in pages() if not only or only in p.route or only in p.name]
    if accounts is None:
        demo = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
        accounts = {role: demo.get(f"demo-{role.value}") for role in Role}
    for role in roles or list(accounts):
        user = accounts.get(role)
        if user is None:
            continue
        for language in languages:
            user.preferred_language = language
            user.save(update_fields=["preferred_language"])
            client = _signed_in(user)
            for page in site_pages:
                for kwargs in candidates(page, limit=per_page):
                    path = build(page.route, kwargs)
                    try:
                        access = declared(resolve(path).func)
                    except Resolver404:
                        break
                    if access is None or not access.allows_role(role):
                        break
                    response = client.get(path)
                    if response.status_code == 404:
                        continue
                    if response.status_code == 200 and "text/html" in response.get(
                        "Content-Type", ""
                    ):
                        yield from page_findings(
                            response.content.decode("utf-8", "replace"),
                            path=path,
                            name=page.name,
                            language=language,
                            role=Role(role).value,
                            entered=entered,
                        )
                    break
