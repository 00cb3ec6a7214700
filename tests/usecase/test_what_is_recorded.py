"""What a resend leaves behind for the people who look later: its log line, its audit row, its result."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import Verification
from bot.network import NetworkLoop
from bot.request import PHONE_NUMBER_FIELD
from bot.resend import Resender
from bot.resend_values import Requester, ResendResult, Started, Told
from bot.status import Status
from bot.store.db import make_engine, make_sessions, upgrade
from tests.conftest import seed
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import ALICE, MALLORY, ONCALL_GROUP, PHONE_MASKED, WABA, FakeClock
from tests.usecase.conftest import REQUEST, SLACK, audit_rows, build_resender, resend

ANOTHER_PHONE = "+91 98765 43211"


def resend_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "bot.resend"]


def test_each_resend_and_refusal_is_logged_once_with_its_surface_and_a_waba_only_if_known(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.resend")
    resender = make_resender()
    resend(resender)
    resend(resender, user=MALLORY)
    resend(resender, waba_id="555000111222")
    resend(resender, waba_id="9" * 40)

    lines = resend_lines(caplog)
    assert [(line.__dict__["surface"], line.__dict__["status"]) for line in lines] == [
        ("command", "sent"),
        ("command", "refused_not_allowed"),
        ("command", "refused_not_allowed"),
        ("command", "refused_invalid"),
    ]
    sent = lines[0].__dict__
    (row, *_) = audit_rows(seeded)
    assert (sent["user"], sent["number"], sent["attempt_id"]) == (ALICE, PHONE_MASKED, row.id)
    assert (sent["event"], sent["code"], sent["outcome"]) == ("kaleyra_call", "WA200", "sent")
    # A refusal before the number was read has no number to show.
    assert lines[3].__dict__["number"] is None
    shown = [line.__dict__["waba_id"] for line in lines]
    # A WABA the bot knows is shown; what was typed otherwise may be a phone number: masked, cut.
    assert shown[:2] == [WABA, WABA]
    assert shown[2] == "\u2022" * 8 + "1222"
    assert shown[3] == "\u2022" * 28 + "9999"


def test_a_started_resend_is_pending_on_its_own_row_with_the_type_it_will_send(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session]
) -> None:
    begun = make_resender().start(Requester(ALICE), SLACK, replace(REQUEST, verification=""))

    assert isinstance(begun, Started)
    (row,) = audit_rows(seeded)
    assert (begun.result.status, begun.result.attempt_id) == (Status.PENDING, row.id)
    # No type typed: SMS, in the result (the announcement says it) and in the audit.
    assert (begun.result.verification, row.verification) == (Verification.SMS, "SMS")


def test_the_audit_keeps_kaleyras_latency_and_a_dry_runs_note(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    fake_kaleyra.latency = 0.05
    resend(make_resender())
    resend(make_resender(KALEYRA_DRY_RUN="1"), phone_number=ANOTHER_PHONE)

    sent, dry = audit_rows(seeded)
    assert sent.latency_ms is not None and sent.latency_ms >= 50
    assert (dry.status, dry.message, dry.latency_ms) == ("dry_run", "dry run: Kaleyra was not called", 0)


def test_a_name_longer_than_the_audit_column_is_limited_and_cooled_down_as_audited(
    make_resender: Callable[..., Resender],
) -> None:
    # A CLI `--as` name may be longer than the audit's 64-character column.
    resender = make_resender(RESENDS_PER_USER_PER_HOUR="1")
    requester = Requester("ops-" + "x" * 70, frozenset({ONCALL_GROUP}))

    first = resender.resend(requester, SLACK, REQUEST)
    second = resender.resend(requester, SLACK, replace(REQUEST, phone_number=ANOTHER_PHONE))

    assert (first.status, second.status) == ("sent", "refused_rate_limited")
    assert "You have made 1 resends in the last hour" in second.field_errors[PHONE_NUMBER_FIELD]
    assert second.retry_at is not None
    # The same number again within the cooldown: held, and by "you", not by the cut name.
    again = make_resender().resend(requester, SLACK, REQUEST)
    assert again.status == "refused_cooldown"
    assert "requested for this number by you" in again.field_errors[PHONE_NUMBER_FIELD]


def test_a_store_lost_after_the_call_still_gives_the_outcome_and_logs_which_attempt(
    settings: Callable[..., Settings],
    clock: FakeClock,
    network: NetworkLoop,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "lost.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        seed(session)
    resender = build_resender(settings(DATABASE_URL=f"sqlite:///{path}"), sessions, clock, network)

    def tell(result: ResendResult) -> Told:
        # The database goes away while the person is told: the file is replaced by a directory.
        engine.dispose()
        for leftover in path.parent.glob(path.name + "*"):
            os.remove(leftover)
        path.mkdir()
        return Told("channel")

    begun = resender.start(Requester(ALICE), SLACK, REQUEST)
    assert isinstance(begun, Started)
    result = resender.call(begun).result(tell=tell)

    assert result.status == "sent"
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [f"could not complete attempt {begun.attempt_id} in the store"]
