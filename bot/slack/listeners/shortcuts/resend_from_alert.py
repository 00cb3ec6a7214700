"""Message shortcut "Resend OTP": the modal prefilled from an alert; the outcome in its thread."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.alert_offers import RememberedId
from bot.alerts import AlertFields, extract_alert_fields
from bot.phone import mask_phone
from bot.slack import flows
from bot.slack.alert_card import remembered_note
from bot.slack.blocks import Prefill, escape
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

CALLBACK_ID = "resend_otp_from_message"


def resend_from_alert(ack: Ack, shortcut: dict[str, Any], context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    destination = Destination.from_payload(shortcut, in_thread=True)
    fields = extract_alert_fields(shortcut.get("message") or {})
    trigger_id = str(shortcut.get("trigger_id", ""))
    flows.after_ack(
        deps,
        destination,
        lambda: flows.open_modal(
            deps, trigger_id, "shortcut", destination, lambda allowed: _prefill(deps, fields, allowed)
        ),
    )


def _prefill(deps: SlackDeps, fields: AlertFields, allowed: set[str]) -> Prefill:
    prefill = prefill_from(fields, allowed)
    # Only for a WABA this person may use: a remembered id is that WABA's business.
    if prefill.phone_number_id is None and prefill.waba_id in allowed and prefill.phone_number:
        remembered = deps.service.alerts.remembered_id(prefill.waba_id, prefill.phone_number)
        if remembered is not None:
            return with_remembered(prefill, remembered)
    return prefill


def with_remembered(prefill: Prefill, remembered: RememberedId) -> Prefill:
    """The id the bot saw Kaleyra take for this (WABA, number), saying where it came from."""
    note = f"The {remembered_note(remembered.seen_at)}."
    return replace(
        prefill,
        phone_number_id=remembered.phone_number_id,
        notice=" ".join(filter(None, (prefill.notice, note))),
    )


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
