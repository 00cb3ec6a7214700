"""Settings: defaults, what each variable does, and errors that name the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({}, dotenv=False)

    assert settings.database_url == f"sqlite:///{tmp_path / 'resend_otp.db'}"
    assert settings.otp_cooldown_seconds == 60
    assert settings.kaleyra_timeout_seconds == 20
    assert settings.kaleyra_region == "in"
    assert settings.kaleyra_url_for() == "https://api.in.kaleyra.io"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.kaleyra_dry_run is False
    assert settings.port == 3000


@pytest.mark.parametrize(
    ("env", "attribute", "value"),
    [
        ({"KALEYRA_REGION": "EU"}, "kaleyra_region", "eu"),
        ({"OTP_COOLDOWN_SECONDS": "0"}, "otp_cooldown_seconds", 0),
        ({"OTP_COOLDOWN_SECONDS": " 120 "}, "otp_cooldown_seconds", 120),
        ({"KALEYRA_TIMEOUT_SECONDS": "2.5"}, "kaleyra_timeout_seconds", 2.5),
        ({"KALEYRA_DRY_RUN": "1"}, "kaleyra_dry_run", True),
        ({"KALEYRA_DRY_RUN": "true"}, "kaleyra_dry_run", True),
        ({"KALEYRA_DRY_RUN": "0"}, "kaleyra_dry_run", False),
        ({"KALEYRA_DRY_RUN": ""}, "kaleyra_dry_run", False),
        ({"ADMIN_USER_IDS": "U1, U2,,"}, "admin_user_ids", frozenset({"U1", "U2"})),
        ({"SLACK_API_URL": "http://127.0.0.1:9/api"}, "slack_api_url", "http://127.0.0.1:9/api/"),
        ({"DATABASE_URL": "postgresql+psycopg://db/x"}, "database_url", "postgresql+psycopg://db/x"),
    ],
)
def test_each_variable(env: dict[str, str], attribute: str, value: object) -> None:
    assert getattr(load_settings(env, dotenv=False), attribute) == value


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"KALEYRA_REGION": "ap"}, "https://api.ap.kaleyra.io"),
        ({"KALEYRA_REGION": "na"}, "https://api.na.kaleyra.io"),
        ({"KALEYRA_REGION": "eu", "KALEYRA_BASE_URL": "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080"),
    ],
)
def test_region_picks_the_pod_and_base_url_overrides_it(env: dict[str, str], url: str) -> None:
    settings = load_settings(env, dotenv=False)
    assert settings.kaleyra_url_for() == url
    if "KALEYRA_BASE_URL" in env:
        assert settings.kaleyra_url_for("na") == url


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("KALEYRA_REGION", "us"),
        ("KALEYRA_BASE_URL", "api.in.kaleyra.io"),
        ("OTP_COOLDOWN_SECONDS", "a minute"),
        ("OTP_COOLDOWN_SECONDS", "-1"),
        ("KALEYRA_TIMEOUT_SECONDS", "0"),
        # Not a deadline at all: the call could hang forever.
        ("KALEYRA_TIMEOUT_SECONDS", "inf"),
        ("KALEYRA_TIMEOUT_SECONDS", "nan"),
        ("KALEYRA_DRY_RUN", "maybe"),
        ("PORT", "http"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_malformed_variable_is_named(name: str, raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: raw}, dotenv=False)
    assert name in str(caught.value)


def test_credentials_never_show_in_a_repr() -> None:
    secrets = {
        "KALEYRA_API_KEY": "kaleyra-key-zzz",
        "SLACK_BOT_TOKEN": "xoxb-zzz",
        "SLACK_SIGNING_SECRET": "signing-zzz",
        "SLACK_APP_TOKEN": "xapp-zzz",
    }
    settings = load_settings(secrets, dotenv=False)

    assert settings.kaleyra_api_key.reveal() == "kaleyra-key-zzz"
    for value in secrets.values():
        assert value not in repr(settings) and value not in str(settings)


@pytest.mark.parametrize(
    ("env", "check", "named"),
    [
        ({"KALEYRA_API_KEY": "k"}, "kaleyra", "KALEYRA_SID"),
        ({"KALEYRA_SID": "HX1"}, "kaleyra", "KALEYRA_API_KEY"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "slack", "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "socket", "SLACK_APP_TOKEN"),
        ({"SLACK_SIGNING_SECRET": "s"}, "slack", "SLACK_BOT_TOKEN"),
    ],
)
def test_a_missing_credential_is_named(env: dict[str, str], check: str, named: str) -> None:
    settings = load_settings(env, dotenv=False)
    with pytest.raises(ConfigError, match=named):
        if check == "kaleyra":
            settings.require_kaleyra()
        else:
            settings.require_slack(socket_mode=check == "socket")


def test_dry_run_needs_no_kaleyra_credentials() -> None:
    load_settings({"KALEYRA_DRY_RUN": "1"}, dotenv=False).require_kaleyra()


def test_dotenv_fills_gaps_and_the_real_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("KALEYRA_SID=HXFROMDOTENV\nOTP_COOLDOWN_SECONDS=30\n")
    monkeypatch.chdir(tmp_path)
    for name in ("KALEYRA_SID", "OTP_COOLDOWN_SECONDS"):
        # Recorded so that whatever load_dotenv puts in os.environ is removed afterwards.
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("OTP_COOLDOWN_SECONDS", "90")

    settings = load_settings()

    assert settings.kaleyra_sid == "HXFROMDOTENV"
    assert settings.otp_cooldown_seconds == 90
    assert os.environ["OTP_COOLDOWN_SECONDS"] == "90"


def test_every_missing_and_malformed_setting_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"OTP_COOLDOWN_SECONDS": "soon", "KALEYRA_REGION": "us"}, dotenv=False, command="serve")

    message = str(caught.value)
    named = ("OTP_COOLDOWN_SECONDS", "KALEYRA_REGION", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "KALEYRA_SID")
    for name in (*named, "KALEYRA_API_KEY"):
        assert name in message
    assert message.startswith("6 settings need fixing")


def test_an_empty_env_file_names_all_four_credentials_in_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=\nKALEYRA_SID=\n")
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "KALEYRA_SID", "KALEYRA_API_KEY", "KALEYRA_DRY_RUN"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError) as caught:
        load_settings(command="serve")

    assert len(caught.value.problems) == 4
    assert str(tmp_path / ".env") in str(caught.value)


@pytest.mark.parametrize("sid", ["../../v1/x?y=", "HXAP16/97IN", "hxap16xx97in", "HX AP16"])
def test_a_sid_that_is_not_kaleyras_shape_is_refused(sid: str) -> None:
    with pytest.raises(ConfigError, match="KALEYRA_SID"):
        load_settings({"KALEYRA_SID": sid}, dotenv=False)


@pytest.mark.parametrize("name", ["KALEYRA_BASE_URL", "SLACK_API_URL"])
@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://proxy.example.com/", True),
        ("http://127.0.0.1:8080/", True),
        ("http://127.9.9.9/", True),
        ("http://[::1]:9000/", True),
        ("http://localhost:9000/", True),
        ("http://proxy.example.com/", False),
        ("http://10.0.0.5/", False),
        ("ftp://127.0.0.1/", False),
        ("https:///nohost", False),
    ],
)
def test_credentials_only_travel_over_https_except_to_loopback(name: str, url: str, accepted: bool) -> None:
    if accepted:
        load_settings({name: url}, dotenv=False)
        return
    with pytest.raises(ConfigError, match=name):
        load_settings({name: url}, dotenv=False)


def test_an_xoxb_token_as_the_app_token_is_named() -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN.*bot token"):
        load_settings({"SLACK_APP_TOKEN": "xoxb-123"}, dotenv=False)


def test_default_phone_region_is_a_country() -> None:
    assert load_settings({"DEFAULT_PHONE_REGION": "in"}, dotenv=False).default_phone_region == "IN"
    assert load_settings({}, dotenv=False).default_phone_region is None
    with pytest.raises(ConfigError, match="DEFAULT_PHONE_REGION"):
        load_settings({"DEFAULT_PHONE_REGION": "India"}, dotenv=False)


def test_a_subdirectory_finds_the_env_file_above_and_shares_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("OTP_COOLDOWN_SECONDS=45\n")
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    for name in ("OTP_COOLDOWN_SECONDS", "DATABASE_URL"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)

    settings = load_settings()

    assert settings.otp_cooldown_seconds == 45
    assert settings.database_url == f"sqlite:///{tmp_path / 'resend_otp.db'}"
    assert settings.database_url_source.startswith("the default")


def test_a_relative_sqlite_path_in_env_is_beside_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///data/bot.db\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.setenv("DATABASE_URL", "placeholder")
    monkeypatch.delenv("DATABASE_URL")

    settings = load_settings()

    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'bot.db'}"
    assert settings.database_url_source == f"DATABASE_URL in {tmp_path / '.env'}"
