"""Every export format, by name: each writes files for a dataset into a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from neuroregen.interop.dataset import Dataset


class Written(list[Path]):
    """The files an export wrote, and what it must say about them (the command prints it;
    the files carry it too, for the export page's download)."""

    def __init__(self, paths: list[Path], messages: list[str] | None = None) -> None:
        super().__init__(paths)
        self.messages = list(messages or [])


def _redcap(
    dataset: Dataset, out: Path, *, flat: bool = False, project: bool = False
) -> list[Path]:
    from neuroregen.interop import records

    if project:
        from neuroregen.interop import redcap_project

        xml_path = out / "redcap_project.xml"
        xml_path.write_bytes(redcap_project.export_project(dataset))
        return [xml_path]

    name = "redcap_records_flat.csv" if flat else "redcap_records.csv"
    path = out / name
    path.write_text(
        records.export_records(dataset, longitudinal=not flat), encoding="utf-8", newline=""
    )
    return [path]


def _tidy(dataset: Dataset, out: Path, **_: object) -> list[Path]:
    from neuroregen.interop import records

    path = out / "tidy_long.csv"
    path.write_text(records.export_tidy(dataset), encoding="utf-8", newline="")
    return [path]


def _odm(dataset: Dataset, out: Path, **_: object) -> list[Path]:
    from neuroregen.interop import odm

    path = out / "odm.xml"
    path.write_bytes(odm.export_odm(dataset))
    return [path]


def _sdtm(dataset: Dataset, out: Path, **_: object) -> list[Path]:
    from neuroregen.interop import sdtm
    from neuroregen.interop.sdtm.define import define_xml

    export = sdtm.build(dataset)
    paths = sdtm.write_xpt(export.frames, out)
    protocol = dataset.protocol
    define = out / "define.xml"
    define.write_bytes(
        define_xml(
            export.frames,
            study=protocol.code,
            study_name=protocol.official_title or protocol.name,
            protocol_name=f"{protocol.code} v{protocol.version}",
            qs_sources=export.codelists,
        )
    )
    paths.append(define)
    if export.messages:
        notes = out / "sdtm_notes.txt"
        notes.write_text("\n\n".join(export.messages) + "\n", encoding="ascii")
        paths.append(notes)
    return Written(paths, export.messages)


def _fhir(dataset: Dataset, out: Path, **_: object) -> list[Path]:
    from neuroregen.interop import fhir

    path = out / "fhir_bundle.json"
    path.write_text(fhir.export_bundle_json(dataset), encoding="utf-8")
    return [path]


def _nda(dataset: Dataset, out: Path, **_: object) -> list[Path]:
    from neuroregen.interop import nda

    return nda.write_structures(dataset, out)


FORMATS: dict[str, Callable[..., list[Path]]] = {
    "redcap": _redcap,
    "tidy": _tidy,
    "odm": _odm,
    "sdtm": _sdtm,
    "fhir": _fhir,
    "nda": _nda,
}
