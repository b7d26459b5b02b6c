"""core.tasks.cancel_and_wait: a task that loses a cancellation (as Python 3.11's
asyncio.wait_for can make it) is still stopped, and a caller never waits for ever."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from designer_bff.core.tasks import cancel_and_wait


async def _loses_first_cancel(ticks: list[int]) -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        pass  # lost, as wait_for does when its inner future has just finished
    while True:  # a sweeper's loop: goes on until a cancel reaches one of its awaits
        ticks.append(1)
        await asyncio.sleep(0.01)


async def test_a_task_that_lost_its_cancel_is_stopped() -> None:
    ticks: list[int] = []
    task = asyncio.create_task(_loses_first_cancel(ticks))
    await asyncio.sleep(0.01)
    assert await cancel_and_wait(task, every_s=0.05, within_s=2)
    assert task.cancelled()
    assert ticks, "the first cancel was lost and the loop ran"


async def test_a_plain_cancel_ends_at_once() -> None:
    task = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await cancel_and_wait(task, every_s=5, within_s=10)
    assert task.cancelled()
    assert loop.time() - started < 1  # not one `every_s` round: the first cancel did it


async def test_a_task_that_never_stops_is_left_behind() -> None:
    stop = asyncio.Event()

    async def stubborn() -> None:
        while not stop.is_set():
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    with capture_logs() as logs:
        assert not await cancel_and_wait(task, every_s=0.02, within_s=0.2)
    assert not task.done()
    assert [e["event"] for e in logs] == ["task_did_not_stop"]
    stop.set()
    await asyncio.wait_for(task, 3)


async def test_an_error_it_ended_with_is_logged() -> None:
    async def fails() -> None:
        raise RuntimeError("database away")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with capture_logs() as logs:
        assert await cancel_and_wait(task)
    assert logs[0]["event"] == "task_failed"
    assert "database away" in logs[0]["error"]


async def test_the_callers_own_cancel_is_not_swallowed() -> None:
    task = asyncio.create_task(_loses_first_cancel([]))
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(cancel_and_wait(task, every_s=1, within_s=5))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    task.cancel()
    await asyncio.wait({task}, timeout=2)
