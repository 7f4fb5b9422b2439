"""What every app's API router shares: error schemas, bounded pagination, the staff-view check.

Kept in core, below the domain apps, so their ``api.py`` modules need nothing from the ``api``
app, which sits at the top and only assembles their routers (docs/architecture.md).
"""
