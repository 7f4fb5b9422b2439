"""Writes of the safety app. Each function is one transaction and leaves an audit record.

Capabilities: recording and updating adverse events, follow-ups and report submissions need
``report_safety`` at the participant's site; the investigator's sign-off and closing a review
task need ``sign_clinical``; signal and stopping rules need ``configure_safety``.

Safety reporting continues after a consent withdrawal: reporting adverse events is a
regulatory duty, so these services do not apply the data-entry block of withdrawals.

This module is the safety app's public write path: other apps, views and tests import the
services from here. Each concern lives in its own module: ``adverse_events`` (recording,
updates, sign-off), ``reporting`` (SAE reporting clocks and submissions), ``biomarker_signals``
(signal rules and their reviews) and ``stopping_rules``.
"""

from __future__ import annotations

from neuroregen.safety.adverse_events import (
    CHOICE_FIELDS,
    EDITABLE_FIELDS,
    REQUIRED_FIELDS,
    SIGN_OFF_MEANING,
    adverse_event_follow_up,
    adverse_event_open_from_administration,
    adverse_event_record,
    adverse_event_sign_off,
    adverse_event_update,
    onset_context,
    sign_off_current,
)
from neuroregen.safety.biomarker_signals import (
    biomarker_signal_evaluate,
    biomarker_signal_sweep,
    biomarker_signals_for_measurement,
    days_since_last_administration,
    review_task_close,
    signal_rule_create,
)
from neuroregen.safety.reporting import (
    clock_submit,
    clocks_sync,
)
from neuroregen.safety.stopping_rules import (
    stopping_rule_create,
)

__all__ = [
    "CHOICE_FIELDS",
    "EDITABLE_FIELDS",
    "REQUIRED_FIELDS",
    "SIGN_OFF_MEANING",
    "adverse_event_follow_up",
    "adverse_event_open_from_administration",
    "adverse_event_record",
    "adverse_event_sign_off",
    "adverse_event_update",
    "biomarker_signal_evaluate",
    "biomarker_signal_sweep",
    "biomarker_signals_for_measurement",
    "clock_submit",
    "clocks_sync",
    "days_since_last_administration",
    "onset_context",
    "review_task_close",
    "sign_off_current",
    "signal_rule_create",
    "stopping_rule_create",
]
