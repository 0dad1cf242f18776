"""How /intake looks: the website form URL, a curl example and the rotate button."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.settings import Settings
from bot.storage.records import Workspace
from bot.views.common import Id, esc


class IntakeCb(CallbackData, prefix="in"):
    """The intake message's button, bound to the team whose URL it shows."""

    action: str
    ws: Id = 0


def intake_url(settings: Settings, workspace: Workspace) -> str | None:
    """Where the website posts leads, or None when the HTTP server is off."""
    if settings.intake_port is None:
        return None
    base = settings.public_url or f"http://{settings.intake_host}:{settings.intake_port}"
    return f"{base.rstrip('/')}/intake/{workspace.intake_secret}"


def intake_text(settings: Settings, workspace: Workspace, team: str) -> str:
    """The URL, a curl example and what happens to a posted lead."""
    url = intake_url(settings, workspace)
    if url is None:
        return _(
            "Website intake is off: the bot's HTTP server is not running. Set INTAKE_PORT "
            "(and PUBLIC_URL) in the bot's settings and restart it."
        )
    example = (
        f"curl -X POST {esc(url)} -H 'Content-Type: application/json' "
        """-d '{"name": "Ivan Petrov", "phone": "+7 999 123-45-67", "message": "Landing page"}'"""
    )
    return (
        _(
            "Website leads go to this URL (POST: JSON, a form or multipart). Fields: name, "
            "phone, email, message, source, and the usual site-builder names (Name, Phone, "
            "Comment, имя, телефон…); utm_* go into the source, other fields into the note. "
            "A phone or e-mail is enough. Keep the URL secret:"
        )
        + f"\n<code>{esc(url)}</code>\n\n"
        + _("Example:")
        + f"\n<pre>{example}</pre>\n"
        + _("Everyone in “{team}” gets the lead at once.").format(team=esc(team))
    )


def intake_keyboard(workspace_id: int) -> InlineKeyboardMarkup:
    """Rotate this team's secret."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🔄 New secret"), callback_data=IntakeCb(action="rotate", ws=workspace_id))
    return kb.as_markup()
