"""/cancel and cancel words: drop the question the bot asked last, and its buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")

CANCEL_WORDS = frozenset({"отмена", "отменить", "отмени", "стоп", "cancel", "stop", "nevermind"})


def _is_cancel(message: Message) -> bool:
    """A message that is only a cancel word (case and trailing punctuation aside)."""
    text = (message.text or "").strip().lower().rstrip(".!")
    return text in CANCEL_WORDS


@router.message(Command("cancel", ignore_case=True))
@router.message(_is_cancel)
async def cmd_cancel(
    message: Message, user: User | None, repos: Repos, replies: Replies, clock: Clock
) -> None:
    """Forget the open question: what is typed next is read afresh; old buttons say so."""
    if user is None:
        return
    now = clock.now()
    # The middleware already dropped `awaiting` for /cancel (any command does); a cancel word
    # is plain text, so it is dropped here.
    had_question = bool(user.awaiting) or (message.text is not None and message.text[:1] == "/")
    if user.awaiting:
        await repos.users.update(user.id, now, awaiting=None)
    dropped = await repos.drafts.drop_open(user.id, now)
    await replies.send(
        message.chat.id,
        _("OK, cancelled. What next? /help lists the commands.")
        if dropped or had_question
        else _("Nothing to cancel. /help lists the commands."),
    )
