"""What an outcome means for the person who asked, in plain words; every surface shows this."""

from __future__ import annotations

from dataclasses import dataclass

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
class Explanation:
    emoji: str
    headline: str
    advice: str
    code: str

    def as_text(self) -> str:
        return f"{self.headline}\n{self.advice}\nCode: {self.code}"


def explain(result: ResendResult) -> Explanation:
    """Headline, what it means and what to do, and the code to quote."""
    explanation = _explain(result)
    if result.dry_run:
        return Explanation(
            ":test_tube:",
            f"Dry run: {explanation.headline[0].lower()}{explanation.headline[1:]}",
            explanation.advice + " (KALEYRA_DRY_RUN is on: Kaleyra was not called.)",
            explanation.code,
        )
    return explanation


def _explain(result: ResendResult) -> Explanation:
    number = result.masked_number
    via = result.verification.value if result.verification else "SMS"
    waba = result.waba_name or result.request.waba_id
    kaleyra = result.kaleyra
    code = (kaleyra.code if kaleyra and kaleyra.code else None) or result.status
    retry = f" Another resend is possible after {result.retry_at:%H:%M:%S} UTC." if result.retry_at else ""
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
                f"Kaleyra says: {kaleyra.message if kaleyra else ''}. Nothing was sent.",
                code,
            )
        case OutcomeKind.BAD_REQUEST:
            return Explanation(":x:", "Kaleyra refused the request; nothing was sent.", _bad_fields(result), code)
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
                f"WABA {result.request.waba_id} is not on the bot's Kaleyra account; nothing was sent.",
                "Check the WABA id; if it belongs to another Kaleyra account, ask an admin.",
                code,
            )
        case OutcomeKind.UPSTREAM_ERROR:
            return Explanation(
                ":warning:",
                "Kaleyra failed to process the request.",
                f"Kaleyra says: {kaleyra.message if kaleyra else ''}. An OTP may or may not have gone out; "
                "try again in a few minutes." + retry,
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
            status = f"HTTP {kaleyra.http_status}" if kaleyra and kaleyra.http_status else "a broken answer"
            return Explanation(
                ":grey_question:",
                f"Kaleyra answered with {status} that the bot could not read.",
                "An OTP may or may not have been sent. Ask the customer before trying again." + retry,
                code if kaleyra and kaleyra.code else "UNEXPECTED_RESPONSE",
            )
    return _explain_refusal(result)


def _explain_refusal(result: ResendResult) -> Explanation:
    details = " ".join(result.field_errors.values())
    match result.status:
        case Refusal.COOLDOWN:
            return Explanation(":stopwatch:", "Nothing was sent: this number is in cooldown.", details, "COOLDOWN")
        case Refusal.NOT_ALLOWED:
            return Explanation(":no_entry:", "Nothing was sent: not allowed.", details, "NOT_ALLOWED")
        case Refusal.STORE_UNAVAILABLE:
            return Explanation(
                ":rotating_light:",
                "Nothing was sent: the bot's database is not answering.",
                "Try again in a minute; if it keeps failing, tell an admin.",
                "STORE_UNAVAILABLE",
            )
        case Refusal.INVALID:
            return Explanation(":pencil2:", "Nothing was sent: some fields need fixing.", details, "INVALID")
    return Explanation(":grey_question:", f"Outcome: {result.status}.", details, result.status.upper())


def _bad_fields(result: ResendResult) -> str:
    kaleyra = result.kaleyra
    errors = kaleyra.field_errors if kaleyra else {}
    fields = [_FIELD_NAMES.get(name, name) for name in errors] or ["request"]
    return (
        f"Kaleyra says the {', '.join(fields)} was wrong: {kaleyra.message if kaleyra else ''}. Check it and try again."
    )
