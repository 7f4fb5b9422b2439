"""The NIMH Data Archive GUID of a child: its format, and who may see it.

NDA's GUID tool runs at the site: it hashes the child's name, birth date and birthplace and asks
NDA for the GUID, so no identity leaves the site. Two forms are in use (seen in NDA-shared
data, e.g. the Healthy Brain Network's ``NDARAA075AMK`` and ABCD's ``subjectkey``
``NDAR_INV00HEV6HB``):

- a GUID: ``NDAR`` followed by 8 uppercase letters or digits;
- a pseudo-GUID: ``NDAR_INV`` followed by 8 uppercase letters or digits (BIDS labels drop the
  underscore, ``NDARINV…``: that spelling is accepted and stored with the underscore NDA's
  ``subjectkey`` carries).

Identity-level: the GUID names nobody by itself, but anyone holding the child's identity can
recompute it with the GUID tool, and it links the child's records across every study that
shared data with NDA. So it is shown, edited and exported only by people who may see the
child's identity at its site (``view_identity``); statisticians and monitors do not see it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GUID = re.compile(r"NDAR(?:_INV)?[A-Z0-9]{8}")
BIDS_PSEUDO = re.compile(r"NDARINV([A-Z0-9]{8})")


def normalise_nda_guid(value: str) -> str:
    """Upper case, no spaces; the BIDS spelling ``NDARINV…`` as NDA's ``NDAR_INV…``."""
    text = "".join((value or "").split()).upper()
    bids = BIDS_PSEUDO.fullmatch(text)
    return f"NDAR_INV{bids.group(1)}" if bids else text


def validate_nda_guid(value: str) -> None:
    if value and not GUID.fullmatch(value):
        raise ValidationError(
            _(
                "An NDA GUID is NDAR followed by 8 capital letters or digits (NDARAB123CDE), or a "
                "pseudo-GUID NDAR_INV followed by 8 (NDAR_INV1A2B3C4D)."
            ),
            code="nda_guid",
        )
