"""manifest.yml checked offline as far as Slack's schema allows: the Workflow step, its events, the scopes.

Slack validates a manifest only when an app is created or updated from it; what can be checked here is
that every function parameter has a type Slack allows, that the step the code registers is declared
with the inputs it reads and the outputs it returns, and that the bot token asks for every scope the
code's Web API calls need, and no more.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.request import ResendRequest
from bot.resend_values import Requester, ResendResult
from bot.slack.listeners.functions.resend_otp_step import STEP_CALLBACK_ID, step_outputs
from bot.status import Status

ROOT = Path(__file__).resolve().parents[2]
MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Slack's types for function parameters (docs.slack.dev/reference/types).
SLACK_TYPES = frozenset(
    {"string", "boolean", "integer", "number", "array", "object"}
    | {
        f"slack#/types/{name}"
        for name in (
            "user_id",
            "channel_id",
            "usergroup_id",
            "team_id",
            "timestamp",
            "date",
            "message_ts",
            "message_context",
            "blocks",
            "rich_text",
            "expanded_rich_text",
            "interactivity",
            "user_context",
            "file_id",
            "canvas_id",
            "canvas_template_id",
            "list_id",
            "user_permission",
            "options_select",
            "options_field",
            "credential/oauth2",
        )
    }
)
# The scope each Web API method the bot calls needs (docs.slack.dev/reference/methods); a method
# missing here fails the test until someone looks its scope up.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_getPermalink": frozenset(),
    "conversations_open": frozenset({"im:write"}),
    "usergroups_users_list": frozenset({"usergroups:read"}),
    "users_info": frozenset({"users:read"}),
    "views_open": frozenset(),
    "views_publish": frozenset(),
    "views_update": frozenset(),
    "functions_completeSuccess": frozenset(),
    "functions_completeError": frozenset(),
    "auth_test": frozenset(),
}
# Needed by the manifest's features rather than a call: the slash command and the shortcut,
# posting an outcome in a public channel the bot was never invited to, and the message events of
# watched alert channels (public and private).
FEATURE_SCOPES = frozenset({"commands", "chat:write.public", "channels:history", "groups:history"})
STEP = MANIFEST["functions"][STEP_CALLBACK_ID]


def parameters() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (callback_id, name, spec)
        for callback_id, function in MANIFEST["functions"].items()
        for side in ("input_parameters", "output_parameters")
        for name, spec in function[side].items()
    ]


@pytest.mark.parametrize(("function", "name", "spec"), parameters(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_function_parameter_has_a_type_slack_allows(function: str, name: str, spec: dict[str, Any]) -> None:
    assert spec["type"] in SLACK_TYPES, f"{function}.{name}: {spec['type']!r}"
    assert spec.get("name", name) == name
    assert spec.get("title"), f"{function}.{name} needs a title for Workflow Builder"
    if "enum" in spec:
        assert [c["value"] for c in spec.get("choices", [])] == spec["enum"]
        assert spec.get("default", spec["enum"][0]) in spec["enum"]


def test_the_step_is_declared_with_the_inputs_of_the_spec() -> None:
    inputs = STEP["input_parameters"]
    assert STEP["title"] and STEP["description"]
    required = {name for name, spec in inputs.items() if spec.get("is_required")}
    assert required == {"waba_id", "phone_number_id", "phone_number", "user_id"}
    assert inputs["user_id"]["type"] == "slack#/types/user_id"
    assert {inputs[name]["type"] for name in ("waba_id", "phone_number_id", "phone_number")} == {"string"}
    verification = inputs["type_verification"]
    assert (verification["type"], verification["enum"], verification["default"]) == ("string", ["SMS", "VOICE"], "SMS")


def test_the_step_returns_exactly_the_outputs_it_declares() -> None:
    result = ResendResult(Status.SENT, Requester("U1"), ResendRequest("1", "2", "+919876543210"), attempt_id=7)
    outputs = step_outputs(result)
    declared = STEP["output_parameters"]
    assert set(outputs) == set(declared) == {"status", "code", "message", "attempt_id"}
    assert {declared[name]["type"] for name in declared} == {"string"}


def test_custom_steps_are_enabled_and_their_event_subscribed() -> None:
    settings = MANIFEST["settings"]
    assert settings["org_deploy_enabled"] is True
    assert settings["function_runtime"] == "remote"
    registered = set(re.findall(r'app\.event\("([a-z_]+)"\)', (ROOT / "bot/slack/listeners/__init__.py").read_text()))
    # A `message` listener hears the message events of the kinds of channel the app subscribes to.
    subscribed = {event.split(".")[0] for event in settings["event_subscriptions"]["bot_events"]}
    assert subscribed == registered | {"function_executed"}
    assert {"message.channels", "message.groups"} <= set(settings["event_subscriptions"]["bot_events"])


def test_the_bot_token_asks_for_every_scope_the_code_needs_and_no_more() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "bot").rglob("*.py"))
    called = set(re.findall(r"\bweb\.([a-zA-Z_]+)\(", source))
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"look up the scopes of {sorted(unknown)} and add them to METHOD_SCOPES"
    needed = FEATURE_SCOPES.union(*(METHOD_SCOPES[method] for method in called))
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
