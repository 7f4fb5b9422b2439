"""Checks registered in ready() (filled below)."""
