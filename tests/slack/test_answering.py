"""Acks first: work handed off after an ack waits while other Slack requests are being answered."""

from __future__ import annotations

import threading
import time

from bot.slack.answering import Answering
from bot.slack.background import Background


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
    release = threading.Event()

    def answer_a_request() -> None:
        with answering.request():
            release.wait(5)

    request = threading.Thread(target=answer_a_request)
    request.start()
    time.sleep(0.01)  # the request is being answered before the work is handed off
    done = pool.submit(ran.set)
    assert not ran.wait(0.2), "work ran while a request was still being answered"
    release.set()
    done.result(timeout=2)
    request.join()
    pool.drain()


def test_work_never_waits_longer_than_its_cap_in_an_endless_burst() -> None:
    answering = Answering()
    pool = Background("t", 1, answering)
    release = threading.Event()

    def answer_a_request() -> None:
        with answering.request():
            release.wait(10)

    request = threading.Thread(target=answer_a_request)
    request.start()
    time.sleep(0.01)
    started = time.monotonic()
    pool.submit(lambda: None).result(timeout=5)
    waited = time.monotonic() - started
    release.set()
    request.join()
    pool.drain()
    assert 0.5 < waited < 3
