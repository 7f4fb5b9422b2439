"""Trial design domains from the protocol: TS (summary), TA (arms), TE (elements), TV (visits)
and TI (inclusion/exclusion criteria).

- Elements: ``SCRN`` screening (consent to first administration), one treatment element per
  arm (first administration to the day after the last), ``FU`` follow-up (to the last
  scheduled visit). Each arm is SCRN → its treatment → FU; the branch is at the end of
  screening (the investigator's personalised assignment, or randomisation).
- Visits: ``VISITNUM`` numbers the schedule as SV does; ``VISITDY`` is the SDTM day of the
  target day (our day 0 is SDTM day 1); the window is stated in the start rule.
- Criteria: the protocol's inclusion (``require``) and exclusion (``exclude``) rules; arm
  rules and personalisation are not eligibility and are left out.
- TS: the registration fields of the protocol; ages and sex from the eligibility rules;
  a parameter the protocol does not state is written with ``TSVALNF`` = ``UNK``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm import trial_terms as tt
from neuroregen.interop.sdtm.subjects import arm_code
from neuroregen.interop.sdtm.text import plain, shorten
from neuroregen.protocols.choices import ProductType, RuleKind


def ascii_text(text: str, limit: int = 200) -> str:
    """Plain ASCII (XPT v5) in at most ``limit`` characters, cut at a word boundary."""
    return shorten(" ".join(plain(str(text)).split()), limit)


def short_code(name: str, taken: set[str], prefix: str) -> str:
    """An element or criterion code (ETCD, IETESTCD): at most 8 letters and digits, starting
    with a letter, unique among ``taken``; numbered after ``prefix`` when the name is taken.
    (Protocol codes, not test codes: QS/LB test codes are made elsewhere and kept apart.)"""
    base = re.sub(r"[^A-Z0-9]", "", name.upper())
    candidate = (base if base[:1].isalpha() else prefix + base)[:8]
    n = 0
    while candidate in taken:
        n += 1
        candidate = f"{prefix}{n}"[:8]  # a protocol has far fewer than 10**5 codes
    taken.add(candidate)
    return candidate


def sdtm_visit_day(target_day: int) -> int:
    """Our study day (day 0 = first administration) as an SDTM day (no day 0)."""
    return target_day + 1 if target_day >= 0 else target_day


def trial_design_rows(
    dataset: Dataset, visitnum: dict[str, float], dm: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of TS, TA, TE, TV and TI (``dm``: the DM rows, for ACTSUB and FCNTRY)."""
    study = dataset.protocol.code
    elements = _elements(dataset)
    base = {"STUDYID": study}
    return {
        "TS": [{**base, "DOMAIN": "TS", **row} for row in ts_rows(dataset, dm)],
        "TA": [{**base, "DOMAIN": "TA", **row} for row in _ta_rows(dataset, elements)],
        "TE": [{**base, "DOMAIN": "TE", **row} for row in elements.values()],
        "TV": [{**base, "DOMAIN": "TV", **row} for row in _tv_rows(dataset, visitnum)],
        "TI": [{**base, "DOMAIN": "TI", **row} for row in _ti_rows(dataset)],
    }


def _last_day(dataset: Dataset) -> int:
    return max((d.target_day + d.window_after for d in dataset.definitions), default=0)


def _length_days(dataset: Dataset) -> int:
    """Planned observation of one child: the first window's start to the last window's end."""
    first = min((d.target_day - d.window_before for d in dataset.definitions), default=0)
    return _last_day(dataset) - first + 1


def _elements(dataset: Dataset) -> dict[str, dict[str, Any]]:
    """Element rows keyed by the arm code they treat ("" for screening and follow-up)."""
    taken = {"SCRN", "FU"}
    found: dict[str, dict[str, Any]] = {
        "": {
            "ETCD": "SCRN",
            "ELEMENT": "Screening",
            "TESTRL": "Informed consent signed",
            "TEENRL": "First administration, or end of screening without one",
            "TEDUR": "",
        }
    }
    for arm in dataset.arms:
        days = arm.spacing_days * (arm.administrations - 1) + 1
        product = ascii_text(str(ProductType(arm.product_type).label), 120)
        found[arm.code] = {
            "ETCD": short_code(arm.code, taken, "TRT"),
            "ELEMENT": ascii_text(arm.name, 200),
            "TESTRL": ascii_text(f"Start of the first administration of {product}"),
            "TEENRL": (
                f"{days} day(s) after the start of the element"
                + (f" ({arm.administrations} administrations)" if arm.administrations > 1 else "")
            ),
            "TEDUR": f"P{days}D",
        }
    found["~"] = {
        "ETCD": "FU",
        "ELEMENT": "Follow-up",
        "TESTRL": "End of the treatment element",
        "TEENRL": f"End of the last scheduled visit (study day {_last_day(dataset)}) or withdrawal",
        "TEDUR": "",
    }
    return found


