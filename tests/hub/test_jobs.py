"""Background jobs: one that fails is logged at once, counted as stopped and stops the hub (to be restarted);
it does not break the hub's stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.jobs import Jobs


async def _fails() -> None:
    raise RuntimeError("lost its dependency")


async def _runs(started: asyncio.Semaphore) -> None:
    started.release()
    while True:
        await asyncio.sleep(1)


async def _all_started(started: asyncio.Semaphore, count: int) -> None:
    for _ in range(count):
        await asyncio.wait_for(started.acquire(), 5)


async def test_a_failed_job_is_logged_and_counted_and_stop_still_ends_every_job(
        caplog: pytest.LogCaptureFixture) -> None:
    jobs, started = Jobs(), asyncio.Semaphore(0)
    jobs.start([("feeds", _fails()), ("delivery", _runs(started)), ("delivery", _runs(started))])
    await _all_started(started, 2)
    await asyncio.wait_for(jobs.ended.wait(), 5)
    assert jobs.running() == {"feeds": (0, 1), "delivery": (2, 2)}
    assert jobs.ended.is_set() and jobs.ended_name == "feeds"  # the hub stops on this, to be restarted
    assert any(r.levelno == logging.ERROR and "background job feeds ended" in r.getMessage() for r in caplog.records)
    await jobs.stop()  # the failure was reported above; stopping neither raises it again nor leaves a job running
    assert jobs.running() == {"feeds": (0, 1), "delivery": (0, 2)}


async def test_cancelled_jobs_are_not_an_end_that_stops_the_hub() -> None:
    jobs, started = Jobs(), asyncio.Semaphore(0)
    jobs.start([("delivery", _runs(started)), ("feeds", _runs(started))])
    await _all_started(started, 2)  # running, so stop() cancels them at work
    await jobs.stop()
    assert not jobs.ended.is_set() and jobs.ended_name is None
