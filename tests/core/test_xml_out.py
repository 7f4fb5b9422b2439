"""Documents keep their declared prefixes even after a library rewrote ElementTree's global map
(xmlschema's elementpath registers its own default namespace while it validates)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from neuroregen.core.xml_out import xml_bytes

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.0"


@pytest.fixture
def clobbered_namespaces(monkeypatch):
    """ElementTree's prefix map as elementpath leaves it: another default namespace."""
    monkeypatch.setattr(ET, "_namespace_map", dict(ET._namespace_map))
    ET.register_namespace("", "http://www.w3.org/2001/XMLSchema")
    ET.register_namespace("odm", ODM)


def test_default_namespace_and_prefixes_survive_a_rewritten_map(clobbered_namespaces):
    root = ET.Element(f"{{{ODM}}}ODM", FileOID="F")
    study = ET.SubElement(root, f"{{{ODM}}}Study")
    study.set(f"{{{DEF}}}Version", "2.0.0")
    written = xml_bytes(root, default_namespace=ODM, prefixes={"def": DEF})
    assert written.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    assert f'<ODM xmlns="{ODM}" xmlns:def="{DEF}"'.encode() in written
    assert b"<Study def:Version=" in written
    assert b"ns0:" not in written
    assert b"odm:" not in written
