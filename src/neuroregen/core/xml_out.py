"""XML documents written with the prefixes they declare, whatever else ran in the process.

``xml.etree.ElementTree.register_namespace`` is one process-wide map, and libraries rewrite it
(elementpath, under xmlschema, registers its own default namespace while it validates): a
registration made when a module is imported can be gone by the time a file is written, and
the file then comes out with ``ns0:`` prefixes. So every prefix, the default one included, is
registered at the moment of writing. (ElementTree's own ``default_namespace`` option cannot be
used: it refuses the unqualified attributes every ODM element has.)
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping


def xml_bytes(
    root: ET.Element, *, default_namespace: str, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """``root`` as a UTF-8 document with an XML declaration; ``prefixes``: prefix → URI."""
    ET.register_namespace("", default_namespace)
    for prefix, uri in (prefixes or {}).items():
        ET.register_namespace(prefix, uri)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
    return out.getvalue()
