"""Slack's signature, and why a request is refused, without reading anything but its bytes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.signature import Rejection, check_signature

SECRET = "signing-secret-for-unit-tests"
NOW = 1_760_000_000.0
BODY = b"command=%2Fresend-otp&text=help"


def signed(body: bytes = BODY, timestamp: int = int(NOW), secret: str = SECRET) -> tuple[str, str]:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return str(timestamp), f"v0={digest}"


def test_slacks_own_signature_passes() -> None:
    assert check_signature(SECRET, BODY, *signed(), NOW) is None


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        (("", ""), Rejection.NO_SIGNATURE),
        (("abc", signed()[1]), Rejection.MALFORMED),
        ((str(int(NOW)), "v0=zz"), Rejection.MALFORMED),
        (signed(timestamp=int(NOW) - 301), Rejection.STALE),
        (signed(timestamp=int(NOW) + 301), Rejection.STALE),
        (signed(secret="another"), Rejection.MISMATCH),
        (signed(body=BODY + b"&x=1"), Rejection.MISMATCH),
    ],
)
def test_every_other_request_is_refused_with_its_reason(headers: tuple[str, str], why: Rejection) -> None:
    assert check_signature(SECRET, BODY, *headers, NOW) is why


def test_rejections_map_to_http_statuses() -> None:
    assert {r: r.http_status for r in Rejection} == {
        Rejection.NO_SIGNATURE: 401,
        Rejection.MALFORMED: 401,
        Rejection.STALE: 401,
        Rejection.MISMATCH: 401,
        Rejection.NO_LENGTH: 411,
        Rejection.TOO_LARGE: 413,
        Rejection.TOO_SLOW: 408,
    }
    assert all(r.reason for r in Rejection)
