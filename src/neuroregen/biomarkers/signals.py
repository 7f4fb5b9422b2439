"""What the biomarkers app announces for apps above it to act on, so that it never imports them.

Biomarkers sit below instruments and safety (docs/architecture.md). Instruments opens the
data-quality queries a stored value may need (receiver connected in ``InstrumentsConfig.ready()``);
safety evaluates its biomarker signal rules (``SafetyConfig.ready()``). Both signals are sent with
``Signal.send`` from inside the recording service's transaction: receivers run at once, in the
order they were connected, and an exception from a receiver propagates to the caller and rolls
the write back, as the direct calls they replace did. With no receiver, nothing happens.
"""

from __future__ import annotations

from django.dispatch import Signal

#: New values are stored: ``measurements`` (list of Measurement), ``user``.
measurements_recorded = Signal()

#: A measurement was stored (entered or imported). Arguments: ``user``, ``measurement``.
measurement_stored = Signal()
