"""Where an outcome goes, read from each kind of payload, and carried through a modal."""

from __future__ import annotations

from bot.slack.delivery import Destination

COMMAND = {"user_id": "U0ALICE", "channel_id": "C0OPS", "response_url": "https://hooks.slack.com/commands/1"}
BUTTON = {
    "user": {"id": "U0BOB"},
    "channel": {"id": "C0ALERTS"},
    "response_url": "https://hooks.slack.com/actions/1",
    "message": {"ts": "1700000000.000200", "thread_ts": "1700000000.000100"},
}


def test_a_command_announces_in_its_channel() -> None:
    destination = Destination.from_payload(COMMAND, announce=True)
    assert destination == Destination("U0ALICE", "C0OPS", None, COMMAND["response_url"], announce=True)


def test_an_action_in_a_thread_answers_in_that_thread_not_under_the_reply() -> None:
    destination = Destination.from_payload(BUTTON, in_thread=True)
    assert (destination.user_id, destination.channel_id, destination.thread_ts) == (
        "U0BOB",
        "C0ALERTS",
        "1700000000.000100",
    )
    assert not destination.announce


def test_a_top_level_message_is_its_own_thread() -> None:
    shortcut = {**BUTTON, "message": {"ts": "1700000000.000300"}}
    assert Destination.from_payload(shortcut, in_thread=True).thread_ts == "1700000000.000300"


def test_nowhere_to_announce_without_a_channel() -> None:
    home = {"user": {"id": "U0ALICE"}, "trigger_id": "1.2.3"}
    assert Destination.from_payload(home, announce=True) == Destination("U0ALICE")


def test_forged_fields_of_the_wrong_type_are_dropped() -> None:
    forged = {"user_id": "U0ALICE", "channel_id": ["C1"], "response_url": {"x": 1}}
    assert Destination.from_payload(forged, announce=True) == Destination("U0ALICE")


def test_a_modal_carries_its_destination_to_the_submission() -> None:
    destination = Destination("U0BOB", "C0ALERTS", "1700000000.000100", BUTTON["response_url"])
    surface, back = Destination.from_metadata(destination.to_metadata("shortcut"), "U0BOB")
    assert (surface, back) == ("shortcut", destination)


def test_a_response_url_too_long_for_the_metadata_is_left_out() -> None:
    destination = Destination("U0ALICE", "C0OPS", None, "https://hooks.slack.com/" + "x" * 3000, announce=True)
    text = destination.to_metadata("command")
    assert len(text) <= 3000
    assert Destination.from_metadata(text, "U0ALICE")[1] == Destination("U0ALICE", "C0OPS", None, None, True)


def test_unreadable_metadata_reaches_the_person_directly() -> None:
    for text in (None, "", "not json", "[1, 2]", '{"c": 5, "a": "yes"}'):
        assert Destination.from_metadata(text, "U0ALICE") == ("modal", Destination("U0ALICE"))
