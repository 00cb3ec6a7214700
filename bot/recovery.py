"""After a crash: the channels whose "sending…" parent message was left behind hear that the outcome is unknown.

`mark_stale_pending` turns the attempts a dead process left `pending` into `unknown`; this updates
their parent messages (recorded with `record_parent` when each was posted) once, at the next start.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.phone import mask_phone
from bot.slack.blocks import escape, user
from bot.store import attempts, wabas

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

# Slack's answers that a later start may not get; any other error (the message or channel is gone,
# the bot left it) would never change, so that parent is given up on and recorded `failed`.
_RETRY_LATER = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable"})
START_TIMEOUT_SECONDS = 5


def announce_interrupted_at_start(settings: Settings, sessions: sessionmaker[Session]) -> int:
    """`announce_interrupted` with a Slack client of its own, built only when there is something to say."""
    with sessions() as session:
        if not attempts.interrupted_parents(session, limit=1):
            return 0
    # Imported here: most starts have nothing to fix up and slack_sdk costs ~60 ms to import.
    from slack_sdk import WebClient

    client = WebClient(
        token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url, timeout=START_TIMEOUT_SECONDS
    )
    return announce_interrupted(client, sessions)


def announce_interrupted(client: WebClient, sessions: sessionmaker[Session]) -> int:
    """Update each "sending…" parent a crash left behind: the outcome is unknown, and how to check it."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    with sessions() as session:
        stranded = [(row, wabas.get_waba(session, row.waba_id)) for row in attempts.interrupted_parents(session)]
    updated = 0
    for row, waba in stranded:
        number = mask_phone(row.phone_number)
        text = (
            f"OTP resend for {number} on {escape(waba.name if waba else row.waba_id)} via {row.verification}, "
            f"asked by {user(row.user_id)}: :grey_question: outcome unknown. The bot restarted during the "
            "Kaleyra call, so an OTP may or may not have been sent: ask the customer whether a code arrived "
            f"before resending. `/resend-otp history {row.waba_id}` lists it (attempt {row.id}, unknown)."
        )
        try:
            client.chat_update(channel=row.parent_channel_id or "", ts=row.parent_ts or "", text=text)
            where = "channel"
            updated += 1
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in _RETRY_LATER:
                log.warning("Slack cannot update interrupted parents now (%s): the next start tries again", error)
                break
            log.warning("cannot update the parent of interrupted attempt %s: %s", row.id, error)
            where = "failed"
        except (SlackClientError, OSError) as exc:
            # Slack unreachable: one timeout, not one per row, before the bot starts serving.
            log.warning("cannot reach Slack to update interrupted parents (%s): the next start tries again", exc)
            break
        with sessions.begin() as session:
            attempts.record_delivery(session, row.id, where)
    return updated
