"""DSMB tables and stopping rules against numbers computed by hand.

Reference values
----------------
* Clopper–Pearson limits for x of 4 are those of R's ``binom.test`` (exact):
  1/4 → 0.006309, 0.805880; 2/4 → 0.067586, 0.932414; 3/4 → 0.194120, 0.993690.
* Exact Poisson limits for 4 events (Garwood; tabulated by Ulm 1990): 1.0899, 10.2416.
* Stopping rule: 1 of 4 exposed with a related grade ≥ 3 event, uniform prior, unacceptable
  rate 20 %, cut-off 80 %: posterior Beta(2, 4), P(p > 0.2) = P(Bin(5, 0.2) ≤ 1)
  = 0.8⁵ + 5 · 0.2 · 0.8⁴ = 0.32768 + 0.4096 = 0.73728 → not triggered.
"""

from __future__ import annotations

import datetime as dt

import pytest

from neuroregen.core.roles import Role
from neuroregen.protocols import timeline
from neuroregen.safety import selectors
from neuroregen.safety import services as s
from tests.helpers import make_user, site_a_today
from tests.safety.builders import active_protocol, record, with_day_zero

pytestmark = pytest.mark.django_db

DAYS_AGO = (40, 30, 20, 10)


def _ago(days: int) -> dt.date:
    return site_a_today() - dt.timedelta(days=days)


@pytest.fixture
def trial(site_a, site_b, coordinator_a, coordinator_b):
    p1, p2, p3, p4 = (with_day_zero(coordinator_a, site_a, day_zero_days_ago=d) for d in DAYS_AGO)
    sae = record(
        coordinator_a,
        p1,
        term="Aseptic meningitis",
        soc="nervous",
        grade=3,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="possible",
        relatedness_procedure="probable",
        onset_date=_ago(35),
    )
    record(
        coordinator_a,
        p1,
        term="Rash",
        soc="skin",
        grade=1,
        relatedness_product="unlikely",
        relatedness_procedure="not_related",
        onset_date=_ago(20),
    )
    record(
        coordinator_a,
        p2,
        term="Vomiting",
        soc="gastro",
        grade=2,
        relatedness_product="not_related",
        relatedness_procedure="unlikely",
        onset_date=_ago(15),
    )  # 15 days after an intrathecal dose: not post-procedural
    record(
        coordinator_a,
        p4,
        term="Fever",
        soc="general",
        grade=1,
        relatedness_product="unlikely",
        relatedness_procedure="possible",
        onset_date=_ago(5),
    )
    record(
        coordinator_a,
        p3,
        term="Cough",
        soc="respiratory",
        grade=1,
        relatedness_product="not_related",
        relatedness_procedure="not_related",
        onset_date=_ago(25),
    )  # before p3's day 0: not treatment-emergent
    other = with_day_zero(coordinator_b, site_b, day_zero_days_ago=15)
    record(
        coordinator_b,
        other,
        term="Seizure",
        soc="nervous",
        grade=4,
        serious=True,
        serious_life_threatening=True,
        relatedness_product="probable",
        onset_date=_ago(3),
    )
    return {"sae": sae, "participants": (p1, p2, p3, p4)}


def _by_code(table):
    return dict(table.proportions)


def test_dsmb_numbers_match_hand_computation(trial, coordinator_a):
    report = selectors.dsmb_report(user=coordinator_a, grouping="arm")
    assert [g.label for g in report.groups] == ["SAF-TEST v1.0 · neuro-it"]
    group = report.groups[0]
    assert group.n == 4  # site B's participant is out of sight
    assert group.n_events == 4  # the pre-dose cough is not treatment-emergent
    assert report.pre_dose_events == 1
    rows = _by_code(group)
    expected = {
        "any": (3, 0.194120, 0.993690),
        "g3": (1, 0.006309, 0.805880),
        "serious": (1, 0.006309, 0.805880),
        "related": (2, 0.067586, 0.932414),  # p1 (product), p4 (procedure)
        "aesi": (1, 0.006309, 0.805880),  # fever
        "death": (0, 0.0, 0.602364),
    }
    for code, (x, low, high) in expected.items():
        est = rows[code]
        assert est.details["events"] == x, code
        assert est.estimate == pytest.approx(x / 4), code
        assert est.ci_low == pytest.approx(low, abs=1e-6), code
        assert est.ci_high == pytest.approx(high, abs=1e-6), code
    worst = {grade: est.details["events"] for grade, est in group.by_max_grade}
    assert worst == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
    today = timeline.today_at("Europe/Kyiv")
    days = sum((today - _ago(d)).days + 1 for d in DAYS_AGO)
    years = days / 365.25
    assert group.exposure_years == pytest.approx(years)
    rate = dict(group.rates)["adverse events"]
    assert rate.estimate == pytest.approx(4 / years * 100)
    assert rate.ci_low == pytest.approx(1.0899 / years * 100, rel=1e-4)
    assert rate.ci_high == pytest.approx(10.2416 / years * 100, rel=1e-4)
    assert dict(group.rates)["serious adverse events"].details["events"] == 1
    for grouping, label in (
        ("route", "it"),
        ("product", "ipsc_neurons"),
        ("dose_band", "1e6–<1e7 cells_per_kg"),
    ):
        report = selectors.dsmb_report(user=coordinator_a, grouping=grouping)
        assert [g.label for g in report.groups] == [label]
        assert report.groups[0].n == 4


