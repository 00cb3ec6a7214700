"""Listeners, one folder per Slack surface and one module per listener: parse → service → render."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.access_blocks import (
    APPROVE_ACTION,
    DENY_ACTION,
    DENY_CALLBACK_ID,
    REQUEST_ACCESS_ACTION,
    REQUEST_CALLBACK_ID,
)
from bot.slack.alert_card import OPEN_FORM_ACTION, RESEND_SMS_ACTION, RESEND_VOICE_ACTION
from bot.slack.blocks import MODAL_CALLBACK_ID, OPEN_MODAL_ACTION, RESEND_AGAIN_ACTION
from bot.slack.listeners.actions.alert_card import open_form_from_card, resend_from_card
from bot.slack.listeners.actions.decide_access import approve_access, deny_access, deny_note_submission
from bot.slack.listeners.actions.open_modal import open_resend_modal
from bot.slack.listeners.actions.request_access import request_access
from bot.slack.listeners.actions.resend_again import resend_again
from bot.slack.listeners.commands.resend_otp import COMMAND, resend_otp
from bot.slack.listeners.events.app_home_opened import app_home_opened
from bot.slack.listeners.events.ignored import ANY_EVENT, ignored_event
from bot.slack.listeners.events.message import message
from bot.slack.listeners.functions.resend_otp_step import STEP_CALLBACK_ID, resend_otp_step
from bot.slack.listeners.shortcuts.resend_from_alert import CALLBACK_ID, resend_from_alert
from bot.slack.listeners.views.access_request_submission import access_request_submission
from bot.slack.listeners.views.resend_submission import resend_submission


def register(app: App) -> None:
    app.command(COMMAND)(resend_otp)
    app.view(MODAL_CALLBACK_ID)(resend_submission)
    app.shortcut(CALLBACK_ID)(resend_from_alert)
    app.action(RESEND_AGAIN_ACTION)(resend_again)
    app.action(OPEN_MODAL_ACTION)(open_resend_modal)
    app.action(RESEND_SMS_ACTION)(resend_from_card)
    app.action(RESEND_VOICE_ACTION)(resend_from_card)
    app.action(OPEN_FORM_ACTION)(open_form_from_card)
    app.event("app_home_opened")(app_home_opened)
    # Access requests (SPEC's flow 7).
    app.action(REQUEST_ACCESS_ACTION)(request_access)
    app.view(REQUEST_CALLBACK_ID)(access_request_submission)
    app.action(APPROVE_ACTION)(approve_access)
    app.action(DENY_ACTION)(deny_access)
    app.view(DENY_CALLBACK_ID)(deny_note_submission)
    app.function(STEP_CALLBACK_ID)(resend_otp_step)
    app.event("message")(message)
    # Last: Bolt runs the first listener that matches, and this one matches every event.
    app.event(ANY_EVENT)(ignored_event)
