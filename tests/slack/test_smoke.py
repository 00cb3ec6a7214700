"""The shortest path through the Slack surface: a command runs and answers in its own thread."""

from tests import slack_requests
from tests.slack.conftest import SlackBot
from tests.support import ALICE, PHONE_MASKED, PHONE_NUMBER_ID, WABA


def test_inline_command_posts_parent_then_threaded_outcome(bot: SlackBot) -> None:
    response = bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} +91 98765 43210", user_id=ALICE))
    assert response.status_code == 200
    parent, reply = bot.slack.wait_for("chat.postMessage", 2)
    assert PHONE_MASKED in parent.params["text"] and "Acme Retail" in parent.params["text"]
    assert reply.params["thread_ts"] == "1700000000.000100"
    assert "WA200" in reply.params["text"]
    assert bot.kaleyra.requests[0].json["phone_number"] == "+919876543210"
