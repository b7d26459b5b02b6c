"""How a backup reports progress: the CLI draws bars, the scheduler stays quiet."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, task: str, total: int | None = None) -> None:
        """Begin a named step; `total` None while it is not known yet."""

    def set_total(self, task: str, total: int) -> None: ...

    def advance(self, task: str, amount: int = 1) -> None: ...

    def finish(self, task: str) -> None: ...

    def note(self, message: str) -> None:
        """Something the operator should read (an object that vanished meanwhile)."""


class NoProgress:
    """Reports nothing (scheduled backups log their result instead)."""

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def set_total(self, task: str, total: int) -> None:
        pass

    def advance(self, task: str, amount: int = 1) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


__all__ = ["NoProgress", "Progress"]
