"""Acks first: work handed off after an ack waits while other Slack requests are being answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.slack.background import Answering, Background


@contextmanager
def a_request_being_answered(answering: Answering) -> Iterator[threading.Event]:
    """A Slack request in progress until the yielded event is set (or the block ends)."""
    done = threading.Event()

    def answer() -> None:
        with answering.request():
            done.wait(10)

    thread = threading.Thread(target=answer)
    thread.start()
    time.sleep(0.01)  # the request is being answered before any work is handed off
    try:
        yield done
    finally:
        done.set()
        thread.join()


def test_work_starts_at_once_when_no_request_is_being_answered() -> None:
    pool = Background("t", 1, Answering())
    started = time.monotonic()
    pool.submit(lambda: None).result(timeout=1)
    assert time.monotonic() - started < 0.1
    pool.drain()


def test_work_waits_until_the_requests_being_answered_are_done() -> None:
    answering = Answering()
    pool = Background("t", 1, answering)
    ran = threading.Event()
    with a_request_being_answered(answering) as done:
        finished = pool.submit(ran.set)
        assert not ran.wait(0.2), "work ran while a request was still being answered"
        done.set()
        finished.result(timeout=2)
    pool.drain()


def test_work_never_waits_longer_than_its_cap_in_an_endless_burst() -> None:
    answering = Answering()
    pool = Background("t", 1, answering)
    with a_request_being_answered(answering):
        started = time.monotonic()
        pool.submit(lambda: None).result(timeout=5)
        waited = time.monotonic() - started
    pool.drain()
    assert 0.5 < waited < 3


def test_a_recording_waits_for_the_acks_in_progress_then_goes_on() -> None:
    answering = Answering()
    answering.wait_for_acks()  # nothing being answered: no wait
    recorded = threading.Event()
    with a_request_being_answered(answering) as done:
        waiter = threading.Thread(target=lambda: (answering.wait_for_acks(), recorded.set()))
        waiter.start()
        assert not recorded.wait(0.2), "the record went ahead of an ack"
        done.set()
        assert recorded.wait(2)
        waiter.join()
