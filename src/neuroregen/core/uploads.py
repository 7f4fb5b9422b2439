"""Uploaded files, checked before anyone reads them: name, size and text encoding.

Every importer and attachment view goes through these helpers so the rules are the same
everywhere:

- :func:`safe_filename` refuses names that try to leave the upload folder (``../``, absolute
  paths, drive letters, NUL and control characters) instead of silently rewriting them;
- :func:`check_size` refuses files over ``settings.NEUROREGEN_MAX_UPLOAD_BYTES`` with a message
  that says both sizes;
- :func:`decode_text` turns CSV bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM,
  or the Windows code pages sites still export from Excel — Windows-1251 (Cyrillic) and
  Windows-1252 (Western) — told apart by how their letters cluster into words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _

from neuroregen.core.errors import ValidationFailed

_UNSAFE_CHARS = re.compile(r"[^\w.\- ()]", re.UNICODE)
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
MAX_NAME_LENGTH = 200


def safe_filename(name: str, *, allowed_extensions: tuple[str, ...] = ()) -> str:
    """The name to store an upload under, or :class:`ValidationFailed` if it is not acceptable.

    >>> safe_filename("visit data (May).csv")
    'visit data (May).csv'
    >>> safe_filename("../../etc/passwd")
    Traceback (most recent call last):
    ...
    neuroregen.core.errors.ValidationFailed: The file name "../../etc/passwd" is not allowed: ...
    """
    original = name
    name = unicodedata.normalize("NFC", name or "").strip()

    def refuse(why: str) -> ValidationFailed:
        return ValidationFailed(
            _('The file name "%(name)s" is not allowed: %(why)s')
            % {"name": original[:80], "why": why},
            field="file",
        )

    if not name:
        raise refuse(_("it is empty."))
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise refuse(_("it contains control characters."))
    if "/" in name or "\\" in name or re.match(r"^[A-Za-z]:", name):
        raise refuse(_("it contains a folder path; upload the file itself."))
    if name in {".", ".."} or name.startswith("."):
        raise refuse(_("it starts with a dot."))
    if len(name) > MAX_NAME_LENGTH:
        raise refuse(_("it is longer than %(n)s characters.") % {"n": MAX_NAME_LENGTH})
    stem = name.split(".")[0].strip().lower()
    if stem in _WINDOWS_RESERVED:
        raise refuse(_("it is a reserved device name."))
    cleaned = _UNSAFE_CHARS.sub("_", name)
    if allowed_extensions:
        extension = cleaned.rsplit(".", 1)[-1].lower() if "." in cleaned else ""
        if extension not in {e.lower().lstrip(".") for e in allowed_extensions}:
            raise refuse(
                _("only these file types are accepted: %(types)s.")
                % {"types": ", ".join(allowed_extensions)}
            )
    return cleaned


def human_size(size: int) -> str:
    """A byte count as people read it (10485760 → "10.0 MB", "10,0 МБ" in Russian)."""
    # Django's own catalogue translates the units (as its filesizeformat filter does).
    if size >= 2**20:
        return gettext("%s MB") % formats.number_format(round(size / 2**20, 1), 1)
    if size >= 2**10:
        return gettext("%s KB") % formats.number_format(round(size / 2**10), 0)
    return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}


def check_size(size: int, *, limit: int | None = None) -> None:
    """Refuse a file larger than the limit, saying how large it is and what the limit is."""
    limit = settings.NEUROREGEN_MAX_UPLOAD_BYTES if limit is None else limit
    if size > limit:
        raise ValidationFailed(
            _(
                "The file is %(size)s; the largest file accepted is %(limit)s. Split it into "
                "smaller files or ask an administrator to raise the limit."
            )
            % {"size": human_size(size), "limit": human_size(limit)},
            field="file",
        )
    if size == 0:
        raise ValidationFailed(_("The file is empty."), field="file")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # the codec that decoded it, e.g. "utf-8-sig", "cp1251"


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _cyrillic_score(text: str) -> float:
    """Share of non-ASCII letters that sit next to another non-ASCII letter.

    Cyrillic words are made entirely of such letters; Western European text decoded the same
    way has isolated accented letters between ASCII ones.
    """
    letters = [i for i, ch in enumerate(text) if ord(ch) > 127 and ch.isalpha()]
    if not letters:
        return 0.0
    positions = set(letters)
    clustered = sum(1 for i in letters if i - 1 in positions or i + 1 in positions)
    return clustered / len(letters)


def decode_text(data: bytes, *, encoding: str | None = None) -> DecodedText:
    """Decode an uploaded text file; ``encoding`` forces a codec chosen by the user."""
    if encoding:
        try:
            return DecodedText(data.decode(encoding), encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationFailed(
                _("The file could not be read as %(encoding)s.") % {"encoding": encoding},
                field="encoding",
            ) from exc
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ValidationFailed(
                    _(
                        "The file starts as %(encoding)s text but breaks off at byte %(byte)s "
                        "(it may be truncated). Save it again as UTF-8 and upload it again."
                    )
                    % {"encoding": codec.upper().removesuffix("-SIG"), "byte": exc.start},
                    field="file",
                ) from exc
            return DecodedText(text.lstrip("\ufeff"), codec)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    as_cyrillic = data.decode("cp1251", errors="replace")
    if "\ufffd" not in as_cyrillic and _cyrillic_score(as_cyrillic) >= 0.6:
        return DecodedText(as_cyrillic, "cp1251")
    try:
        return DecodedText(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            _(
                "The file's text encoding was not recognised. Save it as UTF-8 (in Excel: "
                "CSV UTF-8) and upload it again."
            ),
            field="file",
        ) from exc


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    data: bytes


def read_upload(
    uploaded: Any, *, allowed_extensions: tuple[str, ...] = (), limit: int | None = None
) -> CheckedUpload:
    """Check a Django ``UploadedFile`` (name, then size before reading) and return its bytes."""
    name = safe_filename(uploaded.name, allowed_extensions=allowed_extensions)
    check_size(uploaded.size, limit=limit)
    return CheckedUpload(name=name, data=uploaded.read())
