"""Values the fakes, the store and the tests agree on, and a clock tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WABA = "766000000001"
WABA_NAME = "Acme Retail"
OTHER_WABA = "766000000002"
OTHER_WABA_NAME = "Beta Foods"
PHONE_NUMBER_ID = "678997654321098"
PHONE = "+919876543210"
PHONE_PASTED = "+91 98765-43210"
PHONE_MASKED = "+91\u2022\u2022\u2022\u2022\u2022\u20223210"
ALICE = "U0ALICE"
BOB = "U0BOB"
MALLORY = "U0MALLORY"
ONCALL_GROUP = "S0ONCALL"
KALEYRA_SID = "HXAP16TEST97IN"
# Distinctive, so a leak is found by a plain substring search.
KALEYRA_API_KEY = "kaleyra-key-s3cr3t-7f1c9e2d"
SLACK_BOT_TOKEN = "xoxb-test-token-0123456789"
# Pinned beside the fakes: a Kaleyra that never answers fails a test in 5 s, not the default 20,
# and the cooldown the tests count on is stated rather than assumed.
TEST_TIMINGS = {"KALEYRA_TIMEOUT_SECONDS": "5", "OTP_COOLDOWN_SECONDS": "60"}


class FakeClock:
    """A clock the test moves by hand, so cooldowns are tested without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
