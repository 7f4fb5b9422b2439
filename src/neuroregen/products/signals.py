"""Signals the products app sends to the apps above it, so that products never imports them.

The safety app connects its receivers in ``SafetyConfig.ready()``. Each signal is sent with
``Signal.send`` from inside the sending service's transaction: the receivers run at once, in
the order they were connected, and an exception from a receiver propagates to the caller and
rolls the whole write back — exactly as when the services called the safety app directly.
With no receiver connected, nothing happens.
"""

from __future__ import annotations

from django.dispatch import Signal

#: An administration with an immediate reaction was saved. Arguments: ``user``,
#: ``administration``.
administration_reaction_recorded = Signal()

#: An anti-HLA screen found donor-specific antibodies absent before the first administration.
#: Arguments: ``user``, ``screen``, ``new_specificities`` (a set of antigens).
new_donor_specific_antibody = Signal()
