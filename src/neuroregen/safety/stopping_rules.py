"""Declaring a protocol's safety stopping rules (their states are read by ``safety.dsmb``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.safety import choices as c
from neuroregen.safety.models import StoppingRule
from neuroregen.safety.write_helpers import to_decimal


@transaction.atomic
def stopping_rule_create(
    *,
    user: User,
    protocol: Any,
    code: str,
    name: str,
    kind: str,
    qualifying_event: str,
    arm_code: str = "",
    threshold_rate: Decimal | str | None = None,
    posterior_cutoff: Decimal | str | None = None,
    prior_a: Decimal | str = "1",
    prior_b: Decimal | str = "1",
    max_events: int | None = None,
) -> StoppingRule:
    """Declare a safety stopping rule for a protocol (optionally one arm)."""
    require(user, Capability.CONFIGURE_SAFETY)
    if kind not in c.StoppingRuleKind.values:
        raise ValidationFailed(_("Unknown kind of rule."), field="kind")
    if qualifying_event not in c.QualifyingEvent.values:
        raise ValidationFailed(_("Say which events the rule counts."), field="qualifying_event")
    if arm_code and not protocol.arms.filter(code=arm_code).exists():
        raise ValidationFailed(
            _("The protocol has no arm %(arm)s.") % {"arm": arm_code}, field="arm_code"
        )
    rule = StoppingRule(
        protocol=protocol,
        code=code,
        name=name,
        kind=kind,
        qualifying_event=qualifying_event,
        arm_code=arm_code,
        prior_a=to_decimal(prior_a, "prior_a"),
        prior_b=to_decimal(prior_b, "prior_b"),
        max_events=max_events,
    )
    if kind == c.StoppingRuleKind.BETA_BINOMIAL:
        if threshold_rate is None or posterior_cutoff is None:
            raise ValidationFailed(
                _("A beta-binomial rule needs an unacceptable rate and a probability cut-off."),
                field="threshold_rate",
            )
        rule.threshold_rate = to_decimal(threshold_rate, "threshold_rate")
        rule.posterior_cutoff = to_decimal(posterior_cutoff, "posterior_cutoff")
        for field in ("threshold_rate", "posterior_cutoff"):
            if not Decimal(0) < getattr(rule, field) < Decimal(1):
                raise ValidationFailed(_("Enter a value strictly between 0 and 1."), field=field)
        if rule.prior_a <= 0 or rule.prior_b <= 0:
            raise ValidationFailed(_("Prior parameters must be positive."), field="prior_a")
    elif not max_events or max_events < 1:
        raise ValidationFailed(
            _("A fixed-count rule needs the number of events that stops."), field="max_events"
        )
    if StoppingRule.objects.filter(protocol=protocol, code=code).exists():
        raise ValidationFailed(_("The protocol already has a rule with this code."), field="code")
    rule.full_clean()
    stamp(rule, user=user, reason="rule declared")
    rule.save()
    return rule
