"""A plain text progress bar for the command line (no terminal library needed)."""

from __future__ import annotations

from typing import Any, Protocol


class Stream(Protocol):
    """Where the bar is written: a text file or a command's ``stdout``/``stderr`` wrapper."""

    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


class ProgressBar:
    def __init__(self, stream: Stream, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self._last:
            return
        self._last = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% ({done}/{total}){end}")
        self.stream.flush()
