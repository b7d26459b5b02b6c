"""Unique-key races: two requests creating the same row at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

ATTEMPTS = 3


async def retry_on_conflict(db: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` again when a concurrent request won a unique-key race: the second try
    reads the row the other request created."""
    for attempt in range(ATTEMPTS):
        try:
            return await work()
        except IntegrityError:
            await db.rollback()
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
