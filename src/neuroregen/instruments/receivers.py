"""The instruments app's answers to signals of apps below it (connected in ``ready()``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from neuroregen.biomarkers.signals import measurements_recorded
from neuroregen.instruments.services import quality_check_measurement


@receiver(measurements_recorded, dispatch_uid="instruments.measurements_recorded")
def check_recorded_measurements(*, measurements: list[Any], user: Any, **_: Any) -> None:
    for measurement in measurements:
        quality_check_measurement(measurement=measurement, user=user)
