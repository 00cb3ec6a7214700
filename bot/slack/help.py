"""`/resend-otp help`."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.slack.blocks import open_modal_button
from bot.slack.command_text import USAGE

HELP = f"""*Resend a WhatsApp verification OTP through Kaleyra*
• `/resend-otp` opens a form.
• `{USAGE}` sends at once, e.g. `/resend-otp 766123456789012 678997654321098 +91 98765 43210 voice`.
• `/resend-otp history [PHONE|WABA_ID]` shows recent attempts you can see.
• On an alert, choose *Resend OTP* from the message's ⋯ menu: the form opens prefilled and the outcome \
goes into the alert's thread.
One resend per number per cooldown, whoever asks. Admins: `/resend-otp grant @user|@group WABA_ID|*`, \
`revoke`, `grants`, `waba add WABA_ID NAME`, `waba list`."""


def help_blocks() -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=HELP)), open_modal_button()]
