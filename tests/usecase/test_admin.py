"""WABA and grant administration as the CLI and Slack share it: what the admin is told, what is stored,
and what the admin log keeps so a mistake can be put back by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from bot.store import access, owners, wabas
from bot.store.admin_log import recent_admin_actions
from tests.support import MALLORY, WABA

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
NEW_WABA = "766000000099"


def logged(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(a.action, a.detail) for a in reversed(recent_admin_actions(session))]


def refusal(sessions: sessionmaker[Session], change: Callable[[Session], str]) -> str:
    """What a change that cannot be made says; it leaves nothing in the admin log."""
    with sessions.begin() as session, pytest.raises(admin.AdminError) as refused:
        change(session)
    assert logged(sessions) == []
    return str(refused.value)


def test_a_waba_on_its_own_account_and_region_is_added_changed_and_put_back(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        said = admin.add_waba(session, "U0OPS", NEW_WABA, "Gamma Pay", "HXEU16GAMMA97EU", "eu")
    assert said == f"Added WABA {NEW_WABA} (Gamma Pay)."
    with sessions.begin() as session:
        said = admin.add_waba(session, "U0OPS", NEW_WABA, None, "HXEU16DELTA97EU", "")
    assert said == (
        f"Updated WABA {NEW_WABA} (Gamma Pay): sid: 'HXEU16GAMMA97EU' → 'HXEU16DELTA97EU'; "
        "region: 'eu' → (the bot's default)."
    )
    with sessions() as session:
        waba = wabas.get_waba(session, NEW_WABA)
        assert waba is not None and (waba.kaleyra_sid, waba.kaleyra_region) == ("HXEU16DELTA97EU", None)

    assert logged(sessions) == [
        ("waba_add", f"{NEW_WABA} Gamma Pay sid=HXEU16GAMMA97EU region=eu"),
        ("waba_update", f"{NEW_WABA} sid: 'HXEU16GAMMA97EU' → 'HXEU16DELTA97EU'; region: 'eu' → (the bot's default)"),
    ]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            (NEW_WABA, "Gamma Pay", "hx-lower", None),
            "'hx-lower' is not a Kaleyra SID: uppercase letters and digits, e.g. HXAP16XXXXXX97IN",
        ),
        ((NEW_WABA, "Gamma Pay", None, "mars"), "region must be one of in, ap, eu, na"),
        ((NEW_WABA, None, None, None), f"WABA {NEW_WABA} is new: give it a name, e.g. --name 'Acme Retail'"),
        (("766-x", "Gamma Pay", None, None), "'766-x' is not a WABA id: write its digits, e.g. 766123456789012"),
    ],
)
def test_a_waba_that_cannot_be_added_says_why(
    sessions: sessionmaker[Session], fields: tuple[str, str | None, str | None, str | None], says: str
) -> None:
    # Word for word: only grants take `*`, so only they offer it.
    assert refusal(sessions, lambda session: admin.add_waba(session, "U0OPS", *fields)) == says


def test_a_grant_that_ends_says_when_and_a_changed_end_keeps_the_old_one_in_the_log(
    seeded: sessionmaker[Session],
) -> None:
    eight_hours, a_week = timedelta(hours=8), timedelta(days=7)
    with seeded.begin() as session:
        first = admin.grant(session, "U0OPS", MALLORY, WABA, eight_hours, now=NOW)
        again = admin.grant(session, "U0OPS", MALLORY, WABA, eight_hours, now=NOW)
        longer = admin.grant(session, "U0OPS", MALLORY, WABA, a_week, now=NOW)
        for_good = admin.grant(session, "U0OPS", MALLORY, WABA, None, now=NOW + timedelta(days=8))

    assert first == f"Granted WABA {WABA} to {MALLORY} until 2026-12-02 17:30 UTC."
    assert again == f"{MALLORY} already had WABA {WABA} until 2026-12-02 17:30 UTC."
    assert longer == f"Granted WABA {WABA} to {MALLORY} until 2026-12-09 09:30 UTC."
    assert for_good == f"Granted WABA {WABA} to {MALLORY}."
    with seeded() as session:
        assert access.may_use(session, frozenset({MALLORY}), WABA, now=NOW + timedelta(days=30))
    assert logged(seeded) == [
        ("grant", f"{MALLORY} {WABA} until 2026-12-02 17:30 UTC"),
        ("grant", f"{MALLORY} {WABA} until 2026-12-09 09:30 UTC (was until 2026-12-02 17:30 UTC)"),
        # The old end had passed when it was replaced: the log says so.
        ("grant", f"{MALLORY} {WABA} (was ended 2026-12-09 09:30 UTC)"),
    ]


def test_an_end_is_ended_from_its_very_minute() -> None:
    assert admin.until(None) == "permanent"
    assert admin.until(NOW) == "until 2026-12-02 09:30 UTC"
    assert admin.until(NOW, NOW) == "ended 2026-12-02 09:30 UTC"
    assert admin.until(NOW + timedelta(seconds=1), NOW) == "until 2026-12-02 09:30 UTC"


def test_a_grant_for_a_waba_id_that_is_not_one_offers_every_waba(sessions: sessionmaker[Session]) -> None:
    said = refusal(sessions, lambda session: admin.grant(session, "U0OPS", MALLORY, "acme", None, now=NOW))
    assert said == "'acme' is not a WABA id: write its digits, e.g. 766123456789012 or * for every WABA"


def test_an_owner_is_added_once_to_a_known_waba_and_removed_each_change_logged(
    seeded: sessionmaker[Session],
) -> None:
    with seeded.begin() as session:
        added = admin.add_owner(session, "U0OPS", MALLORY, WABA)
        again = admin.add_owner(session, "U0OPS", MALLORY, WABA)
    with seeded() as session:
        assert owners.owns(session, MALLORY, WABA)
    with seeded.begin() as session:
        removed = admin.remove_owner(session, "U0OPS", MALLORY, WABA)

    assert added == f"{MALLORY} now owns WABA {WABA}: they may grant, revoke and approve requests for it."
    assert again == f"{MALLORY} owned WABA {WABA} already."
    assert removed == f"{MALLORY} no longer owns WABA {WABA}."
    with seeded() as session:
        assert not owners.owns(session, MALLORY, WABA)
    assert logged(seeded) == [("owner_add", f"{MALLORY} {WABA}"), ("owner_remove", f"{MALLORY} {WABA}")]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda s: admin.add_owner(s, "U0OPS", "S0GROUP", WABA), "'S0GROUP' is not a Slack user id (U… or W…)"),
        (lambda s: admin.add_owner(s, "U0OPS", MALLORY, "*"), "'*' is not a WABA id: write its digits"),
        (
            lambda s: admin.add_owner(s, "U0OPS", MALLORY, NEW_WABA),
            f"WABA {NEW_WABA} is not one the bot knows: add it first with `waba add`",
        ),
        (
            lambda s: admin.remove_owner(s, "U0OPS", MALLORY, WABA),
            f"{MALLORY} does not own WABA {WABA} (see `owners {WABA}`)",
        ),
        (lambda s: admin.remove_owner(s, "U0OPS", "alice", WABA), "'alice' is not a Slack user id (U… or W…)"),
        (lambda s: admin.remove_owner(s, "U0OPS", MALLORY, "acme"), "'acme' is not a WABA id: write its digits"),
    ],
)
def test_an_owner_change_that_cannot_be_made_says_why(
    seeded: sessionmaker[Session], change: Callable[[Session], str], says: str
) -> None:
    assert refusal(seeded, change).startswith(says)


def test_a_channel_is_watched_once_and_unwatched_each_change_logged(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        watched = admin.watch_channel(session, "U0OPS", "C0ALERTS")
        again = admin.watch_channel(session, "U0OPS", "C0ALERTS")
        unwatched = admin.unwatch_channel(session, "U0OPS", "C0ALERTS")

    assert watched == (
        "Watching channel C0ALERTS: alerts there that name a WABA and a number get resend buttons. "
        "In a private channel, invite the bot (/invite @resend-otp)."
    )
    assert again == "Channel C0ALERTS was watched already."
    assert unwatched == "No longer watching channel C0ALERTS."
    assert logged(sessions) == [("watch_add", "C0ALERTS"), ("watch_remove", "C0ALERTS")]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda s: admin.watch_channel(s, "U0OPS", "#alerts"),
            "'#alerts' is not a Slack channel id: in Slack, the channel's name > About > Channel ID (C…)",
        ),
        (lambda s: admin.unwatch_channel(s, "U0OPS", "alerts"), "'alerts' is not a Slack channel id"),
        (
            lambda s: admin.unwatch_channel(s, "U0OPS", "C0ALERTS"),
            "channel C0ALERTS is not watched (see `watch list`)",
        ),
    ],
)
def test_a_watch_change_that_cannot_be_made_says_why(
    sessions: sessionmaker[Session], change: Callable[[Session], str], says: str
) -> None:
    assert refusal(sessions, change).startswith(says)
