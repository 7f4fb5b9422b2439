"""Limit/offset pagination with bounds the databases can hold.

Ninja's own class leaves ``offset`` and ``limit`` unbounded; a value past 64 bits reaches the
database and fails there (a 500) instead of being refused with a 422.
"""

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 10**9


class BoundedPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(min(settings.PAGINATION_PER_PAGE, MAX_LIMIT), ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