def test_soc_term_table_sae_listing_and_stopping_rules(trial, coordinator_a, monitor):
    report = selectors.dsmb_report(user=coordinator_a, grouping="overall")
    rows = {(r["soc"], r["term"]): r["columns"][0] for r in report.soc_rows}
    meningitis = rows[("Nervous system disorders", "Aseptic meningitis")]
    assert meningitis["grades"] == [0, 0, 1, 0, 0]
    assert meningitis["participants"] == 1
    assert meningitis["percent"] == pytest.approx(25.0)
    assert ("Respiratory, thoracic and mediastinal disorders", "Cough") not in rows
    assert [e.code for e in report.sae_listing] == [trial["sae"].code]
    everything = selectors.dsmb_report(user=monitor, grouping="overall")
    assert everything.groups[0].n == 5
    assert len(everything.sae_listing) == 2
    _stopping_rules_worked_example(coordinator_a)


def _stopping_rules_worked_example(coordinator_a):
    admin = make_user(Role.ADMINISTRATOR, None)
    protocol = active_protocol()
    s.stopping_rule_create(
        user=admin,
        protocol=protocol,
        code="related-g3",
        name="Related grade ≥ 3 (Bayesian)",
        kind="beta_binomial",
        qualifying_event="related_g3",
        threshold_rate="0.2",
        posterior_cutoff="0.8",
    )
    s.stopping_rule_create(
        user=admin,
        protocol=protocol,
        code="any-sae",
        name="First related SAE pauses dosing",
        kind="fixed_count",
        qualifying_event="related_serious",
        max_events=1,
    )
    states = {st.rule.code: st for st in selectors.stopping_rule_states(user=coordinator_a)}
    bayes = states["related-g3"]
    assert (bayes.events, bayes.n) == (1, 4)
    assert bayes.result.statistic == pytest.approx(0.73728, abs=1e-10)
    assert not bayes.result.triggered
    count = states["any-sae"]
    assert count.result.triggered
    assert count.result.details["events_remaining"] == 0


def test_stopping_rule_input_is_checked(coordinator_a):
    admin = make_user(Role.ADMINISTRATOR, None)
    protocol = active_protocol()
    from neuroregen.core.errors import NotPermitted, ValidationFailed

    with pytest.raises(NotPermitted):
        s.stopping_rule_create(
            user=coordinator_a,
            protocol=protocol,
            code="x",
            name="x",
            kind="fixed_count",
            qualifying_event="serious",
            max_events=1,
        )
    with pytest.raises(ValidationFailed, match="unacceptable rate"):
        s.stopping_rule_create(
            user=admin,
            protocol=protocol,
            code="x",
            name="x",
            kind="beta_binomial",
            qualifying_event="serious",
        )
    with pytest.raises(ValidationFailed, match="strictly between 0 and 1"):
        s.stopping_rule_create(
            user=admin,
            protocol=protocol,
            code="x",
            name="x",
            kind="beta_binomial",
            qualifying_event="serious",
            threshold_rate="1.5",
            posterior_cutoff="0.8",
        )
    with pytest.raises(ValidationFailed, match="no arm"):
        s.stopping_rule_create(
            user=admin,
            protocol=protocol,
            code="x",
            name="x",
            kind="fixed_count",
            qualifying_event="serious",
            max_events=1,
            arm_code="nope",
        )
    assert not protocol.stopping_rules.exists()
