"""What the protocols app announces for the visits app above it to act on.

Protocols sit below visits (docs/architecture.md), so they may not import visits, yet a
protocol's schedule becomes visit definitions and an assignment or amendment (re)schedules
visits. The visits app connects its receivers in ``VisitsConfig.ready()``. Receivers run in
the sender's transaction and are called with ``send`` (not ``send_robust``): a failure in one
rolls the protocol write back, as a direct call did.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A draft's schedule is replaced: ``protocol``, ``schedule`` (validated visit dicts), ``user``,
#: ``reason``. The receiver deletes the old visit definitions and writes the new ones.
schedule_replaced = Signal()

#: An assignment is confirmed with a planned day 0: ``assignment``, ``user``, ``reason``.
assignment_confirmed = Signal()

#: An amended version is in force for an assignment: ``assignment``, ``protocol`` (the new
#: version), ``effective_on``, ``user``, ``reason``. Only visits whose window opens later move.
amendment_in_force = Signal()
