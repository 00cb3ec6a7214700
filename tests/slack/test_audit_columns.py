"""Slack's surfaces on PostgreSQL with values longer than the audit's columns: each refusal is audited,
cut to its column, and the person is told what to fix rather than "store unavailable"."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests import slack_requests
from tests.conftest import postgres_schema
from tests.slack.conftest import SlackBot, attempts, open_modal
from tests.support import ALICE, PHONE, PHONE_NUMBER_ID, WABA


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def test_an_overlong_inline_command_is_refused_and_audited(
    postgresql_url: str, start_bot: Callable[..., SlackBot]
) -> None:
    bot = start_bot(DATABASE_URL=postgresql_url)
    waba, phone_number_id, phone = "7" * 65, "6" * 65, "9" * 65

    url = bot.slack.response_url("long")
    bot.send(slack_requests.slash_command(f"{waba} {phone_number_id} {phone}", user_id=ALICE, response_url=url))
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/long"))
    bot.settle()

    assert "fix" in told.params["text"].lower() and "database" not in told.params["text"]
    (row,) = attempts(bot)
    assert (row.status, row.waba_id, row.phone_number_id, row.phone_number) == (
        "refused_invalid",
        waba[:64],
        phone_number_id[:64],
        phone[:64],
    )
    assert bot.kaleyra.requests == []


def test_a_forged_modal_verification_is_refused_on_its_field_and_audited(
    postgresql_url: str, start_bot: Callable[..., SlackBot]
) -> None:
    bot = start_bot(DATABASE_URL=postgresql_url)
    view = open_modal(bot, ALICE)
    forged = "WHATSAPP1"  # one past the column's 8 characters
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE, forged)

    response = bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))

    assert response.status_code == 200
    assert set(response.json()["errors"]) == {"type_verification"}
    (row,) = attempts(bot)
    assert (row.status, row.verification) == ("refused_invalid", forged[:8])
    assert bot.kaleyra.requests == []
