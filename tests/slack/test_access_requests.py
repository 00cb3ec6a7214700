"""Access requests (SPEC's flow 7): asked from a refusal, decided once by an owner or an admin, lapsing after 24 h."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.store import access, owners
from bot.store.models import AccessRequest, Grant
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.slack.conftest import SlackBot, waba_options
from tests.slack.test_admin_commands import LEAD, audited, resend_refused
from tests.support import BOB, MALLORY, OTHER_WABA, PHONE_NUMBER_ID, WABA, FakeClock

OWNER = "U0OWNER"
OTHER_OWNER = "U0OTHEROWNER"
ACCESS_CHANNEL = "C0ACCESS"
_names = itertools.count(1)


def started(start_bot: Callable[..., SlackBot], **env: str) -> tuple[SlackBot, FakeClock]:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    bot = start_bot(clock=clock, OTP_COOLDOWN_SECONDS="0", **env)
    with bot.runtime.sessions.begin() as session:
        owners.add_owner(session, WABA, OWNER, by="test")
        owners.add_owner(session, OTHER_WABA, OTHER_OWNER, by="test")
    return bot, clock


def buttons(blocks: Any) -> dict[str, str]:
    """action_id → value of every button in these blocks."""
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def refusal_button(bot: SlackBot, user_id: str, waba_id: str) -> str:
    """An inline resend refused "not allowed": the value of its "Request access" button."""
    name = f"refused-{next(_names)}"
    text = f"{waba_id} {PHONE_NUMBER_ID} +91 98765 43210"
    bot.send(slack_requests.slash_command(text, user_id=user_id, response_url=bot.slack.response_url(name)))
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    assert "not allowed" in told.params["text"]
    return buttons(told.params["blocks"])["request_access"]


def request_form(bot: SlackBot, user_id: str, value: str) -> tuple[dict[str, Any], str]:
    """Click "Request access"; the modal Slack was asked to open, and the response_url's name."""
    name, trigger = f"asker-{next(_names)}", f"{next(_names)}.access.{user_id}"
    url = bot.slack.response_url(name)
    bot.send(
        slack_requests.block_actions("request_access", value, user_id=user_id, trigger_id=trigger, response_url=url)
    )
    (opened,) = bot.slack.wait_for("views.open", where=lambda c: c.params.get("trigger_id") == trigger)
    view: dict[str, Any] = opened.params["view"]
    assert view["callback_id"] == "access_request"
    return view, name


def submit(bot: SlackBot, view: dict[str, Any], user_id: str, waba_id: str, duration: str, reason: str) -> Any:
    values = {
        "waba_id": {"waba_id": {"type": "static_select", "selected_option": {"value": waba_id}}},
        "duration": {"duration": {"type": "radio_buttons", "selected_option": {"value": duration}}},
        "reason": {"reason": {"type": "plain_text_input", "value": reason}},
    }
    response = bot.send(slack_requests.view_submission(view, user_id=user_id, values=values))
    assert response.status_code == 200
    return response.json() if response.content else None


def ask(bot: SlackBot, user_id: str, waba_id: str, duration: str = "8h") -> str:
    """Refused, then asks through the modal; what the asker was told about where it went."""
    view, name = request_form(bot, user_id, refusal_button(bot, user_id, waba_id))
    assert submit(bot, view, user_id, waba_id, duration, "INC-42: stuck onboarding") is None
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    return str(told.params["text"])


def request_copies(bot: SlackBot, count: int = 1) -> list[SlackCall]:
    return bot.slack.wait_for(
        "chat.postMessage", count, where=lambda c: "approve_access" in str(c.params.get("blocks"))
    )


def click(bot: SlackBot, copy: SlackCall, action_id: str, user_id: str) -> str:
    """Click Approve or Deny on a posted copy as `user_id`; the name of the clicker's response_url."""
    name = f"click-{next(_names)}"
    ts = f"1700000000.{next(_names):06d}"
    value = buttons(copy.params["blocks"])[action_id]
    signed = slack_requests.block_actions(
        action_id,
        value,
        user_id=user_id,
        channel_id=copy.params["channel"],
        message_ts=ts,
        response_url=bot.slack.response_url(name),
    )
    assert bot.send(signed).status_code == 200
    return name


def deny_with_note(bot: SlackBot, copy: SlackCall, user_id: str, note: str) -> None:
    """Click Deny, then submit the form it opens with `note` for the requester."""
    click(bot, copy, "deny_access", user_id)
    (opened,) = bot.slack.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "deny_access_note")
    values = {"note": {"note": {"type": "plain_text_input", "value": note}}}
    assert (
        bot.send(slack_requests.view_submission(opened.params["view"], user_id=user_id, values=values)).status_code
        == 200
    )
    bot.settle()


