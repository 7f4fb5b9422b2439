"""Files answering REDCap ``file`` fields: checked, then kept under a random name.

An upload is accepted only when its name is safe (:func:`~neuroregen.core.uploads.safe_filename`
refuses paths instead of rewriting them), its size is within
``NEUROREGEN_MAX_FIELD_FILE_BYTES`` (default 10 MB), its extension is one of :data:`ALLOWED`, the
type the browser declared agrees with that extension, and the first bytes are what that type
starts with (so an HTML page renamed ``.pdf`` is refused). The bytes are written under
``MEDIA_ROOT/instrument_files/`` as 32 random hex digits plus the extension; the user's name is
kept only in the database. Files are never served from a static path: the download view reads
them after a site-scoped lookup.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.uploads import read_upload

DEFAULT_MAX_BYTES = 10 * 2**20
# extension → the content type it is stored and served as
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
}
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
# What browsers and operating systems declare for the same files.
_DECLARED_ALIASES = {
    "text/csv": {"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"},
    "image/jpeg": {"image/jpeg", "image/pjpeg"},
}
_GENERIC = {"", "application/octet-stream"}
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "instrument_files"


def max_bytes() -> int:
    return int(getattr(settings, "NEUROREGEN_MAX_FIELD_FILE_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse_type() -> ValidationFailed:
    return ValidationFailed(
        _("This file type is not accepted. Accepted: %(types)s.")
        % {"types": ", ".join(sorted({e.upper() for e in ALLOWED if e != "jpeg"}))},
        field="file",
    )


def check(uploaded: Any) -> CheckedFile:
    """Name, size, declared type and content of an upload; :class:`ValidationFailed` if not."""
    upload = read_upload(uploaded, allowed_extensions=tuple(ALLOWED), limit=max_bytes())
    extension = upload.name.rsplit(".", 1)[-1].lower()
    content_type = ALLOWED[extension]
    declared = (getattr(uploaded, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in _GENERIC and declared not in _DECLARED_ALIASES.get(
        content_type, {content_type}
    ):
        raise _refuse_type()
    magic = _MAGIC.get(content_type)
    if magic is not None:
        if not upload.data.startswith(magic):
            raise ValidationFailed(
                _("The file's content is not a %(type)s file.") % {"type": extension.upper()},
                field="file",
            )
    else:
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            raise ValidationFailed(
                _("A text file must be plain UTF-8 text."),
                field="file",
            )
    return CheckedFile(upload.name, extension, content_type, upload.data)


def write(checked: CheckedFile) -> str:
    """Store the bytes under a new random name (never overwriting) and return that name."""
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    stored_as = f"{secrets.token_hex(16)}.{checked.extension}"
    descriptor = os.open(target / stored_as, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(checked.data)
    return stored_as


def path_of(stored_as: str) -> Path:
    """Where a stored file lives; refuses anything that is not one of our random names."""
    if not _STORED_NAME.fullmatch(stored_as or ""):
        raise ValidationFailed(_("The stored file name is not valid."), field="file")
    return folder() / stored_as


def discard(stored_as: str) -> None:
    """Remove a file written for a save that did not happen."""
    try:
        path_of(stored_as).unlink(missing_ok=True)
    except ValidationFailed:
        pass
