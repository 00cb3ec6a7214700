"""The "Resend WhatsApp OTP" Workflow Builder step (manifest `functions.resend_otp`).

The same use case as every other surface, on behalf of the step's `user_id`: a Kaleyra outcome
completes the step with its outputs, a refusal fails it with the plain-language reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot.explain import PLAIN, explain
from bot.principals import USER_ID
from bot.request import ResendRequest
from bot.resend_values import Origin, ResendResult
from bot.slack import flows
from bot.slack.client import SLACK_FAILURES, error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps, deps_of

log = logging.getLogger(__name__)

STEP_CALLBACK_ID = "resend_otp"
SURFACE = "workflow"
# A public or private channel, or a DM: what `slack#/types/channel_id` carries.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,31}\Z")
NO_USER = (
    "Nothing was sent: the step needs the person it acts for. In Workflow Builder, map the "
    "step's User input (e.g. to the person who used this workflow)."
)


@dataclass(frozen=True)
class Execution:
    """One run of the step: the id Slack completes it by, and the token Slack gave for that."""

    function_execution_id: str
    # The just-in-time token in the event (`bot_access_token`); None leaves the bot token.
    token: str | None

    def complete(self, deps: SlackDeps, outputs: dict[str, str]) -> None:
        token = {"token": self.token} if self.token else {}
        deps.client.call(
            lambda web: web.functions_completeSuccess(
                function_execution_id=self.function_execution_id, outputs=outputs, **token
            )
        )

    def fail(self, deps: SlackDeps, error: str) -> None:
        token = {"token": self.token} if self.token else {}
        deps.client.call(
            lambda web: web.functions_completeError(
                function_execution_id=self.function_execution_id, error=error, **token
            )
        )


def resend_otp_step(ack: Ack, inputs: dict[str, Any], context: BoltContext) -> None:
    # Acked at once like every surface: the resend (up to KALEYRA_TIMEOUT_SECONDS) runs after.
    ack()
    deps = deps_of(context)
    execution = Execution(str(context.function_execution_id or ""), context.function_bot_access_token)
    user_id = _text(inputs.get("user_id"))
    destination = Destination(user_id=user_id)
    flows.after_ack(deps, destination, lambda: run_step(deps, execution, inputs), calls_kaleyra=True)


def run_step(deps: SlackDeps, execution: Execution, inputs: Mapping[str, Any]) -> None:
    """Resend for the step's user and end the step either way: never left running."""
    user_id = _text(inputs.get("user_id"))
    try:
        if not USER_ID.match(user_id):
            _end(deps, execution, error=NO_USER)
            return
        channel = _text(inputs.get("channel_id"))
        origin = Origin(SURFACE, channel if _CHANNEL_ID.match(channel) else None)
        request = ResendRequest(
            waba_id=_text(inputs.get("waba_id")),
            phone_number_id=_text(inputs.get("phone_number_id")),
            phone_number=_text(inputs.get("phone_number")),
            verification=_text(inputs.get("type_verification")) or "SMS",
        )
        result = deps.resender.resend(deps.groups.requester(user_id), origin, request)
    except SQLAlchemyError:
        log.exception("the store failed during a workflow step")
        _end(deps, execution, error=flows.STORE_DOWN)
        return
    except Exception:
        log.exception("a workflow step failed")
        _end(deps, execution, error=flows.UNEXPECTED)
        return
    if result.status.is_refusal:
        explanation = explain(result, PLAIN)
        _end(deps, execution, error=f"{explanation.headline} {explanation.advice}".strip())
    else:
        _end(deps, execution, outputs=step_outputs(result))


def step_outputs(result: ResendResult) -> dict[str, str]:
    """The step's outputs (manifest `output_parameters`), all strings a later step can use."""
    explanation = explain(result, PLAIN)
    return {
        "status": result.status.value,
        "code": explanation.code,
        "message": f"{explanation.headline} {explanation.advice}",
        "attempt_id": str(result.attempt_id) if result.attempt_id is not None else "",
    }


def _end(deps: SlackDeps, execution: Execution, *, outputs: dict[str, str] | None = None, error: str = "") -> None:
    try:
        if outputs is not None:
            execution.complete(deps, outputs)
        else:
            execution.fail(deps, error)
    except SLACK_FAILURES as exc:
        # Slack ends the step itself after its own timeout; the attempt is audited either way.
        log.warning("could not end workflow step %s: %s", execution.function_execution_id[:40], error_code(exc))


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
