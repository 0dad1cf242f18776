"""How /note, /meet, /mail and /in answer: what was logged, or the right form of the command."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.views.common import esc
from bot.views.limits import NAME, shorten


def touch_example(kind: str) -> str:
    """The right form of each touch command."""
    return {
        "note": _("Example: <code>/note Acme prefers calls after 15:00</code>"),
        "meet": _("Example: <code>/meet Acme showed the prototype, they liked it</code>"),
        "mail": _("Example: <code>/mail Acme sent the contract</code>"),
        "in": _("Example: <code>/in Acme asked for the invoice</code> — the client wrote to us"),
    }[kind]


def touch_logged(kind: str, name: str, chases_stopped: int = 0) -> str:
    """The confirmation of a logged touch (and of the chase it stopped)."""
    text = {
        "note": _("📝 Note on “{name}” saved."),
        "meet": _("🤝 Meeting with “{name}” logged."),
        "mail": _("✉️ E-mail to “{name}” logged."),
        "in": _("💬 Message from “{name}” logged."),
    }[kind].format(name=esc(shorten(name, NAME)))
    if chases_stopped:
        text += " " + _("The chase is stopped: they answered.")
    return text
