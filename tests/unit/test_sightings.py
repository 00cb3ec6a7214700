"""The edge's replay checks: requests that arrive while one check runs are checked together in the next."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.sightings import Sightings


class Store:
    """Remembers keys like `seen_requests`; each call can be held until the test lets it finish."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    def check(self, keys: list[str]) -> list[bool]:
        self.batches.append(keys)
        if self.fail is not None:
            raise self.fail
        firsts = []
        for key in keys:
            firsts.append(key not in self.seen)
            self.seen.add(key)
        return firsts

    async def run(self, check: Callable[[list[str]], list[bool]], keys: list[str]) -> list[bool]:
        await self.release.wait()  # the database is busy with the check before
        return check(keys)


def test_requests_arriving_during_a_check_share_the_next_one() -> None:
    asyncio.run(_requests_arriving_during_a_check_share_the_next_one())


async def _requests_arriving_during_a_check_share_the_next_one() -> None:
    store = Store()
    sightings = Sightings(store.check, store.run)
    first = asyncio.create_task(sightings.first("sig:a"))
    await asyncio.sleep(0)
    burst = [asyncio.create_task(sightings.first(f"sig:{key}")) for key in "bcd"]
    await asyncio.sleep(0)
    store.release.set()
    assert await first is True
    assert await asyncio.gather(*burst) == [True, True, True]
    assert store.batches == [["sig:a"], ["sig:b", "sig:c", "sig:d"]]


def test_the_same_signature_twice_in_one_batch_is_new_only_once() -> None:
    asyncio.run(_the_same_signature_twice_in_one_batch_is_new_only_once())


async def _the_same_signature_twice_in_one_batch_is_new_only_once() -> None:
    store = Store()
    store.release.set()
    sightings = Sightings(store.check, store.run)
    answers = await asyncio.gather(*(sightings.first("sig:same") for _ in range(3)))
    assert sorted(answers) == [False, False, True]
    assert await sightings.first("sig:same") is False


def test_a_failed_check_reaches_every_waiter_and_the_next_check_still_runs() -> None:
    asyncio.run(_a_failed_check_reaches_every_waiter_and_the_next_check_still_runs())


async def _a_failed_check_reaches_every_waiter_and_the_next_check_still_runs() -> None:
    store = Store()
    store.release.set()
    store.fail = RuntimeError("database gone")
    sightings = Sightings(store.check, store.run)
    results = await asyncio.gather(sightings.first("sig:a"), sightings.first("sig:b"), return_exceptions=True)
    assert [str(r) for r in results] == ["database gone", "database gone"]
    store.fail = None
    assert await sightings.first("sig:a") is True


def test_a_waiter_that_gave_up_does_not_break_the_others() -> None:
    asyncio.run(_a_waiter_that_gave_up_does_not_break_the_others())


async def _a_waiter_that_gave_up_does_not_break_the_others() -> None:
    store = Store()
    sightings = Sightings(store.check, store.run)
    impatient = asyncio.create_task(sightings.first("sig:a"))
    patient = asyncio.create_task(sightings.first("sig:b"))
    await asyncio.sleep(0)
    impatient.cancel()
    store.release.set()
    assert await patient is True
    with pytest.raises(asyncio.CancelledError):
        await impatient
