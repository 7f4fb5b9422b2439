"""neuroregen.stats — pure statistics for NeuroRegen. Imports no Django.

Functions take numpy arrays or pandas frames and return frozen result objects
(:class:`~neuroregen.stats.results.Estimate` and friends) that carry estimate, interval,
confidence level, n, method, comparator and caveats.
"""

from neuroregen.stats.results import Direction, Estimate

__all__ = ["Direction", "Estimate"]
