"""Labelled synthetic cohorts for the demo, the tests and the benchmarks.

Everything made here lives at sites flagged ``is_synthetic``; every page and export that shows it
says so. Names are drawn from small fixed lists and are obviously invented.
"""
