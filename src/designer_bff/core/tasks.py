"""Stopping background tasks for certain.

On Python 3.11 a cancellation can be lost: ``asyncio.wait_for`` (used inside redis-py,
among others) returns a result that was ready as the cancel arrived and drops the
cancellation (CPython gh-86296, fixed in 3.12). A loop that lost its cancel goes on,
and whoever awaits it waits for ever. Asking again reaches the task's next await.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def cancel_and_wait(
    task: asyncio.Task[Any], *, every_s: float = 0.5, within_s: float = 10.0
) -> bool:
    """Cancel `task` and wait for it to end, cancelling it again every `every_s` while it
    runs. True once it has ended; False if it still runs after `within_s` (logged, and
    left behind rather than holding up the caller). An error it ended with is logged."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.warning("task_did_not_stop", task=task.get_name(), waited_s=within_s)
            return False
        task.cancel()
        await asyncio.wait({task}, timeout=min(every_s, remaining))
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("task_failed", task=task.get_name(), error=repr(error))
    return True
