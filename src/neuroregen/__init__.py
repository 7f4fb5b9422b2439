"""NeuroRegen: runs a cell-therapy programme for autistic children and measures it honestly."""

__version__ = "0.1.0"
