"""Check that a change to the evidence code leaves every number the same.

``--out FILE`` writes what the evidence code makes of the configured database (``DATABASE_URL``
or the SQLite file under ``NEUROREGEN_VAR_DIR``) for one user: the five frames of the protocol
with the most assignments, ``analyse_program`` for every arm (and all arms) × responder
definition (its result objects and their JSON), and ``analyse_child`` for a few children.
``--compare OLD NEW`` then says whether two snapshots are identical — exactly, floats
included — and shows the first difference. Take one snapshot with the code before a change
(e.g. a ``git worktree`` of the previous commit on ``PYTHONPATH``), one after, and compare.

``--any-order`` compares up to the order of rows and of result lists (for a change that only
reorders measures, e.g. the order of scores within a response).

Usage::

    DATABASE_URL=... python bench/evidence_snapshot.py --out /tmp/before.pkl [--user NAME]
    python bench/evidence_snapshot.py --compare /tmp/before.pkl /tmp/after.pkl [--any-order]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def snapshot(username: str, children: int) -> dict[Any, Any]:
    if str(ROOT / "src") not in sys.path:
        sys.path.append(str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")
    import django

    django.setup()
    from neuroregen.core.models import User
    from neuroregen.evidence import analysis, selectors
    from neuroregen.evidence.child import analyse_child
    from neuroregen.evidence.program_measures import RESPONDER_CHOICES, measures
    from neuroregen.evidence.programme_frames import evidence_frames
    from neuroregen.evidence.reference_sd import reference_values

    user = User.objects.get(username=username)
    protocol = max(selectors.protocols_for(user=user), key=lambda p: p.assignments.count())
    frames = evidence_frames(user=user, protocol=protocol)
    controls = selectors.control_arm_codes(protocol.pk)
    out: dict[Any, Any] = {
        "code": selectors.__file__,
        "frames": {
            name: getattr(frames, name)
            for name in (
                "participants",
                "outcomes",
                "biomarkers",
                "adverse_events",
                "administrations",
                "notes",
            )
        },
    }
    for arm in [None, *analysis.arms_of(frames)]:
        for key in RESPONDER_CHOICES:
            ev = analysis.analyse_program(
                frames, arm=arm, definition_key=key, control_arms=controls
            )
            out[("program", arm, key)] = (repr(ev), ev.as_json())
    labels = {m.measure: m.label for m in measures(frames.outcomes)}
    sds = reference_values(protocol, labels)
    for code in list(frames.participants["study_code"].iloc[:children]):
        child = analyse_child(frames, code, sds)
        out[("child", code)] = repr(
            [
                (m.measure, m.series.to_dict("list"), m.verdict_list, m.reference_sd, m.note)
                for m in child.measures
            ]
        )
    return out


def _sorted_frame(frame: Any) -> Any:
    keys = ("study_code", "visit_code", "measure", "analyte", "ae_code", "study_day")
    keys = [c for c in keys if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _plain(value: Any, any_order: bool) -> Any:
    if not any_order:
        return value
    if isinstance(value, tuple):  # (repr, json): the repr carries the order, the JSON does not
        return _plain(value[1], any_order)
    if isinstance(value, dict):
        return {
            k: sorted(json.dumps(x, sort_keys=True, default=str) for x in v)
            if isinstance(v, list)
            else v
            for k, v in value.items()
        }
    return None  # a child's series: its order is the order of measures


def compare(old: dict[Any, Any], new: dict[Any, Any], any_order: bool) -> list[str]:
    import pandas as pd

    problems: list[str] = []
    for name, frame in old["frames"].items():
        other = new["frames"][name]
        if isinstance(frame, list):
            if frame != other:
                problems.append(f"frame notes differ: {frame} vs {other}")
            continue
        if any_order:
            frame, other = _sorted_frame(frame), _sorted_frame(other)
        try:
            pd.testing.assert_frame_equal(frame, other, check_exact=True)
        except AssertionError as exc:
            problems.append(f"{name} frame differs: {str(exc)[:1500]}")
    for key, value in old.items():
        if key in ("frames", "code"):
            continue
        if key not in new:
            problems.append(f"{key}: missing from the new snapshot")
        elif _plain(value, any_order) != _plain(new[key], any_order):
            a, b = (value[0], new[key][0]) if isinstance(value, tuple) else (value, new[key])
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)
            near = slice(max(at - 200, 0), at + 200)
            problems.append(f"{key} differs at character {at}:\n  {a[near]}\n  {b[near]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out")
    parser.add_argument("--user", default="bench-statistician")
    parser.add_argument("--children", type=int, default=3)
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    parser.add_argument("--any-order", action="store_true")
    args = parser.parse_args()
    if args.compare:
        # snapshots this script wrote on this machine, not data from elsewhere
        old, new = (pickle.loads(Path(p).read_bytes()) for p in args.compare)  # noqa: S301
        problems = compare(old, new, args.any_order)
        compared = sum(1 for k in old if k not in ("frames", "code"))
        for problem in problems:
            print(problem)
        print(
            f"{len(old['frames'])} frames and {compared} results compared"
            f"{' (any order)' if args.any_order else ''}: "
            + ("identical" if not problems else f"{len(problems)} differ")
        )
        return 1 if problems else 0
    if not args.out:
        parser.error("give --out FILE or --compare OLD NEW")
    data = snapshot(args.user, args.children)
    Path(args.out).write_bytes(pickle.dumps(data))
    print(f"{data['code']}: {len(data) - 2} results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
