from __future__ import annotations

from abc import ABC, abstractmethod


class FailureCounter(ABC):
    """Counts failures per key within a window that starts at the first failure."""

    def __init__(self, *, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s

    @abstractmethod
    async def retry_after(self, key: str) -> int | None:
        """Seconds until the key may try again, or None when it is not blocked."""

    @abstractmethod
    async def record_failure(self, key: str) -> int:
        """Count one failure; returns the failures now in the window."""

    @abstractmethod
    async def reset(self, key: str) -> None:
        """Forget the key's failures (after a success)."""
