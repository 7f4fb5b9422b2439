"""Eligibility and personalisation rules as data, evaluated against a participant profile.

Pure: no database. A rule is a plain dict ``{code, kind, field, operator, value, arm_code,
dose_per_kg, reason}``; a profile is a plain dict of the fields in :data:`FIELDS` (built from
the participant by ``protocols.profile``). Every rule yields an outcome with a sentence saying
what it found and what it did, so the investigator sees the reason for each recommendation
and each exclusion. A value that is not recorded never counts as "fine": an inclusion that
cannot be confirmed, or an exclusion that cannot be ruled out, blocks eligibility and says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neuroregen.core.numbers import significant
from neuroregen.participants import choices as pc
from neuroregen.protocols.choices import RuleKind, RuleOperator


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # "number" | "text" | "bool" | "set"
    label: Any
    choices: tuple[Any, ...] | None = None


FIELDS: dict[str, FieldSpec] = {
    "age_months": FieldSpec("number", gettext_lazy("age (months)")),
    "age_years": FieldSpec("number", gettext_lazy("age (years)")),
    "sex": FieldSpec("text", gettext_lazy("sex"), tuple(pc.Sex.values)),
    "dsm5_severity": FieldSpec("number", gettext_lazy("DSM-5 severity level"), (1, 2, 3)),
    "genetic_finding": FieldSpec(
        "text", gettext_lazy("genetic findings"), tuple(pc.GeneticFinding.values)
    ),
    "syndrome": FieldSpec("text", gettext_lazy("syndrome"), ("", *pc.Syndrome.values)),
    "comorbidities": FieldSpec("set", gettext_lazy("comorbidities"), tuple(pc.Comorbidity.values)),
    "epilepsy_control": FieldSpec(
        "text", gettext_lazy("seizure control"), ("", *pc.SeizureControl.values)
    ),
    "uncontrolled_epilepsy": FieldSpec("bool", gettext_lazy("uncontrolled epilepsy")),
    "coagulopathy": FieldSpec("bool", gettext_lazy("coagulopathy")),
    "prior_cell_therapy": FieldSpec("bool", gettext_lazy("prior cell therapy")),
    "weight_kg": FieldSpec("number", gettext_lazy("latest weight (kg)")),
    "therapy_hours_per_week": FieldSpec("number", gettext_lazy("therapy hours per week")),
    "consent_scope": FieldSpec(
        "set", gettext_lazy("consent on file"), tuple(pc.ConsentKind.values)
    ),
    "consent_withdrawn": FieldSpec("bool", gettext_lazy("consent withdrawn")),
}

OPERATORS_BY_KIND: dict[str, frozenset[str]] = {
    "number": frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"}),
    "text": frozenset({"eq", "ne", "in", "not_in"}),
    "bool": frozenset({"eq", "ne"}),
    "set": frozenset({"contains", "not_contains"}),
}
ARM_KINDS = frozenset({RuleKind.EXCLUDE_ARM, RuleKind.PREFER_ARM, RuleKind.DOSE_PER_KG})
_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass(frozen=True)
class RuleProblem:
    """Why a rule cannot be used. ``code`` is stable: ``rule_unknown_field`` or ``rule_invalid``."""

    code: str
    rule: str
    message: str


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def rule_problems(rule: dict[str, Any], arms: dict[str, dict[str, Any]]) -> list[RuleProblem]:
    """Everything wrong with one rule (empty when it is usable). ``arms`` maps code → arm spec."""
    name = str(rule.get("code") or "?")
    problems: list[RuleProblem] = []

    def bad(message: str, code: str = "rule_invalid") -> None:
        problems.append(RuleProblem(code, name, message))

    if not _CODE.match(str(rule.get("code") or "")):
        bad(_("The rule needs a code of letters, digits, '-' or '_'."))
    field_name = rule.get("field")
    spec = FIELDS.get(str(field_name))
    if spec is None:
        bad(
            _(
                "Rule %(rule)s refers to the unknown profile field '%(field)s'. Known fields: "
                "%(known)s."
            )
            % {"rule": name, "field": field_name, "known": ", ".join(sorted(FIELDS))},
            "rule_unknown_field",
        )
    kind = rule.get("kind")
    if kind not in RuleKind.values:
        bad(_("Rule %(rule)s has the unknown kind '%(kind)s'.") % {"rule": name, "kind": kind})
    operator = rule.get("operator")
    if operator not in RuleOperator.values:
        bad(_("Rule %(rule)s has the unknown operator '%(op)s'.") % {"rule": name, "op": operator})
    elif spec is not None and operator not in OPERATORS_BY_KIND[spec.kind]:
        bad(
            _("Rule %(rule)s: the operator '%(op)s' cannot be used with %(field)s.")
            % {"rule": name, "op": operator, "field": field_name}
        )
    if spec is not None and operator in RuleOperator.values:
        value = rule.get("value")
        values: list[Any] = [value]
        if operator in ("in", "not_in"):
            if isinstance(value, list):
                values = value
            else:
                bad(
                    _("Rule %(rule)s: '%(op)s' needs a list of values.")
                    % {"rule": name, "op": operator}
                )
                values = []
        for item in values:
            ok = {
                "number": _is_number(item),
                "bool": isinstance(item, bool),
                "text": isinstance(item, str),
                "set": isinstance(item, str),
            }[spec.kind]
            if not ok:
                bad(
                    _("Rule %(rule)s: %(value)r is not a valid value for %(field)s.")
                    % {"rule": name, "value": item, "field": field_name}
                )
            elif spec.choices is not None and item not in spec.choices:
                bad(
                    _(
                        "Rule %(rule)s: %(value)r is not a known code for %(field)s "
                        "(known: %(known)s)."
                    )
                    % {
                        "rule": name,
                        "value": item,
                        "field": field_name,
                        "known": ", ".join(str(x) for x in spec.choices if x != ""),
                    }
                )
    if not str(rule.get("reason") or "").strip():
        bad(_("Rule %(rule)s needs the reason shown to the investigator.") % {"rule": name})
    arm_code = rule.get("arm_code") or ""
    if kind in ARM_KINDS and arm_code not in arms:
        bad(
            _("Rule %(rule)s names the arm '%(arm)s', which the protocol does not have.")
            % {"rule": name, "arm": arm_code}
        )
    if kind not in ARM_KINDS and arm_code:
        bad(_("Rule %(rule)s of this kind does not name an arm.") % {"rule": name})
    if kind == RuleKind.DOSE_PER_KG:
        try:
            dose = Decimal(str(rule.get("dose_per_kg")))
        except InvalidOperation:
            bad(_("Rule %(rule)s needs a dose per kg.") % {"rule": name})
        else:
            arm = arms.get(arm_code)
            if arm is not None and not (
                Decimal(str(arm["dose_per_kg_min"])) <= dose <= Decimal(str(arm["dose_per_kg_max"]))
            ):
                bad(
                    _(
                        "Rule %(rule)s: dose %(dose)s per kg is outside arm %(arm)s's range "
                        "%(min)s–%(max)s."
                    )
                    % {
                        "rule": name,
                        "dose": dose,
                        "arm": arm_code,
                        "min": arm["dose_per_kg_min"],
                        "max": arm["dose_per_kg_max"],
                    }
                )
    elif rule.get("dose_per_kg") not in (None, ""):
        bad(_("Rule %(rule)s of this kind does not set a dose.") % {"rule": name})
    return problems


def _holds(operator: str, seen: Any, value: Any) -> bool:
    if operator == "eq":
        return bool(seen == value)
    if operator == "ne":
        return bool(seen != value)
    if operator == "lt":
        return bool(seen < value)
    if operator == "le":
        return bool(seen <= value)
    if operator == "gt":
        return bool(seen > value)
    if operator == "ge":
        return bool(seen >= value)
    if operator == "in":
        return seen in value
    if operator == "not_in":
        return seen not in value
    if operator == "contains":
        return value in seen
    if operator == "not_contains":
        return value not in seen
    raise ValueError(f"unknown operator {operator}")


# The coded profile values' vocabularies, so a rule reads "синдромальная", not "syndromic".
_VOCABULARIES: dict[str, dict[Any, Any]] = {
    "sex": dict(pc.Sex.choices),
    "genetic_finding": dict(pc.GeneticFinding.choices),
    "syndrome": dict(pc.Syndrome.choices),
    "comorbidities": dict(pc.Comorbidity.choices),
    "epilepsy_control": dict(pc.SeizureControl.choices),
    "consent_scope": dict(pc.ConsentKind.choices),
}


def show(value: Any, field: str = "") -> str:
    """A profile value as people read it (a coded value of ``field`` as its label)."""
    labels = _VOCABULARIES.get(field, {})
    if value is None:
        return _("not recorded")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(sorted(str(labels.get(v, v)) for v in value)) or _("none")
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1)  # decimal comma in ru and uk
    if value == "":
        return _("none")
    return str(labels.get(value, value))


def _condition(rule: dict[str, Any]) -> str:
    spec = FIELDS[rule["field"]]
    value = show(rule["value"], rule["field"])
    return f"{spec.label} {RuleOperator(rule['operator']).label} {value}"


@dataclass
class Outcome:
    """What one rule found (``met``: its condition holds; None: value not recorded)."""

    rule: str
    kind: str
    arm_code: str
    met: bool | None
    fired: bool
    text: str
    detail: str


@dataclass
class ArmResult:
    code: str
    name: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    eligible: bool
    outcomes: list[Outcome]
    arms: list[ArmResult]
    recommended_arm: str | None
    recommended_dose_per_kg: Decimal | None
    recommendation_reason: str
    exclusions: list[str]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.recommended_dose_per_kg is not None:
            data["recommended_dose_per_kg"] = str(self.recommended_dose_per_kg)
        return data

    def fired(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.fired]


def evaluate(
    rules: list[dict[str, Any]], arms: list[dict[str, Any]], profile: dict[str, Any]
) -> Evaluation:
    """Apply ``rules`` (in order) to ``profile`` for the protocol's ``arms``.

    Rules must already be valid (see :func:`rule_problems`).
    """
    arm_names = {a["code"]: a["name"] for a in arms}
    outcomes: list[Outcome] = []
    exclusions: list[str] = []
    arm_reasons: dict[str, list[str]] = {a["code"]: [] for a in arms}
    arm_excluded: set[str] = set()
    preferred: list[tuple[str, str]] = []
    doses: dict[str, tuple[Decimal, str]] = {}
    for rule in rules:
        seen = profile.get(rule["field"])
        met = None if seen is None else _holds(rule["operator"], seen, rule["value"])
        reason = rule["reason"]
        arm = rule.get("arm_code") or ""
        arm_label = arm_names.get(arm, arm)
        detail = _("%(label)s: %(seen)s — rule: %(condition)s") % {
            "label": FIELDS[rule["field"]].label,
            "seen": show(seen, rule["field"]),
            "condition": _condition(rule),
        }
        kind = rule["kind"]
        fired = False
        if kind == RuleKind.REQUIRE:
            fired = met is not True
            if met is True:
                text = _("Meets inclusion criterion: %s") % reason
            elif met is False:
                text = _("Excluded — does not meet inclusion criterion: %s") % reason
            else:
                text = _(
                    "Excluded — inclusion criterion cannot be confirmed (%(field)s not "
                    "recorded): %(reason)s"
                ) % {"field": FIELDS[rule["field"]].label, "reason": reason}
        elif kind == RuleKind.EXCLUDE:
            fired = met is not False
            if met is True:
                text = _("Excluded: %s") % reason
            elif met is False:
                text = _("Exclusion criterion does not apply: %s") % reason
            else:
                text = _(
                    "Excluded — exclusion criterion cannot be ruled out (%(field)s not "
                    "recorded): %(reason)s"
                ) % {"field": FIELDS[rule["field"]].label, "reason": reason}
        elif kind == RuleKind.EXCLUDE_ARM:
            fired = met is not False
            if met is False:
                text = _("Arm %(arm)s remains available: %(reason)s does not apply") % {
                    "arm": arm_label,
                    "reason": reason,
                }
            else:
                text = _("Arm %(arm)s not offered: %(reason)s") % {
                    "arm": arm_label,
                    "reason": reason,
                }
                if met is None:
                    text += (
                        " "
                        + _("(cannot be ruled out: %s not recorded)") % FIELDS[rule["field"]].label
                    )
                arm_excluded.add(arm)
                arm_reasons[arm].append(text)
        elif kind == RuleKind.PREFER_ARM:
            fired = met is True
            if fired:
                text = _("Arm %(arm)s recommended: %(reason)s") % {
                    "arm": arm_label,
                    "reason": reason,
                }
                preferred.append((arm, text))
            else:
                text = _("Preference for arm %(arm)s does not apply: %(reason)s") % {
                    "arm": arm_label,
                    "reason": reason,
                }
        else:  # RuleKind.DOSE_PER_KG
            fired = met is True
            rule_dose = Decimal(str(rule["dose_per_kg"]))
            if fired:
                text = _("Dose for arm %(arm)s set to %(dose)s per kg: %(reason)s") % {
                    "arm": arm_label,
                    "dose": significant(rule_dose),
                    "reason": reason,
                }
                doses.setdefault(arm, (rule_dose, text))
            else:
                text = _("Dose adjustment for arm %(arm)s does not apply: %(reason)s") % {
                    "arm": arm_label,
                    "reason": reason,
                }
        if fired and kind in (RuleKind.REQUIRE, RuleKind.EXCLUDE):
            exclusions.append(text)
        outcomes.append(Outcome(rule["code"], kind, arm, met, fired, text, detail))

    eligible = not exclusions
    results = []
    for arm in arms:
        ok = eligible and arm["code"] not in arm_excluded
        reasons = list(arm_reasons[arm["code"]])
        if not eligible:
            reasons.insert(0, _("The participant is excluded from the protocol."))
        results.append(ArmResult(arm["code"], arm["name"], ok, reasons))
    open_arms = [r.code for r in results if r.eligible]
    recommended: str | None = None
    why = ""
    for arm, text in preferred:
        if arm in open_arms:
            recommended, why = arm, text
            break
    if recommended is None and open_arms:
        recommended = open_arms[0]
        why = _(
            "No personalisation rule selected an arm: %(arm)s is the first eligible arm in "
            "protocol order (in a controlled design the randomisation list decides)."
        ) % {"arm": arm_names[recommended]}
    if not open_arms:
        why = (
            _("No arm can be recommended: the participant is excluded.")
            if not eligible
            else _("No arm can be recommended: every arm is excluded for this participant.")
        )
    dose: Decimal | None = None
    if recommended is not None:
        arm_spec = next(a for a in arms if a["code"] == recommended)
        if recommended in doses:
            dose, dose_text = doses[recommended]
            why = f"{why} {dose_text}"
        else:
            dose = Decimal(str(arm_spec["dose_per_kg_default"]))
    return Evaluation(
        eligible=eligible,
        outcomes=outcomes,
        arms=results,
        recommended_arm=recommended,
        recommended_dose_per_kg=dose,
        recommendation_reason=why.strip(),
        exclusions=exclusions,
    )
