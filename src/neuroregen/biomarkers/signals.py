"""Signals the biomarkers app sends to the apps above it, so that biomarkers never imports them.

The safety app connects its receiver in ``SafetyConfig.ready()``. The signal is sent with
``Signal.send`` from inside the recording service's transaction: the receivers run at once, in
the order they were connected, and an exception from a receiver propagates to the caller and
rolls the write back (an import that fails opens no review). With no receiver, nothing happens.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A measurement was stored (entered or imported). Arguments: ``user``, ``measurement``.
measurement_stored = Signal()
