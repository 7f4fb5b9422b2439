"""Printable labels: the chain-of-identity code as text and as a QR code (segno, offline).

The QR code holds only the code itself — no name, no birth date — so a keyboard-wedge scanner
at the bedside types exactly what the system looks up. Autologous labels also carry the
participant's study code (pseudonymous) and "for autologous use only".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import segno


def qr_svg(code: str, *, scale: int = 4) -> str:
    """An inline SVG QR code encoding ``code`` (error correction M, survives a smudged label)."""
    return segno.make_qr(code, error="m").svg_inline(scale=scale, border=2)


def decode_payload(payload: str) -> str:
    """What a scanner reads back from our QR label: the code itself, normalised."""
    return payload.strip().upper()


@dataclass(frozen=True)
class Label:
    code: str
    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    warning: str = ""

    @property
    def svg(self) -> str:
        return qr_svg(self.code)
