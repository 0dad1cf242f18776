"""Settings: defaults, durations, and the one-line errors of `python -m bot`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.__main__ import RedactingFilter, _settings_error
from bot.settings import Settings, parse_duration
from tests.conftest import make_settings
from tests.mocked import BOT_TOKEN


def test_defaults(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, bot_token=BOT_TOKEN)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///./data/nudge.sqlite3"
    assert settings.default_language == "ru"
    assert settings.default_timezone == "Europe/Moscow"
    assert settings.lead_response_sla == timedelta(minutes=15)
    assert settings.log_level == "INFO"
    assert settings.telegram_api_url is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("900", 900), ("2.5", 2.5), ("PT15M", 900), ("pt1h30m", 5400), ("P1DT2H", 93600), (5, 5)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15 minutes", "PT", "-5", "0", "P1Y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_sla_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_RESPONSE_SLA", "PT3S")
    assert make_settings(tmp_path).lead_response_sla == timedelta(seconds=3)


def test_missing_token_is_one_clear_line() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert _settings_error(info.value).startswith("BOT_TOKEN is not set: get one from @BotFather")


def test_malformed_token_is_not_echoed() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, bot_token="secret-but-wrong")  # type: ignore[call-arg]
    line = _settings_error(info.value)
    assert "BOT_TOKEN" in line and "secret-but-wrong" not in line


def test_unknown_timezone_and_language() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(
            _env_file=None,
            bot_token=BOT_TOKEN,
            default_timezone="Mars/Olympus",
            default_language="de",
        )  # type: ignore[call-arg]
    line = _settings_error(info.value)
    assert "DEFAULT_TIMEZONE" in line and "DEFAULT_LANGUAGE" in line


def test_log_filter_hides_the_token() -> None:
    import logging

    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "url=%s", (f"/bot{BOT_TOKEN}/getMe",), None
    )
    RedactingFilter([BOT_TOKEN]).filter(record)
    assert BOT_TOKEN not in record.getMessage()
    assert "***" in record.getMessage()


SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting comes from the developer's environment."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_env_example_with_only_the_token_filled_in(tmp_path: Path, clean_env: object) -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    assert "\nINTAKE_PORT=\n" in example  # the empty values this test is about
    env_file = tmp_path / ".env"
    env_file.write_text(example.replace("\nBOT_TOKEN=\n", f"\nBOT_TOKEN={BOT_TOKEN}\n"))
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.bot_token.get_secret_value() == BOT_TOKEN
    assert settings.intake_port is None
    assert settings.telegram_api_url is None and settings.public_url is None
    assert settings.polling_timeout == 25


def test_empty_environment_values_mean_not_set(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("INTAKE_PORT", "TELEGRAM_API_URL", "DATABASE_URL", "LOG_LEVEL"):
        clean_env.setenv(name, "")
    clean_env.setenv("POLLING_TIMEOUT", "  ")
    settings = Settings(_env_file=None, bot_token=BOT_TOKEN)  # type: ignore[call-arg]
    assert settings.intake_port is None and settings.telegram_api_url is None
    assert settings.database_url == "sqlite+aiosqlite:///./data/nudge.sqlite3"
    assert settings.log_level == "INFO" and settings.polling_timeout == 25


@pytest.mark.parametrize("token", ["", "   "])
def test_empty_token_says_not_set_and_where_to_get_one(
    clean_env: pytest.MonkeyPatch, token: str
) -> None:
    clean_env.setenv("BOT_TOKEN", token)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)  # type: ignore[call-arg]
    line = _settings_error(info.value)
    assert line.startswith("BOT_TOKEN is not set")
    assert "@BotFather" in line and ".env" in line and "BOT_TOKEN=" in line
    assert "does not look like" not in line


def _webhook(**values: object) -> Settings:
    return Settings(_env_file=None, bot_token="1:abc", **values)  # type: ignore[arg-type]


def test_webhook_settings_derive_the_secret_and_path() -> None:
    one = _webhook(webhook_url="https://bot.example.com/telegram", intake_port=8443)
    other = _webhook(webhook_url="https://bot.example.com/telegram", intake_port=8444)
    assert one.webhook_path() == "/telegram"
    # Every instance of one bot derives the same secret, and it is a valid Telegram token.
    assert one.webhook_token() == other.webhook_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", one.webhook_token())
    given = _webhook(webhook_url="https://b.example/t", intake_port=1, webhook_secret="abc_DEF-1")
    assert given.webhook_token() == "abc_DEF-1"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhook_url": "https://bot.example.com/telegram"}, "WEBHOOK_URL needs INTAKE_PORT"),
        ({"webhook_url": "bot.example.com/telegram", "intake_port": 1}, "must be a full URL"),
        ({"webhook_url": "https://b.example/intake/x", "intake_port": 1}, "/intake/ or /healthz"),
        ({"webhook_url": "https://b.example/healthz", "intake_port": 1}, "/intake/ or /healthz"),
        (
            {"webhook_url": "https://b.example/t", "intake_port": 1, "webhook_secret": "a b"},
            "WEBHOOK_SECRET must be",
        ),
    ],
)
def test_bad_webhook_settings_are_named(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        _webhook(**values)
