"""slack_sdk's own retry handlers: connection errors, and 429s after their Retry-After."""

from __future__ import annotations

from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler


def retry_handlers() -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=2)]
