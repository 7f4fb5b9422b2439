"""Cell products: chain of identity, QC and release, chain of custody, administration.

Identity graph: source material (a participant's own biopsy or blood for autologous products;
an eligible donor's tissue or a cord-blood unit for allogeneic ones) → iPSC line → product lot
→ dose container → administration. Every node carries a system-generated chain-of-identity code
(``core.codes``: random body, two check digits, a prefix naming the kind of object, nothing
derived from a name, national ID or record number — 21 CFR 1271.290).

Where a row belongs (scoping, see ``core.scoping``): every row carries the ``site`` that holds it.

- Autologous material, lots and their containers are held by the participant's own site, and
  a family account sees them through ``participant`` — they are bound to that child for life.
- An allogeneic lot is held by the site that made it (the manufacturing site). Its containers
  carry the site where they physically are: a shipment receipt moves a container to the
  receiving site, which then sees that container and, through it, the lot (selectors join the
  two: a lot is visible at its holding site and at every site holding one of its containers).
- Administrations, HLA typing and antibody screens of a participant belong to the participant's
  site; a donor's typing belongs to the donor's site.

Timelines (custody events, QC results, release records) are append-only: corrections are new
rows that point at what they correct.

The models live in one module per concern (``sources``, ``specifications``, ``lots``,
``quality``, ``custody``, ``administration``, ``compatibility``, ``investigations``); this
package imports them all, so Django registers them with the app and other code imports them
from ``neuroregen.products.models``.
"""

from __future__ import annotations

from neuroregen.products.models.administration import Administration
from neuroregen.products.models.compatibility import HLA_LOCI, AntibodyScreen, HLATyping
from neuroregen.products.models.custody import CustodyEvent
from neuroregen.products.models.investigations import LotRecall, OOSInvestigation, RecallNotice
from neuroregen.products.models.lots import Container, Lot
from neuroregen.products.models.quality import Deviation, LotRelease, QCResult
from neuroregen.products.models.sources import (
    CODE_HELP,
    Donor,
    IPSCLine,
    SourceMaterial,
    code_field,
)
from neuroregen.products.models.specifications import QCSpecification, QCSpecItem

__all__ = [
    "CODE_HELP",
    "HLA_LOCI",
    "Administration",
    "AntibodyScreen",
    "Container",
    "CustodyEvent",
    "Deviation",
    "Donor",
    "HLATyping",
    "IPSCLine",
    "Lot",
    "LotRecall",
    "LotRelease",
    "OOSInvestigation",
    "QCResult",
    "QCSpecItem",
    "QCSpecification",
    "RecallNotice",
    "SourceMaterial",
    "code_field",
]
