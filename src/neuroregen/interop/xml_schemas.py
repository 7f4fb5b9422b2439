"""The CDISC XML schemas shipped in odmlib (ODM 1.3.2, Define-XML 2.0), loaded once each."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET

ODM_132 = ("odm", "1.3.2", "ODM1-3-2.xsd")
DEFINE_20 = ("define", "2.0", "define2-0-0.xsd")


@functools.cache
def odmlib_schema(parts: tuple[str, str, str]) -> Any:
    """The schema at ``odmlib/schemas/<kind>/<version>/<file>``; the stack is imported late
    because only validation needs it."""
    import odmlib
    import xmlschema

    return xmlschema.XMLSchema(str(Path(odmlib.__file__).parent / "schemas" / Path(*parts)))


def schema_errors(document: bytes, parts: tuple[str, str, str]) -> list[str]:
    """Every violation of the schema ``parts`` names, as text (empty: valid)."""
    tree = SafeET.fromstring(document)
    return [f"{e.path}: {e.reason}" for e in odmlib_schema(parts).iter_errors(tree)]
