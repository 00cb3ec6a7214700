"""Message shortcut "Resend OTP": the modal prefilled from an alert; the outcome in its thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.alerts import AlertFields, extract_alert_fields
from bot.phone import mask_phone
from bot.slack import flows
from bot.slack.blocks import Prefill
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps
from bot.slack.mrkdwn import escape

CALLBACK_ID = "resend_otp_from_message"


def register(app: App, deps: SlackDeps) -> None:
    @app.shortcut(CALLBACK_ID)
    def resend_from_alert(ack: Ack, shortcut: dict[str, Any]) -> None:
        ack()
        message = shortcut.get("message") or {}
        destination = Destination(
            user_id=shortcut["user"]["id"],
            channel_id=(shortcut.get("channel") or {}).get("id"),
            # A reply inside a thread answers in that thread, not a new one under the reply.
            thread_ts=message.get("thread_ts") or message.get("ts") or shortcut.get("message_ts"),
            response_url=shortcut.get("response_url"),
        )
        flows.in_background(deps.quick, deps, destination, _open, deps, shortcut["trigger_id"], destination, message)


def _open(deps: SlackDeps, trigger_id: str, destination: Destination, message: dict[str, Any]) -> None:
    fields = extract_alert_fields(message)
    flows.open_modal(deps, trigger_id, "shortcut", destination, lambda allowed: prefill_from(fields, allowed))


def prefill_from(fields: AlertFields, allowed: set[str]) -> Prefill:
    """The alert's values, preferring a WABA the user may use; say what was left out."""
    waba_id = next((w for w in fields.waba_ids if w in allowed), fields.first_waba_id)
    notes = []
    if not fields.waba_ids and not fields.phone_numbers:
        notes.append("The message names no WABA or phone number: fill in the form.")
    if len(fields.phone_numbers) > 1:
        others = ", ".join(mask_phone(n) for n in fields.phone_numbers[1:4])
        notes.append(f"The message names {len(fields.phone_numbers)} numbers; the first is filled in (also: {others}).")
    return Prefill(
        waba_id=waba_id,
        phone_number_id=fields.first_phone_number_id,
        phone_number=fields.first_phone_number,
        notice=escape(" ".join(notes)) or None,
    )
