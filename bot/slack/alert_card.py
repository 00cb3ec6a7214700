"""The card the bot posts on an alert in a watched channel: what it would resend, and three buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.alert_offers import AlertOffer
from bot.phone import mask_phone
from bot.resend_values import ResendResult
from bot.slack.blocks import escape, user

RESEND_SMS_ACTION = "resend_sms"
RESEND_VOICE_ACTION = "resend_voice"
OPEN_FORM_ACTION = "open_form"
VERIFICATION_BY_ACTION = {RESEND_SMS_ACTION: "SMS", RESEND_VOICE_ACTION: "VOICE"}


@dataclass(frozen=True)
class CardNote:
    """What the last click on the card did, for everyone in the channel."""

    line: str
    # While the cooldown runs, the resend buttons say when they will work again.
    retry_at: datetime | None = None


def remembered_note(moment: datetime) -> str:
    return f"phone number id from the last resend on {moment:%Y-%m-%d}"


def card_text(offer: AlertOffer) -> str:
    return f"Resend the WhatsApp OTP for {mask_phone(offer.phone_number)} on {escape(offer.waba_name)}?"


def card_blocks(offer: AlertOffer, note: CardNote | None = None) -> list[Block]:
    """The card: WABA name, masked number, phone number id, and the buttons (values: the card's reference)."""
    if offer.phone_number_id is None:
        id_line = "Phone number id: not in the alert, and no earlier resend for this number: use the form."
    else:
        id_line = f"Phone number id: `{offer.phone_number_id}`"
        if offer.remembered_at is not None:
            id_line += f" ({remembered_note(offer.remembered_at)})"
    facts = f"*{escape(offer.waba_name)}* · {mask_phone(offer.phone_number)}\n{id_line}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*Resend the WhatsApp OTP?*\n{facts}"))]
    after = f" (after {note.retry_at:%H:%M} UTC)" if note and note.retry_at else ""
    buttons = [ButtonElement(text="Open the form", action_id=OPEN_FORM_ACTION, value=offer.reference)]
    if offer.phone_number_id is not None:
        buttons[:0] = [
            ButtonElement(text=f"Resend by SMS{after}", action_id=RESEND_SMS_ACTION, value=offer.reference),
            ButtonElement(text=f"Resend by voice call{after}", action_id=RESEND_VOICE_ACTION, value=offer.reference),
        ]
    blocks.append(ActionsBlock(block_id="alert_card", elements=buttons))
    if note is not None:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note.line)]))
    return blocks


def note_for(result: ResendResult, at: datetime) -> CardNote:
    """ "sent via SMS by @bob at 03:12 UTC · WA200": who sent what, when, and the code."""
    via = result.verification.value if result.verification else "SMS"
    what = "sent" if result.status.succeeded else result.status.label
    code = result.kaleyra.code if result.kaleyra and result.kaleyra.code else result.status.code
    line = f"{result.status.emoji} {what} via {via} by {user(result.requester.user_id)} at {at:%H:%M} UTC · {code}"
    return CardNote(line, result.retry_at)
