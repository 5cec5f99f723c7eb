"""Background jobs: one that fails is logged at once, counted as stopped and stops the hub (to be restarted);
it does not break the hub's stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.jobs import Jobs


async def _fails() -> None:
    raise RuntimeError("lost its dependency")


async def _runs() -> None:
    while True:
        await asyncio.sleep(1)


async def test_a_failed_job_is_logged_and_counted_and_stop_still_ends_every_job(
        caplog: pytest.LogCaptureFixture) -> None:
    jobs = Jobs()
    jobs.start([("feeds", _fails()), ("delivery", _runs()), ("delivery", _runs())])
    await asyncio.sleep(0.01)
    assert jobs.running() == {"feeds": (0, 1), "delivery": (2, 2)}
    assert jobs.ended.is_set() and jobs.ended_name == "feeds"  # the hub stops on this, to be restarted
    assert any(r.levelno == logging.ERROR and "background job feeds ended" in r.getMessage() for r in caplog.records)
    await jobs.stop()  # the failure was reported above; stopping neither raises it again nor leaves a job running
    assert jobs.running() == {"feeds": (0, 1), "delivery": (0, 2)}


async def test_cancelled_jobs_are_not_an_end_that_stops_the_hub() -> None:
    jobs = Jobs()
    jobs.start([("delivery", _runs()), ("feeds", _runs())])
    await asyncio.sleep(0.01)
    await jobs.stop()
    assert not jobs.ended.is_set() and jobs.ended_name is None