def _ta_rows(dataset: Dataset, elements: dict[str, dict[str, Any]]) -> Iterable[dict[str, Any]]:
    how = "Randomized" if dataset.protocol.randomised else "Assigned by the investigator"
    for arm in dataset.arms:
        code, name = arm_code(arm), ascii_text(arm.name, 200)
        plan = [
            (elements[""], tt.EPOCH["screening"], f"{how} to {name}"),
            (elements[arm.code], tt.EPOCH["treatment"], ""),
            (elements["~"], tt.EPOCH["follow_up"], ""),
        ]
        for order, (element, epoch, branch) in enumerate(plan, start=1):
            yield {
                "ARMCD": code,
                "ARM": name,
                "TAETORD": float(order),
                "ETCD": element["ETCD"],
                "ELEMENT": element["ELEMENT"],
                "TABRANCH": ascii_text(branch),
                "TATRANS": "",
                "EPOCH": epoch,
            }


def _tv_rows(dataset: Dataset, visitnum: dict[str, float]) -> Iterable[dict[str, Any]]:
    arms = {a.code: a for a in dataset.arms}
    for d in dataset.definitions:
        start = (
            f"Study day {d.target_day} relative to the first administration (day 0), "
            f"window {d.window_before} day(s) early to {d.window_after} day(s) late"
        )
        row = {
            "VISITNUM": visitnum.get(d.code, float(d.target_day)),
            "VISIT": d.code,
            "VISITDY": float(sdtm_visit_day(d.target_day)),
            "TVSTRL": start,
            "TVENRL": "End of the visit day",
        }
        own = [arms[c] for c in d.arm_codes if c in arms]
        if not own:
            yield {**row, "ARMCD": "", "ARM": ""}
        for arm in own:
            yield {**row, "ARMCD": arm_code(arm), "ARM": ascii_text(arm.name)}


def _eligibility(dataset: Dataset) -> list[Any]:
    kinds = (RuleKind.REQUIRE, RuleKind.EXCLUDE)
    return [r for r in dataset.protocol.rules.all() if r.kind in kinds]


def _ti_rows(dataset: Dataset) -> Iterable[dict[str, Any]]:
    taken: set[str] = set()
    for rule in _eligibility(dataset):
        yield {
            "IETESTCD": short_code(rule.code, taken, "IE"),
            "IETEST": ascii_text(rule.reason),
            "IECAT": "INCLUSION" if rule.kind == RuleKind.REQUIRE else "EXCLUSION",
            "TIRL": ascii_text(f"{rule.field} {rule.operator} {rule.value}"),
            "TIVERS": dataset.protocol.version,
        }


def age_limits(rules: list[Any]) -> tuple[int | None, int | None]:
    """The youngest and oldest age (whole months) the eligibility rules admit."""
    low: int | None = None
    high: int | None = None
    for rule in rules:
        scale = {"age_months": 1, "age_years": 12}.get(rule.field)
        if scale is None or not isinstance(rule.value, int | float):
            continue
        v = int(rule.value * scale)
        op = rule.operator
        # Excluding "age < v" admits "age >= v": flip the operator for exclusions.
        if rule.kind == RuleKind.EXCLUDE:
            op = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}.get(op, "")
        if op in ("ge", "gt"):
            bound = v + (1 if op == "gt" else 0)
            low = bound if low is None else max(low, bound)
        elif op in ("le", "lt"):
            bound = v - (1 if op == "lt" else 0)
            high = bound if high is None else min(high, bound)
    return low, high


def _sex_population(rules: list[Any]) -> str:
    for rule in rules:
        if rule.field == "sex" and rule.operator == "eq" and rule.value in ("M", "F"):
            if rule.kind == RuleKind.REQUIRE:
                return str(rule.value)
            return "F" if rule.value == "M" else "M"
    return "BOTH"


