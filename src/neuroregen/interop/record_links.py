"""Which participant each record of a records file is, before its forms are matched.

A record id names a participant in one of three ways, tried in this order:

1. a **map** (``--map FILE``: a CSV of record id → study code, with a header line) — for a
   REDCap project whose records are numbered its own way;
2. the record id **is** a study code (files this system exported);
3. **registration** (``--create-participants --site CODE``): the record is a child not yet
   known here.

Why registration goes no further than screening: a participant is a child registered at
screening with an encrypted identity (given and family name, date of birth, guardian) and the
research facts screening asks for (sex, country, DSM-5 severity, diagnostic instrument). A
REDCap project that keeps these (a demographics form) can name their columns, and each unknown
record is registered in *screening* through ``participant_screen`` — the registration page's
checks, duplicate detection and audit trail. Consent, enrolment and assignment, which give a
child visits, are never inferred from a file, so the forms of a child registered by an import
cannot be imported in the same run: they are reported, and the file imports once the child is
enrolled and assigned (with the map this import wrote). A record whose name and date of birth
match a child already registered at the site (the blind index screening uses) is that child:
importing the same file again registers nobody.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from neuroregen.core.errors import DomainError
from neuroregen.core.models import Site
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.interop.records import Problem, RecordRow
from neuroregen.participants import services as participant_services
from neuroregen.participants.models import Participant
from neuroregen.participants.selectors import participant_find_by_identity

# What screening needs (participant_screen refuses a child without them) and what it may take.
REQUIRED = (
    "given_name",
    "family_name",
    "date_of_birth",
    "guardian_name",
    "sex",
    "country",
    "dsm5_severity",
    "diagnostic_instrument",
)
OPTIONAL = (
    "guardian_relationship",
    "guardian_phone",
    "guardian_email",
    "screened_on",
    "preferred_language",
    "asd_diagnosis_date",
    "genetic_finding",
    "syndrome",
    "genetic_details",
    "therapy_hours_per_week",
)
IDENTITY = {"given_name", "family_name", "date_of_birth", *participant_services.IDENTITY_FIELDS}
DATES = {"date_of_birth", "screened_on", "asd_diagnosis_date"}


@dataclass(frozen=True)
class RecordLinks:
    """How the record ids of one file name participants (see the module's description)."""

    mapping: dict[str, str] | None = None  # record id → study code
    map_problems: tuple[Problem, ...] = ()
    create_at_site: str = ""  # a site code: register unknown records there
    columns: dict[str, str] = field(default_factory=dict)  # participant field → column

    @property
    def active(self) -> bool:
        return self.mapping is not None or bool(self.create_at_site) or bool(self.map_problems)

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


@dataclass
class Linked:
    rows: list[RecordRow]
    header: list[str]
    problems: list[Problem] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)  # record id → study code (registration)
    registered: list[tuple[str, str]] = field(default_factory=list)


def read_map(text: str, name: str = "map") -> tuple[dict[str, str], list[Problem]]:
    """A map file: header line, then ``record id,study code`` per line."""
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, [])
        if len(header) < 2:
            return {}, [
                Problem(f"{name} line 1", "", "a map has two columns: record id, study code")
            ]
        for cells in reader:
            where = f"{name} line {reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
                problems.append(Problem(where, "", "give a record id and a study code"))
                continue
            record, code = cells[0].strip(), cells[1].strip()
            if mapping.get(record, code) != code:
                problems.append(Problem(where, header[0], f"record '{record}' is mapped twice"))
            mapping[record] = code
    except csv.Error as exc:
        problems.append(Problem(f"{name} line {reader.line_num}", "", f"not readable ({exc})"))
    return mapping, problems


