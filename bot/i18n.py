"""Translations: gettext catalogues under locales/, served by aiogram's I18n."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.settings import SUPPORTED_LANGUAGES
from bot.storage.records import User

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def make_i18n(default_language: str) -> I18n:
    """The translator over the committed catalogues."""
    return I18n(path=LOCALES_DIR, default_locale=default_language, domain=DOMAIN)


def pick_language(user: User | None, tg_language: str | None, default: str) -> str:
    """The user's chosen language, else their Telegram one if we speak it, else the default."""
    if user is not None and user.language in SUPPORTED_LANGUAGES:
        return user.language
    code = (tg_language or (user.tg_language if user else None) or "").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else default


@contextmanager
def speaking(i18n: I18n, language: str) -> Iterator[None]:
    """Render texts in `language` outside an update (reminders, deliveries)."""
    with i18n.context(), i18n.use_locale(language):
        yield


class UserLocaleMiddleware(I18nMiddleware):
    """Picks the locale from the stored user (set by the unit-of-work middleware)."""

    def __init__(self, i18n: I18n, default_language: str) -> None:
        super().__init__(i18n)
        self.default_language = default_language

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        """The language to answer this event in."""
        tg_user = data.get("event_from_user")
        language = pick_language(
            data.get("user"), getattr(tg_user, "language_code", None), self.default_language
        )
        data["lang"] = language
        return language