def _term(value: tuple[str, str] | None, ref: str = tt.CT) -> list[tuple[str, str, str]]:
    return [(value[0], value[1], ref)] if value else []


def ts_rows(dataset: Dataset, dm: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TS: one row per parameter value (TSSEQ numbers a parameter's several values)."""
    p = dataset.protocol
    rules = _eligibility(dataset)
    low, high = age_limits(rules)
    products = sorted(
        {
            ascii_text(str(ProductType(a.product_type).label).upper())
            for a in dataset.arms
            if a.product_type != ProductType.PLACEBO
        }
    )
    countries = sorted({r["COUNTRY"] for r in dm if r.get("COUNTRY")})
    values: dict[str, list[tuple[str, str, str]]] = {
        "TITLE": _text(p.official_title or p.name),
        "SPONSOR": _text(p.sponsor),
        "REGID": _text(p.registry_id),
        "SSTDTC": [(p.study_start_date.isoformat(), "", tt.ISO8601)] if p.study_start_date else [],
        "TPHASE": _term(tt.TPHASE.get(p.trial_phase)),
        "STYPE": _term(tt.STYPE.get(p.study_type)),
        "TTYPE": [(v, c, tt.CT) for v, c in tt.TTYPE.get(p.trial_type, [])],
        "INDIC": _text(p.indication),
        "OBJPRIM": _text(p.primary_objective),
        "OUTMSPRI": _text(p.primary_measure or "atec.atec_total"),
        "TRT": [(name, "", "") for name in products],
        "INTTYPE": [("BIOLOGIC", "", tt.CT)] if products else [],
        "INTMODEL": [("PARALLEL" if len(dataset.arms) > 1 else "SINGLE GROUP", "", tt.CT)],
        "ADDON": _term(tt.NY[p.add_on]),
        "NARMS": [(str(len(dataset.arms)), "", "")],
        "RANDOM": _term(tt.NY[p.randomised]),
        "TBLIND": _term(tt.TBLIND.get(p.blinding)),
        "TCNTRL": _term(tt.TCNTRL.get(p.control_type)),
        "AGEMIN": [(f"P{low}M", "", tt.ISO8601)] if low is not None else [],
        "AGEMAX": [(f"P{high}M", "", tt.ISO8601)] if high is not None else [],
        "SEXPOP": _term(tt.SEXPOP[_sex_population(rules)]),
        "HLTSUBJI": _term(tt.NY[False]),
        "PDSTIND": _term(tt.NY[high is not None and high < 18 * 12]),
        "FCNTRY": [(c, "", tt.ISO3166) for c in countries],
        "LENGTH": [(f"P{_length_days(dataset)}D", "", tt.ISO8601)],
        "PLANSUB": [(str(p.planned_subjects), "", "")] if p.planned_subjects else [],
        "ACTSUB": [(str(len(dm)), "", "")],
        "SDTMVER": [(tt.SDTM_VERSION, "", "")],
        "SDTIGVER": [(tt.SDTMIG_VERSION, "", "")],
    }
    rows = []
    for parmcd, parm in tt.PARAMETERS.items():
        found = values.get(parmcd) or []
        if not found:
            # Not stated in the protocol: the row is kept, with a null flavour.
            nf = "PINF" if parmcd == "AGEMAX" else "UNK"
            rows.append(_ts(parmcd, parm, 1, "", "", "", nf))
            continue
        for seq, (value, code, ref) in enumerate(found, start=1):
            rows.append(_ts(parmcd, parm, seq, value, code, ref, ""))
    return rows


def _text(value: str) -> list[tuple[str, str, str]]:
    return [(ascii_text(value), "", "")] if value and value.strip() else []


def _ts(
    parmcd: str, parm: str, seq: int, value: str, code: str, ref: str, nf: str
) -> dict[str, Any]:
    return {
        "TSSEQ": float(seq),
        "TSGRPID": "",
        "TSPARMCD": parmcd,
        "TSPARM": parm,
        "TSVAL": value,
        "TSVALNF": nf,
        "TSVALCD": code,
        "TSVCDREF": ref if value else "",
        "TSVCDVER": "",
    }
