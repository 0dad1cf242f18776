"""Process settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LANGUAGES = ("ru", "en")
# The shape aiogram itself accepts: a numeric bot id, a colon, a secret without spaces.
_TOKEN_RE = re.compile(r"^\d+:\S+$")
_WEBHOOK_URL_RE = re.compile(r"^https?://[^/\s]+/\S*$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_ISO_DURATION_RE = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(value: Any) -> timedelta:
    """Read a duration given as seconds (`900`, `2.5`) or ISO 8601 (`PT15M`, `P1DT2H`)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        match = _ISO_DURATION_RE.match(text)
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif match and text.upper() not in ("P", "PT") and any(match.groupdict().values()):
            parts = {k: float(v) for k, v in match.groupdict().items() if v}
            seconds = (
                parts.get("d", 0) * 86400
                + parts.get("h", 0) * 3600
                + parts.get("m", 0) * 60
                + parts.get("s", 0)
            )
        else:
            raise ValueError(
                f"not a duration: {text!r} (use seconds like 900 or ISO 8601 like PT15M)"
            )
    if seconds <= 0:
        raise ValueError("the duration must be positive")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class StorageSettings(BaseSettings):
    """Just the database: what `python -m bot backup` needs (no token)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/nudge.sqlite3"

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        """An empty value (`INTAKE_PORT=` as in .env.example) means "not set": use the default."""
        if not isinstance(values, dict):
            return values
        return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}


class Settings(StorageSettings):
    """Everything the process reads from its environment; see `.env.example`."""

    bot_token: SecretStr
    telegram_api_url: str | None = None
    default_language: str = "ru"
    default_timezone: str = "Europe/Moscow"
    lead_response_sla: Duration = timedelta(minutes=15)
    log_level: str = "INFO"
    intake_port: int | None = None
    intake_host: str = "127.0.0.1"
    public_url: str | None = None
    delivery_rate_per_second: float = Field(default=30.0, gt=0)
    polling_timeout: int = Field(default=25, ge=0, le=50)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_max_connections: int = Field(default=40, ge=1, le=100)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        """Reject a token that cannot be a Bot API token, without echoing it."""
        if not _TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (123456:ABC…)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        """Only languages with a catalogue can be the default."""
        value = value.strip().lower()
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        """The default zone must be a real IANA name."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not a known IANA time zone") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        """An absolute http(s) URL with a path Telegram can POST to."""
        if value is None:
            return None
        value = value.strip()
        if not _WEBHOOK_URL_RE.match(value):
            raise ValueError(
                "WEBHOOK_URL must be a full URL such as https://bot.example.com/telegram"
            )
        path = urlsplit(value).path
        if path.startswith(("/intake/", "/healthz")):
            raise ValueError(
                "WEBHOOK_URL's path must not be under /intake/ or /healthz (the server's own "
                "routes): use e.g. /telegram"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1–256 of A–Z, a–z, 0–9, _ and - as a secret token."""
        if value is not None and not _SECRET_RE.match(value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_a_port(self) -> Settings:
        """Webhook updates arrive on the HTTP server, which listens only with INTAKE_PORT."""
        if self.webhook_url and self.intake_port is None:
            raise ValueError(
                "WEBHOOK_URL needs INTAKE_PORT: the port this process listens on for Telegram "
                "(your proxy forwards WEBHOOK_URL to it)"
            )
        return self

    def webhook_token(self) -> str:
        """The secret Telegram sends with each update: WEBHOOK_SECRET, or one derived from the
        bot token, so that every instance of one bot agrees without being told."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        seed = "nudge-webhook:" + self.bot_token.get_secret_value()
        return hashlib.sha256(seed.encode()).hexdigest()

    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, where the HTTP server takes Telegram's updates."""
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        """Accept the usual level names in any case."""
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value