def parse_columns(pairs: list[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` pairs (``--participant-column``); raises ValueError on a bad one."""
    columns: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not column or name not in (*REQUIRED, *OPTIONAL):
            raise ValueError(
                f"'{pair}' is not FIELD=COLUMN with FIELD one of {', '.join(REQUIRED + OPTIONAL)}"
            )
        columns[name] = column
    return columns


def link_records(
    *, user: Any, rows: list[RecordRow], header: list[str], links: RecordLinks
) -> Linked:
    """Rows whose record id is a study code, and every problem met on the way (all reported;
    the caller writes nothing unless there is none). Registers children as described above."""
    if not links.active:
        return Linked(rows, header)
    linked = Linked([], header, problems=list(links.map_problems))
    mapping = links.mapping or {}
    wanted = {mapping.get(r.record_id, r.record_id) for r in rows}
    visible = set(
        Participant.objects.for_user(user)
        .filter(study_code__in=wanted | set(mapping.values()))
        .values_list("study_code", flat=True)
    )
    for record, code in sorted(mapping.items()):
        if code not in visible:
            linked.problems.append(
                Problem("map", "", f"record '{record}': no participant '{code}' you may see")
            )
    unknown = [r for r in rows if r.record_id not in mapping and r.record_id not in visible]
    if links.create_at_site:
        _register(user, unknown, header, links, linked)
    used = {links.column(n) for n in (*REQUIRED, *OPTIONAL)} if links.create_at_site else set()
    linked.header = [h for h in header if h not in used]
    for row in rows:
        record = row.record_id
        if record in linked.linked:
            code = linked.linked[record]
        elif record in mapping:
            code = mapping[record]
            if code not in visible:
                continue  # reported with the map
        elif record in visible:
            code = record
        elif links.create_at_site:
            continue  # its registration failed: reported there
        elif links.mapping is not None:
            linked.problems.append(
                Problem(
                    row.where,
                    header[0],
                    f"record '{record}' is neither in the map nor a study code",
                )
            )
            continue
        else:
            code = record
        cells = {k: v for k, v in row.cells.items() if k not in used}
        linked.rows.append(dataclasses.replace(row, record_id=code, cells=cells))
    return linked


def _register(
    user: Any, rows: list[RecordRow], header: list[str], links: RecordLinks, linked: Linked
) -> None:
    """Register (or find by identity) the child of each record in ``rows``."""
    if not rows:
        return
    site = Site.objects.filter(code=links.create_at_site).first()
    if site is None:
        linked.problems.append(Problem("", "", f"no site '{links.create_at_site}'"))
        return
    # registering writes identity and looks children up by it: both rights at that site
    if not (
        has_capability(user, Capability.MANAGE_PARTICIPANT, site)
        and has_capability(user, Capability.VIEW_IDENTITY, site)
    ):
        linked.problems.append(Problem("", "", f"you may not register participants at {site.code}"))
        return
    lacking = [n for n in REQUIRED if links.column(n) not in header]
    if lacking:
        named = ", ".join(f"{n} (column '{links.column(n)}')" for n in lacking)
        linked.problems.append(
            Problem(
                "line 1",
                "",
                f"registering participants needs columns for {named}; name them with "
                "--participant-column FIELD=COLUMN",
            )
        )
        return
    for record, (where, values) in _record_values(rows, links, linked.problems).items():
        try:
            data = _typed(values, links)
        except ValueError as exc:
            field_name, message = exc.args
            linked.problems.append(Problem(where, links.column(field_name), message))
            continue
        _register_one(user, site, record, where, data, links, linked)


def _record_values(
    rows: list[RecordRow], links: RecordLinks, problems: list[Problem]
) -> dict[str, tuple[str, dict[str, str]]]:
    """Each record's participant values, merged over its rows (longitudinal files give them
    on one event's row); two different values of one field are a problem."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for row in rows:
        where, values = found.setdefault(row.record_id, (row.where, {}))
        for name in (*REQUIRED, *OPTIONAL):
            value = row.cells.get(links.column(name), "").strip()
            if not value:
                continue
            if values.setdefault(name, value) != value:
                problems.append(
                    Problem(row.where, links.column(name), f"differs from {where} ({values[name]})")
                )
    return found


def _typed(values: dict[str, str], links: RecordLinks) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in values.items():
        if name in DATES:
            try:
                data[name] = dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(name, f"'{value}' is not a date (YYYY-MM-DD)") from None
        elif name == "dsm5_severity":
            if not value.isdigit():
                raise ValueError(name, f"'{value}' is not a DSM-5 severity level (1, 2 or 3)")
            data[name] = int(value)
        elif name == "therapy_hours_per_week":
            try:
                data[name] = Decimal(value)
            except InvalidOperation:
                raise ValueError(name, f"'{value}' is not a number") from None
        else:
            data[name] = value
    return data


def _register_one(
    user: Any,
    site: Site,
    record: str,
    where: str,
    data: dict[str, Any],
    links: RecordLinks,
    linked: Linked,
) -> None:
    identity = {k: v for k, v in data.items() if k in IDENTITY}
    research = {k: v for k, v in data.items() if k not in IDENTITY and k != "screened_on"}
    birth = identity.get("date_of_birth")
    if birth is not None and identity.get("given_name") and identity.get("family_name"):
        known = (
            participant_find_by_identity(
                user=user,
                given_name=identity["given_name"],
                family_name=identity["family_name"],
                date_of_birth=birth,
            )
            .filter(site=site)
            .first()
        )
        if known is not None:
            linked.linked[record] = known.study_code
            return
    try:
        participant = participant_services.participant_screen(
            user=user,
            site=site,
            identity=identity,
            research=research,
            screened_on=data.get("screened_on"),
        )
    except DomainError as exc:
        errors = getattr(exc, "errors", None) or {exc.field or "": exc.message}
        for name, message in errors.items():
            linked.problems.append(Problem(where, links.column(name) if name else "", str(message)))
        return
    linked.linked[record] = participant.study_code
    linked.registered.append((record, participant.study_code))
