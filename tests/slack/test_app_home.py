"""App Home: opening the bot's Home tab shows the user's WABAs, their last attempts and the form button."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests import slack_requests
from tests.slack.conftest import SlackBot, waba_options
from tests.support import (
    ALICE,
    BOB,
    MALLORY,
    OTHER_WABA,
    OTHER_WABA_NAME,
    PHONE_NUMBER_ID,
    WABA,
    WABA_NAME,
)


def home_opened(user_id: str, tab: str = "home") -> tuple[str, dict[str, str]]:
    return slack_requests.event(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
    )


def open_home(bot: SlackBot, user_id: str) -> dict[str, Any]:
    """Open the Home tab as `user_id` and return the view the bot published for them."""
    assert bot.send(home_opened(user_id)).status_code == 200
    (published,) = bot.slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == user_id)
    assert published.params["view"]["type"] == "home"
    return published.params["view"]


def resend(bot: SlackBot, user_id: str, phone: str, *, waba: str = WABA) -> None:
    done = len(bot.slack.calls_to("chat.postMessage"))
    bot.send(slack_requests.slash_command(f"{waba} {PHONE_NUMBER_ID} {phone}", user_id=user_id))
    # Parent and threaded outcome: the attempt is complete once both are out.
    bot.slack.wait_for("chat.postMessage", done + 2)


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_home_shows_the_users_wabas_last_ten_attempts_and_the_form_button(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    resend(bot, ALICE, "+91 98765 41111")  # the oldest: an 11th attempt, past the last 10
    for _ in range(10):
        resend(bot, ALICE, "+91 98765 43210")
    resend(bot, BOB, "+91 98765 42222", waba=OTHER_WABA)  # someone else's attempt

    view = open_home(bot, ALICE)

    shown = str(view["blocks"])
    assert WABA_NAME in shown and WABA in shown
    # Alice may use Acme only: Beta Foods is not hers to see.
    assert OTHER_WABA_NAME not in shown and OTHER_WABA not in shown
    attempt_lines = [
        e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"] if "3210" in e["text"]
    ]
    assert len(attempt_lines) == 10
    for line in attempt_lines:
        assert "+91\u2022\u2022\u2022\u2022\u2022\u20223210" in line
        assert "sent (WA200)" in line
        assert "<!date^" in line  # when, in the reader's own time zone
    assert "1111" not in shown and "2222" not in shown
    assert "9876543210" not in shown
    assert [b["action_id"] for b in buttons(view)] == ["open_resend_modal"]


def test_the_home_button_opens_the_modal_with_the_users_wabas(bot: SlackBot) -> None:
    (button,) = buttons(open_home(bot, ALICE))

    clicked = slack_requests.block_actions(
        button["action_id"],
        button["value"],
        user_id=ALICE,
        container={"type": "view", "view_id": "V0000000001"},
        trigger_id="1.2.home-trigger",
    )
    assert bot.send(clicked).status_code == 200

    (opened,) = bot.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "1.2.home-trigger"
    modal = opened.params["view"]
    assert modal["type"] == "modal"
    assert waba_options(modal) == [WABA]

    # Opened from App Home there is no channel to answer in: the outcome comes as a DM.
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+91 98765 43210", "SMS")
    assert bot.send(slack_requests.view_submission(modal, user_id=ALICE, values=values)).status_code == 200
    (dm,) = bot.slack.wait_for("chat.postMessage")
    assert (dm.params["channel"], "thread_ts" in dm.params) == (f"D{ALICE}", False)
    assert "WA200" in dm.params["text"]


def test_a_group_members_home_lists_the_wabas_granted_to_the_group(bot: SlackBot) -> None:
    # Bob is in the on-call group, which is granted every WABA.
    view = open_home(bot, BOB)

    shown = str(view["blocks"])
    assert WABA_NAME in shown and OTHER_WABA_NAME in shown
    assert "None yet." in shown
    assert [b["action_id"] for b in buttons(view)] == ["open_resend_modal"]


def test_a_user_without_wabas_is_told_whom_to_ask_and_only_offered_a_request(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot = start_bot(ADMIN_USER_IDS="U0LEAD")

    view = open_home(bot, MALLORY)

    shown = str(view["blocks"])
    assert "no WhatsApp Business Accounts" in shown
    assert "<@U0LEAD>" in shown
    assert WABA not in shown and OTHER_WABA not in shown
    assert "None yet." in shown
    # No form to open: the one button asks for access (SPEC's flow 7).
    assert [b["action_id"] for b in buttons(view)] == ["request_access"]
