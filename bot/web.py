"""The WSGI application: Slack's requests, the health check and the metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.answering import Answering

SLACK_PATH = "/slack/events"

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def make_wsgi_app(app: App, engine: Engine, answering: Answering, metrics: Wsgi | None = None) -> Wsgi:
    """`answering` counts the Slack requests in progress so that background work lets their acks go first."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            healthy = database_answers(engine)
            body = b"ok\n" if healthy else b"database unavailable\n"
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/metrics" and metrics is not None:
            return metrics(environ, start_response)
        with answering.request():
            return slack(environ, start_response)

    return application
