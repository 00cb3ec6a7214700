"""What an outcome means for the person who asked, in plain words; every surface shows this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.resend_values import ResendResult
from bot.status import Status

_FIELD_NAMES = {
    "id": "phone number id",
    "phone_number_id": "phone number id",
    "phone_number": "phone number",
    "type_verification": "verification type (SMS or VOICE)",
    "waba_id": "WABA id",
    "payload": "request format",
}


@dataclass(frozen=True)
class Style:
    """How a surface writes outside text, people and times (plain for the CLI; mrkdwn for Slack)."""

    text: Callable[[str], str] = str
    person: Callable[[str], str] = str
    time: Callable[[datetime], str] = lambda moment: f"{moment:%H:%M:%S} UTC"


PLAIN = Style()


@dataclass(frozen=True)
class Explanation:
    emoji: str
    headline: str
    advice: str
    code: str

    def as_text(self) -> str:
        return f"{self.headline}\n{self.advice}\nCode: {self.code}"


def explain(result: ResendResult, style: Style = PLAIN) -> Explanation:
    """Headline, what it means and what to do, and the code to quote."""
    kaleyra = result.kaleyra
    headline, advice = _words(result, style)
    code = style.text(kaleyra.code) if kaleyra is not None and kaleyra.code else result.status.code
    if result.dry_run:
        headline = f"Dry run: {headline[0].lower()}{headline[1:]}"
        advice += " (KALEYRA_DRY_RUN is on: Kaleyra was not called.)"
    emoji = Status.DRY_RUN.emoji if result.dry_run else result.status.emoji
    return Explanation(emoji, headline, advice, code)


def _words(result: ResendResult, style: Style) -> tuple[str, str]:
    number = result.masked_number
    via = result.verification.value if result.verification else "SMS"
    waba = style.text(result.waba_name or result.request.waba_id)
    kaleyra = result.kaleyra
    # Kaleyra writes the message; a long one must not push the reply past Slack's limits.
    said = style.text(_cut(kaleyra.message, 300)) if kaleyra else ""
    retry = f" Another resend is possible after {style.time(result.retry_at)}." if result.retry_at else ""
    match result.status:
        case Status.SENT:
            return (
                f"OTP sent by {via} to {number} on {waba}.",
                "Kaleyra accepted the request: the customer should receive a new code shortly." + retry,
            )
        case Status.DRY_RUN:
            return (
                f"Would have sent an OTP by {via} to {number} on {waba}.",
                "Every check passed and the attempt was audited." + retry,
            )
        case Status.ALREADY_VERIFIED:
            return (
                f"{number} is already verified on {waba}: no OTP is needed.",
                f"Kaleyra says: {said}. Nothing was sent.",
            )
        case Status.BAD_REQUEST:
            fields = [_FIELD_NAMES.get(name, name) for name in (kaleyra.field_errors if kaleyra else {})]
            return (
                "Kaleyra refused the request; nothing was sent.",
                f"Kaleyra says the {style.text(', '.join(fields) or 'request')} was wrong: {said}. "
                "Check it and try again.",
            )
        case Status.AUTH:
            return (
                "The bot's Kaleyra credentials were refused; nothing was sent.",
                "This is not your fault: ask an admin to check the bot's KALEYRA_SID and KALEYRA_API_KEY.",
            )
        case Status.NOT_ON_ACCOUNT:
            return (
                f"WABA {style.text(result.request.waba_id)} is not on the bot's Kaleyra account; nothing was sent.",
                "Check the WABA id; if it belongs to another Kaleyra account, ask an admin.",
            )
        case Status.UPSTREAM_ERROR:
            return (
                "Kaleyra failed to process the request.",
                f"Kaleyra says: {said}. An OTP may or may not have gone out; try again in a few minutes." + retry,
            )
        case Status.TIMEOUT:
            return (
                "Kaleyra did not answer in time: the outcome is unknown.",
                "An OTP may or may not have been sent. Ask the customer whether a code arrived before "
                "trying again." + retry,
            )
        case Status.UNREACHABLE:
            return (
                "Could not reach Kaleyra; nothing was sent.",
                "Try again in a minute; if it keeps failing, tell an admin.",
            )
        case Status.UNEXPECTED_RESPONSE:
            answer = f"HTTP {kaleyra.http_status}" if kaleyra and kaleyra.http_status else "a broken answer"
            return (
                f"Kaleyra answered with {answer} that the bot could not read.",
                "An OTP may or may not have been sent. Ask the customer before trying again." + retry,
            )
    return _refusal_words(result, style)


def _refusal_words(result: ResendResult, style: Style) -> tuple[str, str]:
    details = style.text(" ".join(result.field_errors.values()))
    match result.status:
        case Status.REFUSED_COOLDOWN if result.held is not None:
            held = result.held
            return (
                "Nothing was sent: this number is in cooldown.",
                f"{_asker(held.user_id, result, style)} asked for an OTP to this number at "
                f"{style.time(held.claimed_at)}. Try again after {style.time(held.expires_at)}.",
            )
        case Status.REFUSED_RATE_LIMITED if result.retry_at is not None:
            return (
                "Nothing was sent: you have reached the limit of resends per person per hour.",
                f"The next one is possible after {style.time(result.retry_at)}.",
            )
        case Status.REFUSED_NOT_ALLOWED:
            return "Nothing was sent: not allowed.", details
        case Status.STORE_UNAVAILABLE:
            return (
                "Nothing was sent: the bot's database is not answering in time.",
                "It did not answer within a few seconds, so the bot stopped waiting. Try again in a minute; "
                "if it keeps failing, tell an admin.",
            )
        case Status.REFUSED_INVALID:
            return "Nothing was sent: some fields need fixing.", details
    return f"Outcome: {result.status.label}.", details


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def _asker(user_id: str, result: ResendResult, style: Style) -> str:
    return "You" if user_id == result.requester.user_id else style.person(user_id)
