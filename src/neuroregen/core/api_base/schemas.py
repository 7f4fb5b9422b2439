"""Schemas shared by every router."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] | None = None


# Error statuses every authenticated endpoint can return; declared so the schema tells the truth.
# Reads can fail validation too (malformed query parameters), hence 422 on both.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 409: ErrorOut}
