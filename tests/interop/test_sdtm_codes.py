"""SDTM test codes: one per distinct test however many rows carry it, the same whatever order
the rows come in, and a clear error (never a hang) when a prefix has no code left."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from neuroregen.core.models import User
from neuroregen.interop import sdtm
from neuroregen.interop.dataset import collect
from neuroregen.interop.errors import CodeSpaceExhausted
from neuroregen.interop.sdtm import codes
from neuroregen.interop.sdtm.ct import QS_CT
from tests.interop.builders import PROTOCOL


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, or a failure after ``seconds`` instead of a hang."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _counting(monkeypatch: pytest.MonkeyPatch, limit: int) -> list[str]:
    """Count the codes made; stop the export once more are made than ``limit`` (each code made
    takes one from its prefix's 9 999: an export making a code per row runs out of them)."""
    made: list[str] = []
    make = codes.testcd

    def counted(name: str, taken: set[str], prefix: str) -> str:
        if len(made) >= limit:
            raise AssertionError(f"more than {limit} test codes made")
        made.append(make(name, taken, prefix))
        return made[-1]

    monkeypatch.setattr(codes, "testcd", counted)
    return made


def _one_code_per_test(qs: Any) -> dict[tuple[str, str], str]:
    """Test (category, name) → code, asserting the mapping is one to one."""
    pairs = qs[["QSCAT", "QSTEST", "QSTESTCD"]].drop_duplicates()
    assert not pairs.duplicated(["QSCAT", "QSTEST"]).any()  # a test has one code
    assert not pairs.duplicated("QSTESTCD").any()  # a code names one test
    return {(r.QSCAT, r.QSTEST): r.QSTESTCD for r in pairs.itertuples()}


@pytest.mark.django_db
def test_a_code_is_made_once_per_distinct_test(world, monkeypatch):
    made = _counting(monkeypatch, limit=500)
    qs = sdtm.build_domains(collect(user=world.admin, protocol=PROTOCOL))["QS"]
    tests = _one_code_per_test(qs)
    assert len(qs) > len(tests)  # tests repeat across children and visits
    published = {code for code, _name in QS_CT.values()}  # CDISC CT codes are not made
    assert sorted(made) == sorted(c for c in tests.values() if c not in published)


@pytest.mark.django_db
def test_codes_do_not_depend_on_the_order_of_the_children(world):
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    first = _one_code_per_test(sdtm.build_domains(dataset)["QS"])
    dataset.participants.reverse()
    assert _one_code_per_test(sdtm.build_domains(dataset)["QS"]) == first


@pytest.mark.django_db
def test_colliding_names_get_the_same_codes_in_any_order():
    # "a_1" and "a1" both shorten to A1: the one sorted first keeps it, the other is numbered
    wanted = {("atec", "a_1"): ("a_1", "atec"), ("atec", "a1"): ("a1", "atec")}
    assigned = codes.assign(wanted)
    assert assigned == {("atec", "a1"): "A1", ("atec", "a_1"): "ATEC0001"}
    assert codes.assign(dict(reversed(wanted.items()))) == assigned


def test_a_prefix_without_a_free_code_is_an_error_not_a_hang():
    taken = {"ITEM"} | {f"ATEC{n:04d}" for n in range(1, 10_000)}
    with pytest.raises(CodeSpaceExhausted, match="ATEC"):
        _within(5, lambda: codes.testcd("item", taken, "atec"))
    assert codes.testcd("item", taken - {"ATEC9999"}, "atec") == "ATEC9999"  # the last one


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_main_protocol_exports_with_a_code_per_test(monkeypatch, tmp_path):
    """The demo as ``make demo`` builds it: NR-CELL-01 has 57 children and some 42 000 QS rows,
    29 000 of them ATEC answers (one prefix), for about 150 distinct tests."""
    call_command("demo_setup", stdout=io.StringIO())
    dataset = collect(user=User.objects.get(username="demo-administrator"), protocol=PROTOCOL)
    made = _counting(monkeypatch, limit=1000)
    # the count, not a timeout thread, stops a code per row: a thread would not see the test's
    # transaction on SQLite
    export = sdtm.build(dataset)
    frames = export.frames
    assert sdtm.conformance(frames, export.waived) == []  # the demo conforms
    qs = frames["QS"]
    tests = _one_code_per_test(qs)
    assert len(qs) > 10_000  # more rows than a prefix has numbered codes
    published = {code for code, _name in QS_CT.values()}
    assert sorted(made) == sorted(c for c in tests.values() if c not in published)
    again = _one_code_per_test(sdtm.build_domains(dataset)["QS"])
    assert again == tests  # the same data, the same codes
    assert sdtm.write_xpt(frames, tmp_path)