def told_clicker(bot: SlackBot, name: str) -> str:
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    return str(told.params["text"])


def dms_to(bot: SlackBot, user_id: str) -> list[SlackCall]:
    return [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("channel") == f"D{user_id}"]


def grants_of(bot: SlackBot, user_id: str) -> list[tuple[str, datetime | None]]:
    with bot.runtime.sessions() as session:
        return [(g.waba_id, g.expires_at) for g in session.scalars(select(Grant).where(Grant.principal == user_id))]


def test_an_owner_approves_a_request_and_the_requesters_resend_reaches_kaleyra(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot, clock = started(start_bot)
    view, name = request_form(bot, MALLORY, refusal_button(bot, MALLORY, WABA))
    # Every WABA the bot knows, the refused one chosen already.
    assert waba_options(view) == [WABA, OTHER_WABA]
    waba_block = next(b for b in view["blocks"] if b["block_id"] == "waba_id")
    assert waba_block["element"]["initial_option"]["value"] == WABA
    assert submit(bot, view, MALLORY, WABA, "8h", "") == {
        "response_action": "errors",
        "errors": {"reason": "Say why you need it: the approver reads this."},
    }
    assert submit(bot, view, MALLORY, WABA, "8h", "INC-42") is None

    (copy,) = request_copies(bot)
    assert copy.params["channel"] == f"D{OWNER}"  # no channel set: the WABA's owner, by DM
    assert f"<@{MALLORY}>" in copy.params["text"] and "Acme Retail" in copy.params["text"]
    assert "INC-42" in json.dumps(copy.params["blocks"])
    (told,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    assert f"the WABA's owners (<@{OWNER}>)" in told.params["text"]

    # The requester, someone with no say, and the owner of another WABA cannot decide.
    assert "your own request" in told_clicker(bot, click(bot, copy, "approve_access", MALLORY))
    assert "Only an owner" in told_clicker(bot, click(bot, copy, "approve_access", BOB))
    assert "Only an owner" in told_clicker(bot, click(bot, copy, "approve_access", OTHER_OWNER))
    assert grants_of(bot, MALLORY) == []

    click(bot, copy, "approve_access", OWNER)
    (dm,) = bot.slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == f"D{MALLORY}")
    ends = clock.now + timedelta(hours=8)
    assert grants_of(bot, MALLORY) == [(WABA, ends)]
    (update,) = bot.slack.wait_for("chat.update")
    assert update.params["channel"] == copy.params["channel"]
    assert f"Approved by <@{OWNER}>" in update.params["text"]
    assert f"<!date^{int(ends.timestamp())}^" in update.params["text"]
    assert "approve_access" not in json.dumps(update.params["blocks"])
    assert f"<@{OWNER}> approved your access" in dm.params["text"]

    # "Resend now" repeats the refused resend, in one click.
    again = buttons(dm.params["blocks"])["resend_again"]
    bot.send(slack_requests.block_actions("resend_again", again, user_id=MALLORY, channel_id=f"D{MALLORY}"))
    bot.slack.wait_for("chat.postMessage", where=lambda c: "WA200" in str(c.params.get("text")))
    (sent,) = bot.kaleyra.requests
    assert sent.path.endswith(f"/whatsapp/{WABA}/number/retry_otp")

    actions = [(actor, action) for actor, action, _ in audited(bot)]
    assert actions == [
        (f"slack:{MALLORY}", "access_request"),
        (f"slack:{OWNER}", "grant"),
        (f"slack:{OWNER}", "access_approve"),
    ]
    assert audited(bot)[1][2] == f"{MALLORY} {WABA} until {ends:%Y-%m-%d %H:%M} UTC"

    clock.advance(8 * 3600)
    assert "not allowed" in resend_refused(bot, MALLORY, WABA)


def test_a_double_click_approves_once_and_a_later_click_says_who_decided(start_bot: Callable[..., SlackBot]) -> None:
    bot, _ = started(start_bot)
    ask(bot, MALLORY, WABA, "1h")
    (copy,) = request_copies(bot)

    first, second = click(bot, copy, "approve_access", OWNER), click(bot, copy, "approve_access", OWNER)
    bot.settle()
    later = told_clicker(bot, click(bot, copy, "deny_access", LEAD))

    assert len(grants_of(bot, MALLORY)) == 1
    assert [action for _, action, _ in audited(bot)].count("access_approve") == 1
    assert len(dms_to(bot, MALLORY)) == 1
    said = [
        c.params["text"] for c in bot.slack.calls_to("response_url") if c.path.endswith((f"/{first}", f"/{second}"))
    ]
    assert len(said) == 1 and "decided already" in said[0] and f"Approved by <@{OWNER}>" in said[0]
    assert "decided already" in later and f"Approved by <@{OWNER}>" in later


def test_a_denied_request_in_the_access_channel_tells_the_requester_and_grants_nothing(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot, _ = started(start_bot, ACCESS_REQUESTS_CHANNEL=ACCESS_CHANNEL, ADMIN_USER_IDS=LEAD)
    assert f"<#{ACCESS_CHANNEL}>" in ask(bot, MALLORY, OTHER_WABA, "permanent")
    (copy,) = request_copies(bot)
    assert copy.params["channel"] == ACCESS_CHANNEL
    assert bot.slack.calls_to("conversations.open") == []

    deny_with_note(bot, copy, LEAD, "Use the <!channel> on-call's access instead")

    (dm,) = bot.slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == f"D{MALLORY}")
    assert f"<@{LEAD}> denied your request" in dm.params["text"]
    # The note reaches the requester, escaped: it cannot notify a channel.
    assert "Their note: Use the &lt;!channel&gt; on-call's access instead" in json.dumps(dm.params["blocks"])
    (update,) = bot.slack.wait_for("chat.update")
    assert update.params["channel"] == ACCESS_CHANNEL and f"Denied by <@{LEAD}>" in update.params["text"]
    assert grants_of(bot, MALLORY) == []
    assert [a for _, a, _ in audited(bot)] == ["access_request", "access_deny"]


def test_with_no_owner_and_no_channel_the_admins_get_it_by_dm(start_bot: Callable[..., SlackBot]) -> None:
    bot, _ = started(start_bot, ADMIN_USER_IDS=LEAD)
    with bot.runtime.sessions.begin() as session:
        owners.remove_owner(session, OTHER_WABA, OTHER_OWNER)
        access.add_admin(session, "U0OPS", by="test")
    # "No WABAs" on the form carries the button too.
    bot.send(slack_requests.slash_command("", user_id=MALLORY, response_url=bot.slack.response_url("none")))
    (none,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/none"))
    assert "request_access" in buttons(none.params["blocks"])

    assert f"the bot's admins (<@{LEAD}>, <@U0OPS>)" in ask(bot, MALLORY, OTHER_WABA)

    assert sorted(c.params["channel"] for c in request_copies(bot, 2)) == [f"D{LEAD}", "DU0OPS"]
    assert dms_to(bot, OTHER_OWNER) == []
    click(bot, request_copies(bot, 2)[1], "approve_access", "U0OPS")
    # Both copies say who decided.
    updates = bot.slack.wait_for("chat.update", 2)
    assert sorted(u.params["channel"] for u in updates) == [f"D{LEAD}", "DU0OPS"]
    assert all("Approved by <@U0OPS>" in u.params["text"] for u in updates)


def test_a_request_lapses_after_24_hours_and_asking_twice_points_to_the_open_one(
    start_bot: Callable[..., SlackBot],
) -> None:
    bot, clock = started(start_bot)
    ask(bot, MALLORY, WABA)
    (copy,) = request_copies(bot)
    view, _ = request_form(bot, MALLORY, "none")
    again = submit(bot, view, MALLORY, WABA, "1h", "still stuck")
    assert "still waiting" in again["errors"]["waba_id"]

    clock.advance(24 * 3600)
    said = told_clicker(bot, click(bot, copy, "approve_access", OWNER))

    assert "Lapsed" in said and "nothing was granted" in said
    assert grants_of(bot, MALLORY) == []
    (update,) = bot.slack.wait_for("chat.update")
    assert "Lapsed" in update.params["text"]
    assert [a for _, a, _ in audited(bot)] == ["access_request", "access_lapse"]
    # Lapsed, so a new request may be made, and is posted afresh.
    assert submit(bot, view, MALLORY, WABA, "1h", "still stuck") is None
    request_copies(bot, 2)
    with bot.runtime.sessions() as session:
        assert [r.status for r in session.scalars(select(AccessRequest).order_by(AccessRequest.id))] == [
            "lapsed",
            "open",
        ]


def test_deny_opens_no_form_for_someone_who_may_not_decide(start_bot: Callable[..., SlackBot]) -> None:
    bot, _ = started(start_bot, ACCESS_REQUESTS_CHANNEL=ACCESS_CHANNEL, ADMIN_USER_IDS=LEAD)
    ask(bot, MALLORY, OTHER_WABA, "8h")
    (copy,) = request_copies(bot)

    said = told_clicker(bot, click(bot, copy, "deny_access", MALLORY))

    assert "cannot decide your own request" in said
    assert not [c for c in bot.slack.calls_to("views.open") if c.params["view"]["callback_id"] == "deny_access_note"]
    assert [a for _, a, _ in audited(bot)] == ["access_request"]
