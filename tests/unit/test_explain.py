"""What each status tells the person: a headline, advice and a code to quote, for every status."""

from __future__ import annotations

import pytest

from bot.explain import explain
from bot.kaleyra import KaleyraOutcome, Verification
from bot.request import ResendRequest
from bot.resend_values import Requester, ResendResult
from bot.status import Status

REQUEST = ResendRequest("766000000001", "678997654321098", "+919876543210")


def result(status: Status, **fields: object) -> ResendResult:
    base: dict[str, object] = {
        "waba_name": "Acme Retail",
        "phone_number": "+919876543210",
        "verification": Verification.SMS,
    }
    return ResendResult(status, Requester("U0ALICE"), REQUEST, **(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_words_an_emoji_and_a_code(status: Status) -> None:
    explanation = explain(result(status))
    assert explanation.headline and explanation.emoji.startswith(":") and explanation.code
    assert "+919876543210" not in explanation.as_text()  # the number is masked


def test_kaleyras_code_is_the_one_to_quote() -> None:
    outcome = KaleyraOutcome(Status.UPSTREAM_ERROR, "WA500", "try later", 500, 80)
    explanation = explain(result(Status.UPSTREAM_ERROR, kaleyra=outcome))
    assert explanation.code == "WA500" and "try later" in explanation.advice


@pytest.mark.parametrize(
    ("status", "code"),
    [(Status.TIMEOUT, "TIMEOUT"), (Status.REFUSED_COOLDOWN, "COOLDOWN"), (Status.REFUSED_NOT_ALLOWED, "NOT_ALLOWED")],
)
def test_without_a_kaleyra_code_the_status_gives_one(status: Status, code: str) -> None:
    assert explain(result(status)).code == code


def test_a_dry_run_says_so_in_every_outcome() -> None:
    explanation = explain(result(Status.SENT, dry_run=True))
    assert explanation.headline.startswith("Dry run:") and "KALEYRA_DRY_RUN" in explanation.advice


def test_a_timeout_says_the_outcome_is_unknown() -> None:
    assert "may or may not" in explain(result(Status.TIMEOUT)).advice


def test_only_outcomes_that_may_have_reached_a_person_keep_the_cooldown() -> None:
    kept = {s for s in Status if s.may_have_sent}
    assert kept == {Status.SENT, Status.UPSTREAM_ERROR, Status.TIMEOUT, Status.UNEXPECTED_RESPONSE}
    assert not kept & {s for s in Status if s.is_refusal}
