"""What the biomarkers app announces for apps above it to act on.

Biomarkers sit below instruments (docs/architecture.md): the data-quality queries a stored
value may open belong to instruments, which connects its receiver in
``InstrumentsConfig.ready()``. Sent inside the recording transaction with ``send``: a failing
receiver rolls the values back, as the direct call it replaces did.
"""

from __future__ import annotations

from django.dispatch import Signal

#: New values are stored: ``measurements`` (list of Measurement), ``user``.
measurements_recorded = Signal()
