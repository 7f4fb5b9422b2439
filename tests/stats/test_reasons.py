"""Why an analysis could not be estimated: every reason a real dataset can trigger is a
translatable Text whose English is unchanged, so the evidence page says it in ru and uk."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from neuroregen.core.stats_text import localise
from neuroregen.stats import _intercept
from neuroregen.stats._intercept import fit_random_intercept
from neuroregen.stats.between_means import welch_difference
from neuroregen.stats.censored import geometric_mean_lloq
from neuroregen.stats.claims import CLAIM_LARGER_IN_YOUNGER, evaluate_claim
from neuroregen.stats.claims_controlled import evaluate_claim_controlled
from neuroregen.stats.durability import durability, log_rank
from neuroregen.stats.meta_effects import hedges_g
from neuroregen.stats.meta_pool import pool
from neuroregen.stats.mixed import phase_mixed_model
from neuroregen.stats.proportions import ResponderDefinition, responder_rate
from neuroregen.stats.reliable_change import reliable_change
from neuroregen.stats.results import Direction
from neuroregen.stats.safety_rules import proportion_exact
from neuroregen.stats.subgroups import overall_estimate, subgroup_analysis
from neuroregen.stats.text import Text, exception_reason, text

STATS = Path(_intercept.__file__).parent
CGI = ResponderDefinition.cgi_i()
WORSE = Direction.HIGHER_IS_WORSE


def _phases(rows: list[tuple[str, str, float]], **kwargs: Any) -> Any:
    frame = pd.DataFrame(rows, columns=["participant", "phase", "score"])
    return phase_mixed_model(frame, phases=("baseline", "late"), random_slope=False, **kwargs)


def _two_children(**extra: list[float]) -> Any:
    frame = pd.DataFrame(
        {
            "participant": ["a", "a", "b", "b", "c", "c"],
            "phase": ["baseline", "late"] * 3,
            "score": [10.0, 8.0, 12.0, 9.0, 11.0, 11.0],
            **extra,
        }
    )
    return phase_mixed_model(
        frame,
        phases=("baseline", "late"),
        random_slope=False,
        covariates=tuple(extra),
    )


def _age_claim_controlled() -> Any:
    return evaluate_claim_controlled(
        CLAIM_LARGER_IN_YOUNGER,
        CGI,
        treated={"cgi_i": np.array([1.0, 2.0])},
        control={"cgi_i": np.array([3.0, 4.0])},
        control_arm="vehicle-in",
        synthetic=True,
        caregiver_rated=False,
    )


def _exact_fit() -> Any:
    # every child scores the same at every visit: nothing is left to be residual variance
    y = np.full(6, 4.0)
    return fit_random_intercept(y, np.ones((6, 1)), np.array(["a", "a", "b", "b", "c", "c"]))


#: (what triggers it, the English reason exactly as it always read)
REASONS: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: welch_difference([1.0], [1.0, 2.0, 3.0], direction=WORSE),
        "need at least 2 observations per group, got 1 and 3",
    ),
    (
        lambda: fit_random_intercept(np.array([1.0]), np.ones((1, 1)), np.array(["a"])),
        "too few observations to fit the model (1 observations, 1 participants, 1 fixed effects)",
    ),
    (_exact_fit, "the model fits the data exactly (no residual variance to estimate)"),
    (
        lambda: geometric_mean_lloq([1.0, 2.0], [True, False], [math.nan, 1.0]),
        "a value below LLOQ needs its LLOQ",
    ),
    (
        lambda: geometric_mean_lloq([0.0, 2.0, 3.0], [False] * 3, [0.5] * 3),
        "geometric summaries need positive values",
    ),
    (
        lambda: evaluate_claim(
            CLAIM_LARGER_IN_YOUNGER, CGI, cgi_i=[1.0, 4.0], synthetic=True, caregiver_rated=False
        ),
        "the age claim needs ages",
    ),
    (_age_claim_controlled, "the age claim needs ages in both arms"),
    (lambda: durability([], [], response_definition="CGI-I ≤ 2"), "no participants"),
    (lambda: log_rank([1.0, 2.0], [1, 0], ["a", "a"]), "log-rank needs at least two groups"),
    (lambda: pool([], se=[]), "need at least one study"),
    (lambda: hedges_g(1.0, 1.0, 1, 0.0, 1.0, 5), "each group needs at least 2 participants"),
    (lambda: hedges_g(1.0, 0.0, 5, 0.0, 1.0, 5), "standard deviations must be positive"),
    (
        lambda: _phases([("a", "late", 1.0), ("b", "late", 2.0)]),
        "no observations in the reference phase 'baseline'",
    ),
    (
        lambda: _phases([("a", "baseline", 1.0), ("b", "baseline", 2.0)]),
        "no observations in phase(s) ['late']",
    ),
    (
        lambda: _phases([("a", "baseline", 1.0), ("a", "late", 2.0)]),
        "need at least two participants",
    ),
    (
        lambda: _two_children(constant=[1.0] * 6),
        "fixed-effect design is rank deficient (collinear covariates?)",
    ),
    (
        lambda: reliable_change([5.0, 5.0, 5.0], [4.0, 3.0, 5.0], reliability=0.9, direction=WORSE),
        "SD must be positive, got 0.0",
    ),
    (
        lambda: responder_rate(CGI, cgi_i=[math.nan, math.nan]),
        "no participant could be classified",
    ),
    (
        lambda: proportion_exact(0, 0),
        "a proportion needs at least one participant in the denominator",
    ),
    (
        lambda: overall_estimate(np.array([1.0, math.nan]), quantity="mean change"),
        "need at least two participants with outcome and subgroup",
    ),
    (
        lambda: subgroup_analysis(
            pd.DataFrame({"change": [1.0, 2.0], "sex": ["F", None]}),
            outcome="change",
            subgroup="sex",
        ),
        "need at least two participants with outcome and subgroup",
    ),
]


@pytest.mark.parametrize(("trigger", "english"), REASONS, ids=[e for _t, e in REASONS])
def test_data_dependent_reason_is_a_translated_text_with_unchanged_english(
    trigger: Callable[[], Any], english: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(english)) as caught:
        trigger()
    reason = caught.value.args[0]
    assert isinstance(reason, Text)
    assert reason == english
    for language in ("ru", "uk"):
        said = localise(reason, language)
        assert said != english, language
        assert "{" not in said, language


def _raised_templates() -> list[tuple[str, str]]:
    """Every ``raise …(text("template", …))`` in the stats package, as (module, template)."""
    found = []
    for path in sorted(STATS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            for arg in node.exc.args[:1]:
                if (
                    isinstance(arg, ast.Call)
                    and isinstance(arg.func, ast.Name)
                    and arg.func.id == "text"
                    and isinstance(arg.args[0], ast.Constant)
                    and isinstance(arg.args[0].value, str)
                ):
                    found.append((path.name, arg.args[0].value))
    return found


def test_every_raised_reason_has_a_russian_and_ukrainian_translation() -> None:
    raised = _raised_templates()
    # the scan itself must see the reasons (a refactor that hides them would pass vacuously)
    assert ("mixed.py", "need at least two participants") in raised
    untranslated = []
    for module, template in raised:
        for language in ("ru", "uk"):
            with translation.override(language):
                if translation.gettext(template) == template:
                    untranslated.append((module, language, template))
    assert untranslated == []


def test_a_nested_fitting_failure_keeps_its_own_translatable_reason() -> None:
    inner = text("need at least two participants")
    outer = text(
        "the random-intercept model could not be fitted: {error}",
        error=exception_reason(ValueError(inner)),
    )
    assert outer == "the random-intercept model could not be fitted: need at least two participants"
    assert localise(outer, "ru") == (
        "не удалось подобрать модель со случайным свободным членом: нужно не менее двух участников"
    )
    # a library's own English message stays as it is, inside the translated sentence
    assert exception_reason(np.linalg.LinAlgError("Singular matrix")) == "Singular matrix"
    assert not isinstance(exception_reason(np.linalg.LinAlgError("Singular matrix")), Text)
