"""`python -m bot …` end to end, as an operator runs it: a subprocess in a temporary directory."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select

from bot.store import access, wabas
from bot.store.db import make_sessions
from bot.store.models import AdminAction, Attempt, Grant, Waba
from tests.cli.conftest import FULL_DIGITS, bot, migrated_store, one_error_line
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import (
    ALICE,
    KALEYRA_API_KEY,
    KALEYRA_SID,
    MALLORY,
    PHONE,
    PHONE_MASKED,
    PHONE_NUMBER_ID,
    PHONE_PASTED,
    WABA,
    WABA_NAME,
)


def test_operator_adds_a_waba_grants_it_resends_and_audits(
    workdir: Path, env: dict[str, str], fake_kaleyra: FakeKaleyra
) -> None:
    refused = bot(workdir, env, "waba", "list")
    assert "db upgrade" in one_error_line(refused)

    upgraded = bot(workdir, env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (workdir / "resend_otp.db").exists()

    for args in (("waba", "add", WABA, "--name", WABA_NAME), ("grant", ALICE, WABA)):
        done = bot(workdir, env, *args)
        assert done.returncode == 0, done.stderr

    retried = bot(
        workdir,
        env,
        *("retry", "--as", ALICE, "--waba", WABA, "--phone-number-id", PHONE_NUMBER_ID),
        *("--phone", PHONE_PASTED, "--via", "voice"),
    )
    assert retried.returncode == 0, retried.stderr
    assert f"OTP sent by VOICE to {PHONE_MASKED} on {WABA_NAME}" in retried.stdout
    assert "WA200" in retried.stdout
    assert FULL_DIGITS not in retried.stdout
    (request,) = fake_kaleyra.requests
    assert (request.method, request.path) == ("POST", f"/v2/{KALEYRA_SID}/whatsapp/{WABA}/number/retry_otp")
    assert request.headers["api-key"] == KALEYRA_API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "VOICE"}

    audit = bot(workdir, env, "audit")
    assert audit.returncode == 0, audit.stderr
    header, line = audit.stdout.splitlines()
    assert header.split() == [
        "id",
        "at",
        "user",
        "surface",
        "waba_id",
        "phone_number",
        "via",
        "status",
        "code",
        "http_status",
        "latency_ms",
        "delivery",
        "dry_run",
        "repeats",
    ]
    for shown in (ALICE, WABA, PHONE_MASKED, "VOICE", "sent", "WA200"):
        assert shown in line
    assert FULL_DIGITS not in audit.stdout

    as_json = bot(workdir, env, "audit", "--json")
    assert as_json.returncode == 0, as_json.stderr
    (row,) = json.loads(as_json.stdout)
    assert {k: row[k] for k in ("user", "surface", "waba_id", "phone_number", "via", "status", "code")} == {
        "user": ALICE,
        "surface": "cli",
        "waba_id": WABA,
        "phone_number": PHONE_MASKED,
        "via": "VOICE",
        "status": "sent",
        "code": "WA200",
    }
    assert row["http_status"] == 200
    assert FULL_DIGITS not in as_json.stdout


RETRY = ("retry", "--as", ALICE, "--waba", WABA, "--phone-number-id", PHONE_NUMBER_ID)
# (arguments, what the one error line must name)
BAD_ARGUMENTS = [
    (("grant", "alice", WABA), "not a Slack user id"),
    (("grant", ALICE, "766999999999"), "not one the bot knows"),
    (("waba", "add", "acme", "--name", "Acme"), "not a WABA id"),
    (("waba", "add", "\uff17\uff16\uff16", "--name", "Acme"), "not a WABA id"),
    (("waba", "add", WABA, "--name", " "), "name"),
    (("audit", "--limit", "0"), "--limit"),
    (("audit", "--since", "yesterday"), "--since"),
    (("audit", "--phone", "98765 43210"), "Add the country code"),
    (("waba", "add", WABA, "--name", "Acme", "--sid", "../../v1/x?y="), "not a Kaleyra SID"),
    ((*RETRY, "--phone", PHONE, "--via", "fax"), "--via"),
    (RETRY, "--phone"),
]


def test_bad_arguments_print_one_line_and_write_nothing(
    workdir: Path, env: dict[str, str], fake_kaleyra: FakeKaleyra
) -> None:
    engine = migrated_store(workdir)
    # Independent commands, run side by side to keep the suite quick.
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda case: bot(workdir, env, *case[0]), BAD_ARGUMENTS))
    for (args, named), done in zip(BAD_ARGUMENTS, runs, strict=True):
        assert named in one_error_line(done), args
    with make_sessions(engine)() as session:
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (Waba, Grant, AdminAction, Attempt)]
    engine.dispose()
    assert counts == [0, 0, 0, 0]
    assert fake_kaleyra.requests == []


def test_retry_without_the_api_key_names_the_variable(
    workdir: Path, env: dict[str, str], fake_kaleyra: FakeKaleyra
) -> None:
    engine = migrated_store(workdir)
    with make_sessions(engine).begin() as session:
        wabas.add_waba(session, WABA, WABA_NAME)
        access.add_grant(session, ALICE, WABA, by="test")
    del env["KALEYRA_API_KEY"]

    done = bot(workdir, env, "retry", "--as", ALICE, "--waba", WABA, "--phone-number-id", "1", "--phone", PHONE)

    assert "KALEYRA_API_KEY" in one_error_line(done)
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 0
    engine.dispose()
    assert fake_kaleyra.requests == []


def test_refused_retry_exits_non_zero_and_says_why(
    workdir: Path, env: dict[str, str], fake_kaleyra: FakeKaleyra
) -> None:
    engine = migrated_store(workdir)
    with make_sessions(engine).begin() as session:
        wabas.add_waba(session, WABA, WABA_NAME)
    engine.dispose()

    done = bot(workdir, env, "retry", "--as", MALLORY, "--waba", WABA, "--phone-number-id", "1", "--phone", PHONE)

    assert done.returncode == 1
    assert "not allowed" in done.stdout and "NOT_ALLOWED" in done.stdout
    assert fake_kaleyra.requests == []


def test_waba_add_on_a_known_waba_changes_only_the_fields_given(workdir: Path, env: dict[str, str]) -> None:
    migrated_store(workdir).dispose()
    for args in (
        ("waba", "add", WABA, "--name", WABA_NAME, "--sid", "HXEU16OTHER97EU", "--region", "eu"),
        ("waba", "add", WABA, "--name", "Acme Retail EU"),
        ("waba", "add", WABA, "--region", ""),
    ):
        done = bot(workdir, env, *args)
        assert done.returncode == 0, done.stderr

    (header, row) = bot(workdir, env, "waba", "list").stdout.splitlines()
    assert row.split() == [WABA, "Acme", "Retail", "EU", "HXEU16OTHER97EU", "-"]
    logged = bot(workdir, env, "audit", "--admin", "--json")
    assert [(row["action"], row["detail"]) for row in reversed(json.loads(logged.stdout))] == [
        ("waba_add", f"{WABA} {WABA_NAME} sid=HXEU16OTHER97EU region=eu"),
        ("waba_update", f"{WABA} name: '{WABA_NAME}' → 'Acme Retail EU'"),
        ("waba_update", f"{WABA} region: 'eu' → (the bot's default)"),
    ]
    assert "give it a name" in one_error_line(bot(workdir, env, "waba", "add", "766000000009", "--sid", "HX1"))
