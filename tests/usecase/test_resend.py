"""The resend use case end to end: store on SQLite and PostgreSQL, Kaleyra over real HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.explain import explain
from bot.network import NetworkLoop
from bot.resend import Resender
from bot.resend_values import Requester, ResendResult
from bot.store import access, wabas
from bot.store.db import make_engine, make_sessions
from bot.store.models import Attempt, CooldownClaim
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.support import (
    ALICE,
    BOB,
    KALEYRA_API_KEY,
    MALLORY,
    ONCALL_GROUP,
    OTHER_WABA,
    OTHER_WABA_NAME,
    PHONE,
    PHONE_MASKED,
    PHONE_NUMBER_ID,
    WABA,
    WABA_NAME,
    FakeClock,
)
from tests.usecase.conftest import REQUEST, SLACK, audit_rows, build_resender, resend


def assert_key_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert KALEYRA_API_KEY not in record.getMessage() and KALEYRA_API_KEY not in repr(record.__dict__)


def test_sent_is_audited_with_who_where_and_what(
    make_resender: Callable[..., Resender],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = resend(make_resender(), verification="voice")

    assert result.status == "sent"
    assert (result.phone_number, result.waba_name, result.kaleyra.code) == (PHONE, WABA_NAME, "WA200")
    assert result.retry_at == clock.now + timedelta(seconds=60)
    (request,) = fake_kaleyra.requests
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "VOICE"}

    (row,) = audit_rows(seeded)
    assert (row.user_id, row.surface, row.channel_id, row.thread_ts) == (ALICE, "command", "C0ALERTS", SLACK.thread_ts)
    assert (row.waba_id, row.phone_number, row.phone_number_id, row.verification) == (
        WABA,
        PHONE,
        PHONE_NUMBER_ID,
        "VOICE",
    )
    assert (row.status, row.code, row.http_status, row.dry_run) == ("sent", "WA200", 200, False)
    assert row.created_at == clock.now
    assert row.completed_at is not None and row.latency_ms is not None

    told = explain(result)
    assert told.code == "WA200"
    assert PHONE_MASKED in told.headline and PHONE not in told.as_text()
    assert_key_never_logged(caplog)


INVALID = [
    pytest.param({"waba_id": "acme"}, {"waba_id"}, id="waba"),
    pytest.param({"phone_number_id": "6789-9765"}, {"phone_number_id"}, id="phone_number_id"),
    # Fullwidth digits, as some PDFs and IMEs produce: not the ASCII digits Kaleyra expects.
    pytest.param({"phone_number_id": "\uff16\uff17\uff18\uff19\uff19"}, {"phone_number_id"}, id="fullwidth id"),
    pytest.param({"phone_number": "+91 98765 4321O"}, {"phone_number"}, id="letter in number"),
    pytest.param({"phone_number": "+91 12345"}, {"phone_number"}, id="too short"),
    pytest.param({"verification": "fax"}, {"type_verification"}, id="verification"),
    pytest.param(
        {"waba_id": "", "phone_number_id": "", "phone_number": "", "verification": "whatsapp"},
        {"waba_id", "phone_number_id", "phone_number", "type_verification"},
        id="everything",
    ),
]


@pytest.mark.parametrize(("fields", "errors"), INVALID)
def test_invalid_fields_are_refused_by_field_and_audited(
    make_resender: Callable[..., Resender],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    fields: dict[str, str],
    errors: set[str],
) -> None:
    result = resend(make_resender(), **fields)

    assert result.status == "refused_invalid"
    assert set(result.field_errors) == errors
    assert all(result.field_errors.values())
    (row,) = audit_rows(seeded)
    assert row.status == "refused_invalid" and row.message and row.completed_at is not None
    assert fake_kaleyra.requests == []


def test_an_unknown_waba_is_refused_like_one_the_asker_may_not_use(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender()
    unknown = resend(resender, waba_id="766999999999")
    known = resend(resender, waba_id=OTHER_WABA)

    # Alice can't tell a WABA that exists (Beta Foods) from one that doesn't, nor learn its name.
    assert unknown.status == known.status == "refused_not_allowed"
    assert unknown.field_errors["waba_id"].replace("766999999999", OTHER_WABA) == known.field_errors["waba_id"]
    assert OTHER_WABA_NAME not in explain(known).as_text() and known.waba_name is None
    assert fake_kaleyra.requests == []


def test_an_unknown_waba_is_named_as_unknown_to_someone_granted_every_waba(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    result = resend(make_resender(), BOB, frozenset({ONCALL_GROUP}), waba_id="766999999999")

    assert result.status == "refused_invalid"
    assert "not one the bot knows" in result.field_errors["waba_id"]
    assert [r.status for r in audit_rows(seeded)] == ["refused_invalid"]
    assert fake_kaleyra.requests == []


def test_not_allowed_is_refused_and_audited(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender()

    stranger = resend(resender, MALLORY)
    other_waba = resend(resender, ALICE, waba_id=OTHER_WABA)

    for result in (stranger, other_waba):
        assert result.status == "refused_not_allowed"
        assert "ask an admin" in result.field_errors["waba_id"]
        assert explain(result).code == "NOT_ALLOWED"
    rows = audit_rows(seeded)
    assert [(r.user_id, r.status) for r in rows] == [(MALLORY, "refused_not_allowed"), (ALICE, "refused_not_allowed")]
    assert fake_kaleyra.requests == []


def test_a_granted_group_member_may_resend(make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra) -> None:
    result = resend(make_resender(), BOB, frozenset({ONCALL_GROUP}), waba_id=OTHER_WABA)

    assert result.status == "sent"
    assert len(fake_kaleyra.requests) == 1


def test_cooldown_names_who_asked_and_when_to_retry(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra, clock: FakeClock
) -> None:
    resender = make_resender()
    assert resend(resender).status == "sent"

    clock.advance(10)
    # The same number written another way, by someone else: still the same number.
    held = resend(resender, BOB, frozenset({ONCALL_GROUP}), phone_number="0091 98765 43210")

    assert held.status == "refused_cooldown"
    assert held.held.user_id == ALICE
    assert held.retry_at == clock.now + timedelta(seconds=50)
    message = held.field_errors["phone_number"]
    assert ALICE in message and "09:30:00 UTC" in message and "09:31:00 UTC" in message
    assert explain(held).code == "COOLDOWN"
    assert [r.status for r in audit_rows(seeded)] == ["sent", "refused_cooldown"]
    assert len(fake_kaleyra.requests) == 1

    clock.advance(50)
    assert resend(resender, BOB, frozenset({ONCALL_GROUP})).status == "sent"
    assert len(fake_kaleyra.requests) == 2


def test_attempt_is_pending_in_the_store_while_kaleyra_is_hung(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender(KALEYRA_TIMEOUT_SECONDS="10")
    fake_kaleyra.queue("hang")
    results: list[ResendResult] = []
    call = threading.Thread(target=lambda: results.append(resend(resender)))
    call.start()
    try:
        fake_kaleyra.wait_for_requests(1)
        # Kaleyra has the request and has not answered: the audit row is already there.
        (row,) = audit_rows(seeded)
        assert (row.status, row.code, row.completed_at) == ("pending", None, None)
        assert (row.user_id, row.phone_number) == (ALICE, PHONE)
        with seeded() as session:
            assert session.scalar(select(CooldownClaim.user_id)) == ALICE
    finally:
        fake_kaleyra.release_hung()
        call.join(timeout=10)

    assert [r.status for r in results] == ["sent"]
    (row,) = audit_rows(seeded)
    assert row.status == "sent" and row.completed_at is not None


MAY_HAVE_SENT = [
    pytest.param("WA200", "sent", "WA200", id="WA200"),
    pytest.param("WA500_later", "upstream_error", "WA500", id="WA500-other"),
    pytest.param("hang", "timeout", "TIMEOUT", id="timeout"),
    pytest.param("html502", "unexpected_response", "UNEXPECTED_RESPONSE", id="html502"),
    pytest.param("drop", "unexpected_response", "UNEXPECTED_RESPONSE", id="dropped-after-sending"),
]


@pytest.mark.parametrize(("scenario", "status", "code"), MAY_HAVE_SENT)
def test_claim_is_kept_when_an_otp_may_have_been_sent(
    make_resender: Callable[..., Resender],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    scenario: str,
    status: str,
    code: str,
) -> None:
    resender = make_resender(KALEYRA_TIMEOUT_SECONDS="1")
    fake_kaleyra.queue(scenario)

    first = resend(resender)
    assert (first.status, explain(first).code) == (status, code)
    assert first.retry_at == clock.now + timedelta(seconds=60)

    second = resend(resender)
    assert second.status == "refused_cooldown"
    assert len(fake_kaleyra.requests) == 1
    assert [r.status for r in audit_rows(seeded)] == [status, "refused_cooldown"]


SENT_NOTHING = [
    pytest.param("WA400_payload", "bad_request", "WA400", id="WA400-payload"),
    pytest.param("WA400_type", "bad_request", "WA400", id="WA400-type"),
    pytest.param("WA400_phone", "bad_request", "WA400", id="WA400-phone"),
    pytest.param("WA401", "not_on_account", "WA401", id="WA401"),
    pytest.param("RBC001", "auth", "RBC001", id="RBC001"),
    pytest.param("WA500_approved", "already_verified", "WA500", id="already-approved"),
]


@pytest.mark.parametrize(("scenario", "status", "code"), SENT_NOTHING)
def test_claim_is_released_when_nothing_was_sent(
    make_resender: Callable[..., Resender],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
    status: str,
    code: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    resender = make_resender()
    fake_kaleyra.queue(scenario)

    first = resend(resender)
    assert (first.status, explain(first).code) == (status, code)
    assert first.retry_at is None

    # A corrected retry goes straight through.
    assert resend(resender).status == "sent"
    assert len(fake_kaleyra.requests) == 2
    with seeded() as session:
        statuses = [(r.status, r.code) for r in session.scalars(select(Attempt).order_by(Attempt.id))]
    assert statuses == [(status, code), ("sent", "WA200")]
    assert_key_never_logged(caplog)


def test_claim_is_released_when_kaleyra_refused_the_connection(
    settings: Callable[..., Settings],
    seeded: sessionmaker[Session],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    network: NetworkLoop,
) -> None:
    down = build_resender(settings(KALEYRA_BASE_URL=f"http://127.0.0.1:{unused_port()}"), seeded, clock, network)

    first = resend(down)
    assert (first.status, explain(first).code) == ("unreachable", "UNREACHABLE")

    assert resend(build_resender(settings(), seeded, clock, network)).status == "sent"
    assert len(fake_kaleyra.requests) == 1


def test_cooldown_zero_turns_it_off(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender(OTP_COOLDOWN_SECONDS="0")

    results = [resend(resender), resend(resender, BOB, frozenset({ONCALL_GROUP}))]

    assert [(r.status, r.retry_at) for r in results] == [("sent", None), ("sent", None)]
    assert len(fake_kaleyra.requests) == 2
    with seeded() as session:
        assert session.scalars(select(CooldownClaim)).all() == []


def test_the_smallest_cooldown_still_holds_for_its_second(
    make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra, clock: FakeClock
) -> None:
    resender = make_resender(OTP_COOLDOWN_SECONDS="1")

    first = resend(resender)
    held = resend(resender, BOB, frozenset({ONCALL_GROUP}))
    clock.advance(1)
    after = resend(resender, BOB, frozenset({ONCALL_GROUP}))

    assert (first.status, first.retry_at) == ("sent", clock.now)
    assert (held.status, held.retry_at) == ("refused_cooldown", clock.now)
    assert after.status == "sent"
    assert len(fake_kaleyra.requests) == 2


def test_waba_on_another_kaleyra_account_uses_its_sid(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    with seeded.begin() as session:
        wabas.add_waba(session, "766000000003", "Gamma Pharma", sid="HXGAMMA00EU", region="eu")
        access.add_grant(session, ALICE, "766000000003", by="test")

    resend(make_resender(), waba_id="766000000003")

    (request,) = fake_kaleyra.requests
    assert request.path == "/v2/HXGAMMA00EU/whatsapp/766000000003/number/retry_otp"


def test_a_refusal_is_audited_with_its_reasons_and_points_at_its_row(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], clock: FakeClock
) -> None:
    resender = make_resender(KALEYRA_DRY_RUN="1")
    invalid = resend(resender, waba_id="acme", phone_number_id="x")
    assert resend(resender).status == "dry_run"
    held = resend(resender)

    rows = audit_rows(seeded)
    assert [r.id for r in rows] == [invalid.attempt_id, rows[1].id, held.attempt_id]
    assert rows[0].message == " ".join(invalid.field_errors.values())
    # Staging's refusals are told apart from production's, like its sends.
    assert [r.dry_run for r in rows] == [True, True, True]
    # Asking again for a number one asked for oneself says so, rather than naming oneself.
    assert "requested for this number by you at 09:30:00 UTC" in held.field_errors["phone_number"]


def test_dry_run_calls_nobody_and_says_so(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    result = resend(make_resender(KALEYRA_DRY_RUN="1", KALEYRA_API_KEY=""))

    assert result.status == "dry_run" and result.dry_run
    told = explain(result)
    assert told.headline.startswith("Dry run")
    assert "Kaleyra was not called" in told.advice
    (row,) = audit_rows(seeded)
    assert (row.status, row.dry_run) == ("dry_run", True)
    assert "dry run" in (row.message or "")
    assert fake_kaleyra.requests == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_unreachable_store_sends_nothing(
    kind: str,
    settings: Callable[..., Settings],
    fake_kaleyra: FakeKaleyra,
    clock: FakeClock,
    tmp_path,
    network: NetworkLoop,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'no-such-dir' / 'store.db'}"
        if kind == "sqlite"
        else f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/test"
    )
    engine = make_engine(url)
    try:
        result = resend(build_resender(settings(DATABASE_URL=url), make_sessions(engine), clock, network))
    finally:
        engine.dispose()

    assert result.status == "store_unavailable"
    assert explain(result).code == "STORE_UNAVAILABLE"
    assert fake_kaleyra.requests == []
    # What an operator reads first in the log when the database is down.
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["store unavailable before the Kaleyra call; nothing was sent"]


def test_invalid_fields_are_still_named_when_the_store_is_down(
    settings: Callable[..., Settings], fake_kaleyra: FakeKaleyra, clock: FakeClock, tmp_path, network: NetworkLoop
) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'store.db'}"
    engine = make_engine(url)
    try:
        result = resend(
            build_resender(settings(DATABASE_URL=url), make_sessions(engine), clock, network),
            phone_number="+91 12345",
        )
    finally:
        engine.dispose()

    # What to correct helps more than "try again later": the refusal just goes unaudited.
    assert result.status == "refused_invalid"
    assert set(result.field_errors) == {"phone_number"}
    assert "valid number" in result.field_errors["phone_number"]
    assert explain(result).code == "INVALID"
    assert fake_kaleyra.requests == []


def test_twenty_people_asking_at_once_send_one_otp(
    make_resender: Callable[..., Resender], seeded: sessionmaker[Session], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender()
    barrier = threading.Barrier(20)

    def ask(n: int) -> ResendResult:
        barrier.wait(timeout=10)
        return resend(resender, f"U{n:04d}", frozenset({ONCALL_GROUP}))

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(ask, range(20)))

    statuses = sorted(r.status for r in results)
    assert statuses == ["refused_cooldown"] * 19 + ["sent"]
    assert len(fake_kaleyra.requests) == 1
    (winner,) = [r.requester.user_id for r in results if r.status == "sent"]
    assert {r.held.user_id for r in results if r.held} == {winner}
    assert len(audit_rows(seeded)) == 20


def test_a_number_without_country_code_uses_default_phone_region_or_is_refused(
    make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra
) -> None:
    refused = resend(make_resender(), phone_number="98765 43210")
    assert refused.status == "refused_invalid"
    assert "Add the country code" in refused.field_errors["phone_number"]
    assert fake_kaleyra.requests == []

    assert resend(make_resender(DEFAULT_PHONE_REGION="IN"), phone_number="98765 43210").status == "sent"
    (sent,) = fake_kaleyra.requests
    assert sent.json["phone_number"] == PHONE


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("WA200\n2026-03-01 09:30:00 INFO bot.resend: resend sent [code=WA200]", id="forged-log-line"),
        pytest.param("WA200" + "0" * 200, id="longer-than-its-column"),
        pytest.param("wa200", id="not-kaleyras-shape"),
    ],
)
def test_a_code_that_is_not_kaleyras_shape_is_an_unexpected_response_and_completes_the_attempt(
    make_resender: Callable[..., Resender],
    fake_kaleyra: FakeKaleyra,
    seeded: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    code: str,
) -> None:
    fake_kaleyra.answer(200, {"code": code, "message": "Request Processed Successfully"})
    with caplog.at_level(logging.INFO):
        result = resend(make_resender())

    assert result.status == "unexpected_response"
    assert "could not read" in explain(result).as_text() and code not in explain(result).as_text()
    (row,) = audit_rows(seeded)
    assert (row.status, row.code, row.http_status) == ("unexpected_response", None, 200)
    assert row.completed_at is not None
    assert not [r for r in caplog.records if code in r.getMessage() or code == getattr(r, "code", None)]


def test_kaleyras_text_is_one_line_cut_and_free_of_every_secret_the_bot_holds(
    make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra, seeded: sessionmaker[Session]
) -> None:
    secrets = {"SLACK_BOT_TOKEN": "xoxb-echoed-token-42", "SLACK_SIGNING_SECRET": "echoed-signing-secret"}
    message = f"bad key {KALEYRA_API_KEY}\r\nINFO forged {secrets['SLACK_BOT_TOKEN']} " + "x" * 5000
    errors = {f"phone_number\n{n}": f"{secrets['SLACK_SIGNING_SECRET']}\u202e" for n in range(50)}
    fake_kaleyra.answer(400, {"code": "WA400", "message": message, "error": errors})
    result = resend(make_resender(**secrets))

    assert result.status == "bad_request" and result.kaleyra is not None
    shown = explain(result).as_text()
    (row,) = audit_rows(seeded)
    stored = row.message or ""
    for secret in (KALEYRA_API_KEY, *secrets.values()):
        assert secret not in shown and secret not in stored
    assert stored.startswith("bad key [redacted] INFO forged [redacted] xxx") and len(stored) <= 300
    assert "\n" not in stored and "\u202e" not in shown and len(shown) < 2000
    assert len(result.kaleyra.field_errors) <= 5


def test_a_refusal_because_slack_could_not_confirm_groups_says_so_not_ask_an_admin(
    make_resender: Callable[..., Resender], fake_kaleyra: FakeKaleyra
) -> None:
    resender = make_resender()
    requester = Requester(BOB, frozenset(), unconfirmed_group_ids=frozenset({ONCALL_GROUP}))
    result = resender.resend(requester, SLACK, REQUEST)

    assert result.status == "refused_not_allowed"
    assert "Slack could not confirm your user groups" in result.field_errors["waba_id"]
    assert "ask an admin" not in result.field_errors["waba_id"]
    assert fake_kaleyra.requests == []
