"""What an outcome means for the person who asked, in plain words; every surface shows this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.kaleyra import OutcomeKind
from bot.resend import DRY_RUN, Refusal, ResendResult

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
    explanation = _explain(result, style)
    if result.dry_run:
        return Explanation(
            ":test_tube:",
            f"Dry run: {explanation.headline[0].lower()}{explanation.headline[1:]}",
            explanation.advice + " (KALEYRA_DRY_RUN is on: Kaleyra was not called.)",
            explanation.code,
        )
    return explanation


def _explain(result: ResendResult, style: Style) -> Explanation:
    number = result.masked_number
    via = result.verification.value if result.verification else "SMS"
    waba = style.text(result.waba_name or result.request.waba_id)
    kaleyra = result.kaleyra
    # Kaleyra writes the message; a long one must not push the reply past Slack's limits.
    said = style.text(_cut(kaleyra.message, 300)) if kaleyra else ""
    code = style.text((kaleyra.code if kaleyra and kaleyra.code else None) or result.status)
    retry = f" Another resend is possible after {style.time(result.retry_at)}." if result.retry_at else ""
    match result.status:
        case OutcomeKind.SENT:
            return Explanation(
                ":white_check_mark:",
                f"OTP sent by {via} to {number} on {waba}.",
                "Kaleyra accepted the request: the customer should receive a new code shortly." + retry,
                code,
            )
        case _ if result.status == DRY_RUN:
            return Explanation(
                ":test_tube:",
                f"Would have sent an OTP by {via} to {number} on {waba}.",
                "Every check passed and the attempt was audited." + retry,
                "DRY_RUN",
            )
        case OutcomeKind.ALREADY_VERIFIED:
            return Explanation(
                ":large_green_circle:",
                f"{number} is already verified on {waba}: no OTP is needed.",
                f"Kaleyra says: {said}. Nothing was sent.",
                code,
            )
        case OutcomeKind.BAD_REQUEST:
            fields = [_FIELD_NAMES.get(name, name) for name in (kaleyra.field_errors if kaleyra else {})]
            return Explanation(
                ":x:",
                "Kaleyra refused the request; nothing was sent.",
                f"Kaleyra says the {style.text(', '.join(fields) or 'request')} was wrong: {said}. "
                "Check it and try again.",
                code,
            )
        case OutcomeKind.AUTH:
            return Explanation(
                ":closed_lock_with_key:",
                "The bot's Kaleyra credentials were refused; nothing was sent.",
                "This is not your fault: ask an admin to check the bot's KALEYRA_SID and KALEYRA_API_KEY.",
                code,
            )
        case OutcomeKind.NOT_ON_ACCOUNT:
            return Explanation(
                ":x:",
                f"WABA {style.text(result.request.waba_id)} is not on the bot's Kaleyra account; nothing was sent.",
                "Check the WABA id; if it belongs to another Kaleyra account, ask an admin.",
                code,
            )
        case OutcomeKind.UPSTREAM_ERROR:
            return Explanation(
                ":warning:",
                "Kaleyra failed to process the request.",
                f"Kaleyra says: {said}. An OTP may or may not have gone out; try again in a few minutes." + retry,
                code,
            )
        case OutcomeKind.TIMEOUT:
            return Explanation(
                ":hourglass:",
                "Kaleyra did not answer in time: the outcome is unknown.",
                "An OTP may or may not have been sent. Ask the customer whether a code arrived before "
                "trying again." + retry,
                "TIMEOUT",
            )
        case OutcomeKind.UNREACHABLE:
            return Explanation(
                ":electric_plug:",
                "Could not reach Kaleyra; nothing was sent.",
                "Try again in a minute; if it keeps failing, tell an admin.",
                "UNREACHABLE",
            )
        case OutcomeKind.UNEXPECTED_RESPONSE:
            answer = f"HTTP {kaleyra.http_status}" if kaleyra and kaleyra.http_status else "a broken answer"
            return Explanation(
                ":grey_question:",
                f"Kaleyra answered with {answer} that the bot could not read.",
                "An OTP may or may not have been sent. Ask the customer before trying again." + retry,
                code if kaleyra and kaleyra.code else "UNEXPECTED_RESPONSE",
            )
    return _explain_refusal(result, style)


def _explain_refusal(result: ResendResult, style: Style) -> Explanation:
    details = style.text(" ".join(result.field_errors.values()))
    match result.status:
        case Refusal.COOLDOWN if result.held is not None:
            held = result.held
            return Explanation(
                ":stopwatch:",
                "Nothing was sent: this number is in cooldown.",
                f"{_asker(held.user_id, result, style)} asked for an OTP to this number at "
                f"{style.time(held.claimed_at)}. "
                f"Try again after {style.time(held.expires_at)}.",
                "COOLDOWN",
            )
        case Refusal.RATE_LIMITED if result.retry_at is not None:
            return Explanation(
                ":stopwatch:",
                "Nothing was sent: you have reached the limit of resends per person per hour.",
                f"The next one is possible after {style.time(result.retry_at)}.",
                "RATE_LIMITED",
            )
        case Refusal.NOT_ALLOWED:
            return Explanation(":no_entry:", "Nothing was sent: not allowed.", details, "NOT_ALLOWED")
        case Refusal.STORE_UNAVAILABLE:
            return Explanation(
                ":rotating_light:",
                "Nothing was sent: the bot's database is not answering in time.",
                "It did not answer within a few seconds, so the bot stopped waiting. Try again in a minute; "
                "if it keeps failing, tell an admin.",
                "STORE_UNAVAILABLE",
            )
        case Refusal.INVALID:
            return Explanation(":pencil2:", "Nothing was sent: some fields need fixing.", details, "INVALID")
    return Explanation(":grey_question:", f"Outcome: {style.text(str(result.status))}.", details, "UNKNOWN")


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def _asker(user_id: str, result: ResendResult, style: Style) -> str:
    return "You" if user_id == result.requester.user_id else style.person(user_id)
