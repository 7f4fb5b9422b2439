"""The safety app's answers to what the products and biomarkers apps report.

Those apps sit below safety and may not import it; they send signals (``products.signals``,
``biomarkers.signals``) and :func:`connect`, called from ``SafetyConfig.ready()``, hooks these
receivers to them. Each receiver looks its service up when it runs, so the service stays the
one place the work is done.
"""

from __future__ import annotations

from typing import Any

from neuroregen.biomarkers import signals as biomarker_signals
from neuroregen.products import signals as product_signals
from neuroregen.safety import donor_antibody_review, services


def adverse_event_for_reaction(
    sender: Any, *, user: Any, administration: Any, **kwargs: Any
) -> None:
    services.adverse_event_open_from_administration(user=user, administration=administration)


def review_for_new_dsa(
    sender: Any, *, user: Any, screen: Any, new_specificities: set[str], **kwargs: Any
) -> None:
    donor_antibody_review.review_open_for_new_dsa(
        user=user, screen=screen, new_specificities=new_specificities
    )


def signals_for_measurement(sender: Any, *, user: Any, measurement: Any, **kwargs: Any) -> None:
    services.biomarker_signals_for_measurement(user=user, measurement=measurement)


def connect() -> None:
    product_signals.administration_reaction_recorded.connect(
        adverse_event_for_reaction, dispatch_uid="safety-adverse-event-for-reaction"
    )
    product_signals.new_donor_specific_antibody.connect(
        review_for_new_dsa, dispatch_uid="safety-review-for-new-dsa"
    )
    biomarker_signals.measurement_stored.connect(
        signals_for_measurement, dispatch_uid="safety-signals-for-measurement"
    )
